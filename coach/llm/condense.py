"""Rewriting a follow-up into a standalone question with the LLM, before retrieval."""

from __future__ import annotations

import logging

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from coach.errors import GenerationError
from coach.llm.budget import fit_history
from coach.llm.client import EmptyCompletion, RetryPolicy, make_chat_model
from coach.llm.pricing import encoding_for
from coach.llm.statements import is_refusal
from coach.prompt_files import load_prompt
from coach.retrieval import Query
from coach.schema import Turn
from coach.settings import Settings

log = logging.getLogger(__name__)
CONDENSE_MAX_TOKENS = 200
ORIGINAL_WEIGHT = 0.5  # the follow-up as typed still helps retrieval, a little


class QueryRewriter:
    """Turns "and how long does that take?" into "How long does the switch to AI engineer take?".

    Any failure returns None, so the coach falls back to its offline follow-up expansion;
    so do a reply that is no rewrite (the latest message unchanged) and a decline: a small
    model echoes or declines what it cannot resolve, and the offline expansion asks the
    latest message too, with the earlier turns' words. A model that resolves nothing thus
    retrieves exactly what the offline coach retrieves.
    """

    def __init__(self, chat: BaseChatModel, settings: Settings, retry: RetryPolicy) -> None:
        self.chat = chat
        self.settings = settings
        self.retry = retry
        self.encoding = encoding_for(settings.condense_model or settings.chat_model)

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryRewriter:
        """A rewriter on ``condense_model`` (default: ``chat_model``), deterministic."""
        chat = make_chat_model(
            settings, model=settings.condense_model, max_tokens=CONDENSE_MAX_TOKENS, temperature=0
        )
        return cls(chat, settings, RetryPolicy.from_settings(settings))

    def messages(self, question: str, history: list[Turn]) -> list[BaseMessage]:
        """The condense prompt: the rules, then the conversation and the latest message."""
        turns = fit_history(history, self.settings.history_tokens, self.encoding)
        conversation = "\n".join(f"{t.role.capitalize()}: {t.content}" for t in turns)
        return [
            SystemMessage(load_prompt("condense.txt")),
            HumanMessage(
                f"<conversation>\n{conversation}\n</conversation>\n\n"
                f"Latest message: {question}\n\nStandalone question:"
            ),
        ]

    def condense(self, question: str, history: list[Turn]) -> str | None:
        """The standalone question, or None without history or when the LLM fails."""
        if not history:
            return None
        messages = self.messages(question, history)

        def call() -> str:
            text = str(self.chat.invoke(messages).text).strip().strip('"“”').strip()
            if not text:
                raise EmptyCompletion("empty standalone question")
            return text

        try:
            standalone = self.retry.run(call).removeprefix("Standalone question:").strip()
        except GenerationError as exc:
            log.warning("Condensing failed, using the offline expansion: %s", exc)
            return None
        if not standalone or len(standalone) > max(4 * len(question), 400):
            log.warning("Condensing returned %d chars; ignored", len(standalone))
            return None
        if is_refusal(standalone):
            log.info("The model declined to condense; using the offline expansion")
            return None
        if _same_words(standalone, question):
            log.info("The model returned the follow-up unchanged; using the offline expansion")
            return None
        return standalone

    def rewrite(self, question: str, history: list[Turn]) -> tuple[list[Query], str] | None:
        """Retrieval queries and the standalone question, or None to expand offline."""
        standalone = self.condense(question, history)
        if standalone is None:
            return None
        return [Query(standalone), Query(question, ORIGINAL_WEIGHT)], standalone


def _same_words(a: str, b: str) -> bool:
    """Whether two texts say the same (case, spacing and punctuation aside)."""
    return [ch for ch in a.casefold() if ch.isalnum()] == [
        ch for ch in b.casefold() if ch.isalnum()
    ]
