"""Splitting an LLM answer into statements, each with the excerpts its markers cite.

A statement is a sentence, a list item, or a clause a marker closes (``3-6 months [2],
though …``). Markers are read where the model put them, with three repairs for what weak
models write: ``[n]`` opening a line is list numbering (``[1] Entry-level: …`` becomes
``1. Entry-level: …``), markers opening a sentence belong to the one before, and markers
alone on the last lines are a pile that the support check hands out to the statements
that cite nothing. Every rule is about layout and language, never about the guides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from coach.citations import MODEL_MARKER, marker_numbers
from coach.llm.claims import figures_of
from coach.prompt_files import load_prompt
from coach.units.split import ABBREVIATIONS

Kind = Literal["claim", "refusal", "framing", "empty"]

_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.replace("\u2019", "'").casefold())


def refusal_sentence() -> str:
    """The sentence the prompt asks the model to decline with (``model_refusal.txt``)."""
    return load_prompt("model_refusal.txt")


def is_refusal(text: str) -> bool:
    """Whether ``text`` opens with the prompt's own refusal sentence (case, apostrophes and
    punctuation aside): the coach knows a decline by the words it asked for, in any language
    the prompt file is written in, not by a list of phrases some model happens to use."""
    asked = _words(refusal_sentence())
    return bool(asked) and _words(text)[: len(asked)] == asked


# "[Excerpt 2]", "[Source 1, 3]": the prompt's own word for an excerpt, before its number.
_NAMED_MARKER = re.compile(r"\[(?:excerpts?|sources?|guides?)\s*(\d[\d\s,;\-–]*)\]", re.I)
_LIST_NUMBER = re.compile(r"^(?P<indent>[ \t]*)\[(?P<n>\d{1,2})\][ \t]*[.):]?[ \t]+(?=\S)")
_BULLET = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,2}[.)])[ \t]+")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|(\*\*|__)[^*_]+\1\s*:?\s*$)")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)]?(?P<gap>\s+)(?=[\"'“‘(\[]?[A-Z0-9$\[…])")
_CLAUSE_END = re.compile(r"\][ \t]*[,;](?P<gap>[ \t]+)(?=\S)")
_LEADING_MARKERS = re.compile(r"^(?:\[[\d\s,;\-–]+\][ \t]*)+")
_ONLY_MARKERS = re.compile(r"^\s*(?:\[[\d\s,;\-–]+\]\s*)+$")
_LABELLED_MARKERS = re.compile(r"^\s*\(?\s*[A-Za-z]+\s*:\s*(?:\[[\d\s,;\-–]+\][\s,;.]*)+\)?\s*$")
_OPEN_MARKER = re.compile(r"\[[\d\s,;\-–]*$")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_WORDY = re.compile(r"[A-Za-z0-9]")


def words_of(body: str) -> str:
    """A statement's words: no markers, no emphasis, no unfinished marker at the end."""
    text = _OPEN_MARKER.sub("", MODEL_MARKER.sub("", body))
    return " ".join(_EMPHASIS.sub("", text).split())


@dataclass
class Written:
    """A statement as the model wrote it."""

    body: str  # its text with the markers in place
    lead: str  # what separates it from the statement before ("\n- ", " ")
    sentence: int  # the sentence or list item it belongs to
    cited: list[int] = field(default_factory=list)  # excerpt numbers its markers name
    heading: bool = False

    @property
    def text(self) -> str:
        return words_of(self.body)

    @property
    def kind(self) -> Kind:
        text = self.text
        if not _WORDY.search(text):
            return "empty"
        bare = not self.cited and not figures_of(text)
        if bare and is_refusal(text):
            return "refusal"
        if bare and (self.heading or text.endswith(":")):
            return "framing"
        return "claim"


@dataclass
class Parsed:
    """An answer's statements in order, the piled markers, and how much of it is settled."""

    statements: list[Written]
    pile: list[int]  # markers alone at the end, for the statements that cite none
    settled: int  # sentences that text still to come can no longer change


def _cited(body: str) -> list[int]:
    return [n for m in MODEL_MARKER.finditer(body) for n in marker_numbers(m.group("body"))]


def _sentences(line: str) -> list[tuple[str, str]]:
    """(gap before, sentence) pairs of one line; abbreviations do not end a sentence."""
    pieces: list[tuple[str, str]] = []
    start, gap = 0, ""
    for match in _BOUNDARY.finditer(line):
        before = line[start : match.start()].rsplit(None, 1)
        last_word = before[-1].rstrip(".").lower() if before else ""
        if last_word in ABBREVIATIONS:
            continue
        pieces.append((gap, line[start : match.start("gap")]))
        start, gap = match.end(), match.group("gap")
    pieces.append((gap, line[start:]))
    return pieces


def _clauses(sentence: str) -> list[tuple[str, str]]:
    """(gap before, clause) pairs: a marker and a comma close a clause if another marker follows.

    "3-6 months [2], though one says 2-3 months [1]" is two claims; "According to the
    guides [1], it takes 3-6 months" is one.
    """
    pieces: list[tuple[str, str]] = []
    start, gap = 0, ""
    for match in _CLAUSE_END.finditer(sentence):
        if not MODEL_MARKER.search(sentence, match.end()):
            break
        pieces.append((gap, sentence[start : match.start("gap")]))
        start, gap = match.end(), match.group("gap")
    pieces.append((gap, sentence[start:]))
    return pieces


def parse_answer(raw: str, final: bool = True) -> Parsed:
    """The statements of ``raw``; with ``final=False`` the text may still grow."""
    statements: list[Written] = []
    loose: list[str] = []  # markers alone on lines, not yet known to be the pile
    lead = ""
    sentence = -1
    raw = _NAMED_MARKER.sub(r"[\1]", raw)
    for number, line in enumerate(raw.split("\n")):
        lead += "\n" if number else ""
        if not line.strip():
            continue
        if _ONLY_MARKERS.match(line) or _LABELLED_MARKERS.match(line):  # "Sources: [1], [2]"
            loose.append("".join(f"[{m.group('body')}]" for m in MODEL_MARKER.finditer(line)))
            continue
        if loose and statements:  # markers on their own line, then more text
            statements[-1].body += " " + " ".join(loose)
            statements[-1].cited += _cited(" ".join(loose))
        loose = []
        line = _LIST_NUMBER.sub(lambda m: f"{m.group('indent')}{m.group('n')}. ", line)
        bullet = _BULLET.match(line)
        prefix = bullet.group(0) if bullet else ""
        heading = bool(_HEADING.match(line))
        first = True
        for gap, text in _sentences(line[len(prefix) :]):
            markers = _LEADING_MARKERS.match(text)
            if markers and statements and not first:  # "… months. [2] Then …"
                statements[-1].body += " " + markers.group(0).strip()
                statements[-1].cited += _cited(markers.group(0))
                text = text[markers.end() :]
            if not text.strip():
                continue
            sentence += 1
            for clause_gap, clause in _clauses(text):
                if first:
                    join, first = lead + prefix, False
                    lead = ""
                else:
                    join = clause_gap or gap
                gap = ""
                statements.append(
                    Written(clause.strip(), join, sentence, _cited(clause), heading=heading)
                )
    pile = [n for text in loose for n in _cited(text)]
    if final:  # whether the last claim is the last one is known only at the end
        pile += _piled_on_last(statements)
    worded = [s.sentence for s in statements if _WORDY.search(s.text)]
    settled = sentence + 1 if final else (worded[-1] if worded else 0)
    return Parsed(statements, list(dict.fromkeys(pile)), settled)


def _piled_on_last(statements: list[Written]) -> list[int]:
    """Markers heaped on the last claim when no other claim cites anything: a pile too."""
    claims = [s for s in statements if s.kind == "claim"]
    if len(claims) < 2 or len(claims[-1].cited) < 2 or any(s.cited for s in claims[:-1]):
        return []
    return list(claims[-1].cited)
