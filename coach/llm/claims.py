"""What a statement asserts that its source must also say: its figures and its names.

Rules about language only, never about one set of guides. A figure is a number with what
it counts: a currency (``$150,000`` = ``$150K``), a percentage, a time unit (``3-6 months``
= ``three to six months``), or nothing (a count, a year). A name is a run of capitalised
words (``Registered Nurse``), a CamelCase word (``LangChain``), an acronym
(``RAG``, matched by the initials of ``retrieval-augmented generation`` too), a word with
digits (``GPT-4``), or a capitalised word inside a sentence (``Berlin``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
} | {"fifteen": 15, "eighteen": 18, "twenty": 20, "thirty": 30, "fifty": 50}
SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
TIME_UNITS = ("hour", "day", "week", "month", "year")

_NUMBER = (
    r"(?<![A-Za-z\d])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"|\b(?:{'|'.join(NUMBER_WORDS)})\b"
)
_AMOUNT = re.compile(
    rf"(?P<currency>[$€£¥])?\s?(?P<number>{_NUMBER})"
    r"(?:\s?(?P<scale>[kKmMbB]\b|thousand\b|million\b|billion\b))?"
    r"(?P<percent>\s?(?:%|percent\b|per cent\b))?",
    re.IGNORECASE,
)
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to)\s*", re.IGNORECASE)  # "3-6", "3 to 6"
_UNIT_AFTER = re.compile(
    r"^\s*(?:\+\s*)?(?P<unit>" + "|".join(TIME_UNITS) + r")s?\b", re.IGNORECASE
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9+#'’.\-]*[A-Za-z0-9+#]|[A-Za-z0-9]")
_MARKUP = re.compile(r"[*_`]+")
_ACRONYM = re.compile(r"^[A-Z][A-Z&]+s?$")
_CAMEL = re.compile(r"^[A-Za-z]+[a-z][A-Z][A-Za-z]*$")
_CAPITALISED = re.compile(r"^[A-Z][a-z]")
_FIGURE_TOKEN = re.compile(r"^\d[\d,.]*(?:[kKmMbB]|%)?$|^\d[\d,.\-–]*$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")


@dataclass(frozen=True)
class Figure:
    """A number and what it counts: ``money``, ``percent``, a time unit, or ``plain``."""

    value: float
    kind: str
    written: str  # as the text wrote it, for messages

    def matches(self, other: Figure) -> bool:
        """Same value, and the same kind unless one of them says nothing about it."""
        same_kind = self.kind == other.kind or "plain" in (self.kind, other.kind)
        return abs(self.value - other.value) < 1e-6 and same_kind


def _value(number: str) -> float:
    word = NUMBER_WORDS.get(number.lower())
    return float(word) if word is not None else float(number.replace(",", ""))


def figures_of(text: str) -> list[Figure]:
    """Every figure of ``text``; a range shares its currency, scale, percent and unit."""
    text = _MARKUP.sub("", text)
    groups: list[list[re.Match[str]]] = []
    previous_end = -1
    for match in _AMOUNT.finditer(text):
        gap = text[previous_end : match.start()] if previous_end >= 0 else ""
        if groups and _RANGE_GAP.fullmatch(gap):
            groups[-1].append(match)
        else:
            groups.append([match])
        previous_end = match.end()
    found: list[Figure] = []
    for group in groups:
        currency = any(m.group("currency") for m in group)
        percent = any(m.group("percent") for m in group)
        scale = next((m.group("scale") for m in reversed(group) if m.group("scale")), None)
        unit = _UNIT_AFTER.match(text[group[-1].end() :])
        words_only = all(m.group("number").lower() in NUMBER_WORDS for m in group)
        if words_only and not (unit or percent):
            continue  # "one of the", "two ways": not a figure
        kind = (
            "money"
            if currency
            else "percent"
            if percent
            else unit.group("unit").lower()
            if unit
            else "plain"
        )
        for match in group:
            value = _value(match.group("number"))
            own_scale = match.group("scale")
            if own_scale is None and kind == "money" and value < 1000:
                own_scale = scale  # "$130-165K"
            if own_scale:
                value *= SCALES[own_scale.lower()]
            found.append(Figure(value, kind, match.group(0).strip()))
    return found


def _stem(word: str) -> str:
    """A word folded for matching: lower case, no possessive, no plural ending."""
    word = word.lower().rstrip(".").removesuffix("'s").removesuffix("’s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _is_name_word(word: str) -> bool:
    return bool(
        _ACRONYM.match(word)
        or _CAMEL.match(word)
        or (re.search(r"\d", word) and re.search(r"[A-Za-z]", word))
        or _CAPITALISED.match(word)
    )


def _is_strong_name(word: str) -> bool:
    """A word that is a name even where any word is capitalised (a sentence's start)."""
    return bool(
        _ACRONYM.match(word)
        or _CAMEL.match(word)
        or (re.search(r"\d", word) and re.search(r"[A-Za-z]", word))
    )


def names_of(text: str) -> list[str]:
    """The names of ``text``: runs of name words, a sentence's first word only if strong."""
    text = _MARKUP.sub("", text)
    names: list[str] = []
    run: list[str] = []
    last_end = -1
    for match in _WORD.finditer(text):
        word = match.group(0).rstrip(".")
        adjacent = last_end >= 0 and text[last_end : match.start()] == " "
        if not adjacent and run:
            names.append(" ".join(run))
            run = []
        last_end = match.end()
        if _FIGURE_TOKEN.match(word) or not _is_name_word(word) or word == "I":
            if run:
                names.append(" ".join(run))
                run = []
            continue
        starts = bool(_SENTENCE_START.search(text[: match.start()]))
        if starts and not _is_strong_name(word):
            continue  # "Learn Python": "Learn" is capitalised for the sentence
        run.append(word)
    if run:
        names.append(" ".join(run))
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Source:
    """A passage prepared for matching a statement's figures and names against it."""

    text: str

    @cached_property
    def figures(self) -> list[Figure]:
        return figures_of(self.text)

    @cached_property
    def _words(self) -> list[str]:
        return [_stem(w) for w in _WORD.findall(_MARKUP.sub("", self.text))]

    @cached_property
    def _joined(self) -> str:
        return f" {' '.join(self._words)} "

    @cached_property
    def _initials(self) -> str:
        """First letters of the words, hyphenated parts counted apart ("retrieval-augmented")."""
        parts = [p for w in self._words for p in w.split("-") if p]
        return "".join(p[0] for p in parts)

    def missing_figures(self, figures: list[Figure]) -> list[Figure]:
        """The figures this passage does not give."""
        return [f for f in figures if not any(f.matches(g) for g in self.figures)]

    def mentions(self, name: str) -> bool:
        """Whether the passage names ``name`` (case, plurals and markup aside)."""
        words = [_stem(w) for w in name.split()]
        if f" {' '.join(words)} " in self._joined:
            return True
        if len(words) == 1 and _ACRONYM.match(name):
            acronym = words[0].replace("&", "")
            return len(acronym) >= 3 and acronym in self._initials
        return False
