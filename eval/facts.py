"""Key facts: short verbatim strings an answer must carry, matched after one normalisation.

A key fact is a list of alternatives (``["3-6 months", "three to six months"]``); it is found
in a text when any alternative occurs in it. Golden-set validation, answer scoring and
context scoring all go through :func:`normalise`, so they cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KeyFact = tuple[str, ...]  # alternatives

_TRANSLATE = str.maketrans(
    {
        "*": None,
        "`": None,
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
    }
)
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, no ``*`` or backticks, dashes as ``-``, straight quotes, single spaces."""
    return _SPACES.sub(" ", text.lower().translate(_TRANSLATE))


def fact_in(fact: KeyFact, normalised_text: str) -> bool:
    """Whether any alternative of ``fact`` occurs in an already normalised text."""
    return any(normalise(alternative) in normalised_text for alternative in fact)


@dataclass(frozen=True)
class FactCount:
    """How many of an item's key facts a text carries."""

    found: int
    total: int

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 0.0


def count_facts(facts: Sequence[KeyFact], text: str) -> FactCount:
    """The key facts of ``facts`` found in ``text``."""
    haystack = normalise(text)
    return FactCount(sum(fact_in(f, haystack) for f in facts), len(facts))


def missing_facts(facts: Iterable[KeyFact], text: str) -> list[KeyFact]:
    """The key facts none of whose alternatives occur in ``text``."""
    haystack = normalise(text)
    return [f for f in facts if not fact_in(f, haystack)]
