"""How the coach speaks about itself, from the library it holds: name, topic, welcome, refusals.

The texts are templates in ``coach/prompts``; what fills them comes from the library summary
(``coach.library``) or, when set, from ``COACH_NAME`` and ``COACH_TOPIC``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coach.library import Library
from coach.prompt_files import load_prompt

if TYPE_CHECKING:
    from coach.settings import Settings

DEFAULT_NAME = "Career Coach"


def join_phrases(phrases: list[str]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    if len(phrases) < 2:
        return "".join(phrases)
    return f"{', '.join(phrases[:-1])} and {phrases[-1]}"


@dataclass(frozen=True)
class Voice:
    """The coach's name, the topic line and the questions it is known to answer."""

    name: str = DEFAULT_NAME
    topic: str = ""
    starters: list[str] = field(default_factory=list)

    @classmethod
    def plain(cls, name: str = DEFAULT_NAME) -> Voice:
        """A voice that knows no library."""
        return cls(name=name, topic=load_prompt("topic_fallback.txt"))

    @classmethod
    def of(cls, library: Library, settings: Settings) -> Voice:
        topic = settings.coach_topic or join_phrases(library.topics)
        return cls(
            name=settings.coach_name,
            topic=topic or load_prompt("topic_fallback.txt"),
            starters=list(library.starters),
        )

    @property
    def example(self) -> str:
        """The sentence suggesting a question (empty when no question is known to work)."""
        if not self.starters:
            return ""
        return load_prompt("example.txt").format(question=self.starters[0])

    def _fill(self, template: str) -> str:
        text = load_prompt(template).format(name=self.name, topic=self.topic, example=self.example)
        return " ".join(text.split())

    def refusal(self, reason: str) -> str:
        """The reply to a declined question: ``not_covered``, ``off_topic`` or ``injection``."""
        return self._fill(f"refusal_{reason}.txt")

    def not_mentioned(self, names: list[str]) -> str:
        """The line before an answer whose question names something no guide mentions."""
        return load_prompt("not_mentioned.txt").format(names=join_phrases(names)).strip()

    @property
    def welcome(self) -> str:
        return self._fill("welcome.txt")

    @property
    def channel_topic(self) -> str:
        text = self._fill("channel_topic.txt")
        return text[:1].upper() + text[1:]

    @property
    def description(self) -> str:
        """The API's description in OpenAPI."""
        return load_prompt("description.txt").format(name=self.name, topic=self.topic)
