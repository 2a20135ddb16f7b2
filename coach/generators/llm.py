"""Answers written by an LLM (OpenAI or any compatible server) from the numbered excerpts.

The prompt numbers the retrieved excerpts within the token budget. Every statement of the
completion is checked against the excerpts it cites (``coach.llm.review``,
``coach.llm.support``) before the user sees it, so streaming buffers and releases checked
sentences: a sentence shows once the next has begun and each claim in it is supported;
unsupported claims are dropped unseen. No ``Restart`` is needed for a dropped claim, so
the user never sees a statement that is later removed.

When no claim is supported, the answer is regenerated once (unseen) with the list of
problems; if that fails too, the extractive generator answers with
``fallback_reason="ungrounded"``. A model that declines (the prompt's refusal sentence, no
supported claim) is answered for offline with ``fallback_reason="model_declined"`` and a
line saying so: the chain asks only about questions its coverage judge holds covered, and
small models decline those often. Its own words never show; the refusal sentence followed
by a supported claim is an answer. Timeouts, 429, 5xx and empty or malformed
completions are retried with backoff, then the extractive generator answers and says why; if
the LLM fails after text has flowed, a ``Restart`` precedes the extractive answer.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.errors import GenerationError
from coach.generators.base import AnswerGenerator
from coach.llm.budget import MESSAGE_OVERHEAD, fit_context, fit_history, format_excerpt
from coach.llm.client import LLM_FAULTS, EmptyCompletion, RetryPolicy, is_retryable
from coach.llm.pricing import encoding_for, estimate_cost
from coach.llm.review import AnswerReview
from coach.llm.statements import refusal_sentence
from coach.llm.support import SupportChecker
from coach.prompt_files import load_prompt
from coach.schema import Draft, Restart, Retrieved, Turn
from coach.settings import Settings
from coach.tokens import count_tokens

log = logging.getLogger(__name__)

UNGROUNDED = "ungrounded"  # fallback_reason when no statement of the LLM held up
ANSWER_PROMPTS = {"full": "answer.txt", "compact": "answer_compact.txt"}
MODEL_DECLINED = "model_declined"  # fallback_reason when the model declined a covered question


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


class LLMGenerator(AnswerGenerator):
    """Cited answers from a chat model; the extractive generator answers when it fails."""

    mode = "llm"

    def __init__(
        self,
        chat: BaseChatModel,
        settings: Settings,
        fallback: AnswerGenerator,
        embeddings: Embeddings,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.chat = chat
        self.settings = settings
        self.fallback = fallback
        self.embeddings = embeddings
        self.retry = retry or RetryPolicy.from_settings(settings)
        self.model = settings.chat_model
        self.encoding = encoding_for(settings.chat_model)

    def messages(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> list[BaseMessage]:
        """System prompt with the numbered excerpts, the history, then the question."""
        excerpts = "\n\n".join(format_excerpt(n, item) for n, item in enumerate(context, 1))
        system = load_prompt(ANSWER_PROMPTS[self.settings.answer_prompt]).format(
            context=excerpts or "(no excerpts found)", refusal=refusal_sentence()
        )
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
        checker = SupportChecker(
            [item.chunk for item in excerpts], self.embeddings, self.settings.support_floor
        )
        usage = Usage()
        shown = [False]  # whether any text reached the user (a fallback must then restart)
        try:
            review = yield from _noting(self._complete(messages, checker, usage), shown)
            if not review.answered and not review.declined:
                log.info("No statement of the answer is supported; regenerating once")
                problems = "\n".join(f"- {p}" for p in review.problems) or "- it says nothing"
                repair = [
                    *messages,
                    AIMessage(review.raw),
                    HumanMessage(
                        load_prompt("repair.txt").format(
                            problems=problems, refusal=refusal_sentence()
                        )
                    ),
                ]
                review = yield from _noting(self._complete(repair, checker, usage), shown)
        except GenerationError as exc:
            if shown[0]:
                yield Restart(str(exc))
            reason = f"{exc} Answered offline from the guides' own sentences instead."
            yield from self._fall_back(question, context, history, reason, usage)
            return
        if review.problems:
            log.info("Dropped unsupported statements: %s", review.problems)
        if review.answered:
            yield Draft(
                text=review.text,
                citations=review.citations(),
                mode="llm",
                grounded=True,
                usage=usage.as_dict(self.model, self.settings),
                statements=review.statements,
            )
        elif review.declined:
            # The chain asks a generator only about questions its coverage judge holds
            # covered, so a decline is the model's miss: the guides' own sentences answer.
            log.info("The model declined a question the guides cover; answering offline")
            if shown[0]:
                yield Restart("the model declined")
            yield from self._fall_back(
                question,
                context,
                history,
                MODEL_DECLINED,
                usage,
                note=load_prompt("model_declined.txt"),
            )
        else:
            yield from self._fall_back(question, context, history, UNGROUNDED, usage)

    def _complete(
        self, messages: list[BaseMessage], checker: SupportChecker, usage: Usage
    ) -> Generator[str, None, AnswerReview]:
        """Stream one completion (with retries), yielding its checked text as it settles."""
        for attempt in range(1, self.retry.attempts + 1):
            review = AnswerReview(checker)
            emitted = False
            reported: tuple[int, int] | None = None
            try:
                for part in self.chat.stream(messages):
                    if part.usage_metadata:
                        meta = part.usage_metadata
                        reported = (meta["input_tokens"], meta["output_tokens"])
                    released = review.feed(part.text)
                    if released:
                        emitted = True
                        yield released
                if not review.raw.strip():
                    raise EmptyCompletion("the model returned no text")
                rest = review.finish()  # the last checks (an embedding call may fail too)
            except LLM_FAULTS as exc:
                if emitted or attempt == self.retry.attempts or not is_retryable(exc):
                    raise self.retry.give_up(attempt, exc) from exc
                self.retry.wait(attempt, exc)
                continue
            if reported is None:
                prompt = sum(count_tokens(str(m.content), self.encoding) for m in messages)
                usage.add(
                    prompt + MESSAGE_OVERHEAD * len(messages),
                    count_tokens(review.raw, self.encoding),
                    estimated=True,
                )
            else:
                usage.add(*reported)
            if rest:
                yield rest
            return review
        raise AssertionError("unreachable")  # pragma: no cover

    def _fall_back(
        self,
        question: str,
        context: list[Retrieved],
        history: list[Turn],
        reason: str,
        usage: Usage,
        note: str = "",
    ) -> Iterator[str | Restart | Draft]:
        """The extractive answer, saying why the LLM's is missing (``note`` leads its text;
        an offline refusal stays a refusal, without it)."""
        log.warning("Falling back to the extractive generator: %s", reason)
        lead = f"{note}\n\n" if note else ""
        owed = lead
        for item in self.fallback.stream(question, context, history):
            if isinstance(item, Draft):
                if item.refused:
                    yield replace(item, usage=usage.as_dict(self.model, self.settings))
                    return
                if owed:
                    yield owed
                yield replace(
                    item,
                    text=lead + item.text,
                    fallback_reason=reason,
                    usage=usage.as_dict(self.model, self.settings),
                )
            elif isinstance(item, Restart):
                owed = lead
                yield item
            else:
                if owed:
                    yield owed
                    owed = ""
                yield item


def _noting(
    pieces: Generator[str, None, AnswerReview], shown: list[bool]
) -> Generator[str, None, AnswerReview]:
    """Relay ``pieces`` and note in ``shown[0]`` that text went out."""
    while True:
        try:
            piece = next(pieces)
        except StopIteration as stop:
            return stop.value
        shown[0] = True
        yield piece
