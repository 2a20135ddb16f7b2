"""The interface every answer generator implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field

from coach.schema import Citation, Retrieved, Statement, Turn


@dataclass(frozen=True)
class Restart:
    """Discard the answer text streamed so far: the pieces that follow replace it.

    Sent when an LLM fails after its first words reached the user and the offline
    generator answers instead; the final ``Draft.text`` is what follows the restart.
    """

    reason: str


@dataclass
class Draft:
    """A finished answer before it is stored: text with ``[n]`` markers and their citations."""

    text: str
    citations: list[Citation]
    refused: bool = False
    mode: str = "extractive"
    grounded: bool = True
    fallback_reason: str | None = None
    usage: dict[str, float] | None = None
    statements: list[Statement] = field(default_factory=list)


class AnswerGenerator(ABC):
    """Turns a question and numbered context into a cited answer."""

    mode: str = "extractive"

    @abstractmethod
    def stream(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> Iterator[str | Restart | Draft]:
        """Yield pieces of answer text as they are produced, then the final ``Draft``.

        ``question`` is the standalone question; ``context`` is ranked best first.
        The pieces after the last ``Restart`` (if any) concatenate to ``Draft.text``.
        """

    def generate(self, question: str, context: list[Retrieved], history: list[Turn]) -> Draft:
        """The final draft, without streaming."""
        for item in self.stream(question, context, history):
            if isinstance(item, Draft):
                return item
        raise RuntimeError(f"{type(self).__name__}.stream ended without a Draft")
