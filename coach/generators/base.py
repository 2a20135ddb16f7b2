"""The interface every answer generator implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from coach.schema import Draft, Restart, Retrieved, Turn

__all__ = ["AnswerGenerator", "Draft", "Restart"]


class AnswerGenerator(ABC):
    """Turns a question and numbered context into a cited answer."""

    mode: str = "extractive"

    @abstractmethod
    def stream(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> Iterator[str | Restart | Draft]:
        """Yield pieces of answer text as they are produced, then the final ``Draft``.

        ``question`` is the standalone question; ``context`` is ranked best first (the chain's,
        a ``ScoredContext``, has its units scored once for all). The pieces after the last
        ``Restart`` concatenate to ``Draft.text``; a refusal is a text-less ``Draft.refusal``.
        """

    def generate(self, question: str, context: list[Retrieved], history: list[Turn]) -> Draft:
        """The final draft, without streaming."""
        for item in self.stream(question, context, history):
            if isinstance(item, Draft):
                return item
        raise RuntimeError(f"{type(self).__name__}.stream ended without a Draft")
