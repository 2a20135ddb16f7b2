"""Answers written by an LLM (OpenAI or any compatible server) from the numbered excerpts.

The prompt numbers the retrieved excerpts within the token budget; the answer streams
while its ``[n]`` markers are renumbered in order of first use (``coach.llm.citations``).
Text is held back until the first valid citation arrives, so an answer that cites
nothing can be regenerated once without the user having seen it; if the second answer
cites nothing either it is kept and marked ``grounded=False``. Timeouts, 429, 5xx and
empty or malformed completions are retried with backoff, then the extractive generator
answers instead and says why (``fallback_reason``).

The streamed pieces join to ``Draft.text`` except when the LLM fails after text has
flowed: then the extractive answer follows, and the final ``Draft`` (the API's ``done``
event) is the authoritative text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.errors import GenerationError
from coach.generators.base import AnswerGenerator, Draft, Restart
from coach.llm.budget import MESSAGE_OVERHEAD, fit_context, fit_history, format_excerpt
from coach.llm.citations import CitationStream
from coach.llm.client import LLM_FAULTS, EmptyCompletion, RetryPolicy, is_retryable
from coach.llm.pricing import encoding_for, estimate_cost
from coach.prompt_files import load_prompt
from coach.schema import Retrieved, Turn
from coach.settings import Settings
from coach.tokens import count_tokens

log = logging.getLogger(__name__)

NOT_COVERED = re.compile(
    r"\b(?:guides?|excerpts?)\s+(?:do not|don['’]t|does not|doesn['’]t)\s+"
    r"(?:cover|say|mention|address|answer|include|discuss)"
    r"|\bnot (?:covered|mentioned|addressed) (?:in|by) the (?:guides?|excerpts?)",
    re.IGNORECASE,
)
OPENING_CHARS = 160  # a refusal leads the answer


def says_not_covered(text: str, cited: bool) -> bool:
    """Whether the model declined: it opens with "the guides don't cover", or says so uncited."""
    return bool(
        NOT_COVERED.search(text[:OPENING_CHARS]) or (not cited and NOT_COVERED.search(text))
    )


@dataclass
class Usage:
    """Tokens spent on one answer, from the API's usage (estimated with tiktoken if absent)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    estimated: bool = False

    def add(self, prompt: int, completion: int, estimated: bool = False) -> None:
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.calls += 1
        self.estimated = self.estimated or estimated

    def as_dict(self, model: str, settings: Settings) -> dict[str, float] | None:
        """The ``Draft.usage`` record, with the estimated cost when the price is known."""
        if not self.calls:
            return None
        record: dict[str, float] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "llm_calls": self.calls,
        }
        cost = estimate_cost(model, self.prompt_tokens, self.completion_tokens, settings)
        if cost is not None:
            record["cost_usd"] = round(cost, 8)
        if self.estimated:
            record["usage_estimated"] = 1
        return record


@dataclass
class Completion:
    """One finished completion: its renumbered text and the part not streamed yet."""

    stream: CitationStream
    held: str

    @property
    def refused(self) -> bool:
        return says_not_covered(self.stream.text, self.stream.cited)


class LLMGenerator(AnswerGenerator):
    """Cited answers from a chat model; the extractive generator answers when it fails."""

    mode = "llm"

    def __init__(
        self,
        chat: BaseChatModel,
        settings: Settings,
        fallback: AnswerGenerator,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.chat = chat
        self.settings = settings
        self.fallback = fallback
        self.retry = retry or RetryPolicy.from_settings(settings)
        self.model = settings.chat_model
        self.encoding = encoding_for(settings.chat_model)

    def messages(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> list[BaseMessage]:
        """System prompt with the numbered excerpts, the history, then the question."""
        excerpts = "\n\n".join(format_excerpt(n, item) for n, item in enumerate(context, 1))
        system = load_prompt("answer.txt").format(context=excerpts or "(no excerpts found)")
        messages: list[BaseMessage] = [SystemMessage(system)]
        for turn in history:
            messages.append(
                HumanMessage(turn.content) if turn.role == "user" else AIMessage(turn.content)
            )
        messages.append(HumanMessage(question))
        return messages

    def prepare(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> tuple[list[BaseMessage], list[Retrieved]]:
        """The prompt within budget, and the excerpts it numbers."""
        excerpts = fit_context(context, self.settings.context_tokens, self.encoding)
        turns = fit_history(history, self.settings.history_tokens, self.encoding)
        return self.messages(question, excerpts, turns), excerpts

    def stream(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> Iterator[str | Restart | Draft]:
        messages, excerpts = self.prepare(question, context, history)
        usage = Usage()
        shown = [False]  # whether any text reached the user (a fallback must then restart)
        try:
            answer = yield from _noting(self._complete(messages, excerpts, usage), shown)
            if not answer.stream.cited and not answer.refused:
                log.info("The answer cites no excerpt; regenerating once")
                repair = [
                    *messages,
                    AIMessage(answer.stream.raw),
                    HumanMessage(load_prompt("repair.txt")),
                ]
                answer = yield from _noting(self._complete(repair, excerpts, usage), shown)
        except GenerationError as exc:
            if shown[0]:
                yield Restart(str(exc))
            yield from self._fall_back(question, context, history, str(exc), usage)
            return
        if answer.held:
            yield answer.held
        cited = answer.stream.cited
        yield Draft(
            text=answer.stream.text,
            citations=answer.stream.citations(),
            refused=answer.refused,
            mode="llm",
            grounded=cited or answer.refused,
            usage=usage.as_dict(self.model, self.settings),
        )

    def _complete(
        self, messages: list[BaseMessage], excerpts: list[Retrieved], usage: Usage
    ) -> Generator[str, None, Completion]:
        """Stream one completion (with retries), yielding text once it has cited an excerpt."""
        chunks = [item.chunk for item in excerpts]
        for attempt in range(1, self.retry.attempts + 1):
            stream = CitationStream(chunks)
            held: list[str] = []
            emitted = False
            reported: tuple[int, int] | None = None
            try:
                for part in self.chat.stream(messages):
                    if part.usage_metadata:
                        meta = part.usage_metadata
                        reported = (meta["input_tokens"], meta["output_tokens"])
                    held.append(stream.feed(part.text))
                    if stream.cited and any(held):
                        emitted = True
                        yield "".join(held)
                        held.clear()
                held.append(stream.finish())
                if not stream.text.strip():
                    raise EmptyCompletion("the model returned no text")
            except LLM_FAULTS as exc:
                if emitted or attempt == self.retry.attempts or not is_retryable(exc):
                    raise self.retry.give_up(attempt, exc) from exc
                self.retry.wait(attempt, exc)
                continue
            if reported is None:
                prompt = sum(count_tokens(str(m.content), self.encoding) for m in messages)
                usage.add(
                    prompt + MESSAGE_OVERHEAD * len(messages),
                    count_tokens(stream.raw, self.encoding),
                    estimated=True,
                )
            else:
                usage.add(*reported)
            rest = "".join(held)
            if stream.cited and rest:
                yield rest
                rest = ""
            return Completion(stream=stream, held=rest)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fall_back(
        self,
        question: str,
        context: list[Retrieved],
        history: list[Turn],
        fault: str,
        usage: Usage,
    ) -> Iterator[str | Restart | Draft]:
        """The extractive answer, saying why the LLM's is missing."""
        reason = f"{fault} Answered offline from the guides' own sentences instead."
        log.warning("Falling back to the extractive generator: %s", fault)
        for item in self.fallback.stream(question, context, history):
            if isinstance(item, Draft):
                yield replace(
                    item, fallback_reason=reason, usage=usage.as_dict(self.model, self.settings)
                )
            else:
                yield item


def _noting(
    pieces: Generator[str, None, Completion], shown: list[bool]
) -> Generator[str, None, Completion]:
    """Relay ``pieces`` and note in ``shown[0]`` that text went out."""
    while True:
        try:
            piece = next(pieces)
        except StopIteration as stop:
            return stop.value
        shown[0] = True
        yield piece
