"""Splitting guide text into quotable units: sentences, list items and table rows.

Guides are markdown or plain text whose headings are bare lines. A heading is never a
unit on its own, but it travels with the units under it as their ``label``: scoring
sees it, and a unit that makes little sense without it ("Complete the first course")
shows it ("This Week: Complete the first course").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

UnitKind = Literal["sentence", "item", "row"]

# Words whose trailing period does not end a sentence ("e.g.", "vs.", "Dr.").
ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al approx dept fig inc ltd corp jr sr dr mr mrs ms prof vol ca "
    "jan feb apr jun jul aug sept oct nov u.s u.k a.m p.m".split()
)

_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+(?P<body>\S.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+")
# "Week 1- Read the book" above "- Write the notes": a short lead (at most four words, no
# list marker), a dash glued to its last word, then the list's first item.
_GLUED_ITEM = re.compile(
    r"^(?![-*+•]\s|\d{1,2}[.)]\s)(?P<lead>[^\s|]+(?:\s[^\s|]+){0,3}?)[-–—]\s+(?P<body>[^|]+)$"
)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(?P<body>.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?P<body>[^*_].*?)\1\s*:?\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)(?P<body>.+?)\1")
# "_By A. Writer._", "*really*": single markers around words (not snake_case, not "2 * 3").
_ITALIC = re.compile(r"(?<![\w*_])([*_])(?P<body>[^\s*_](?:[^*_]*?[^\s*_])?)\1(?![\w*_])")
# "**Mentor**: Provide mentorship…" — a paragraph led by a bold term: a definition list's item.
_DEFINITION = re.compile(r"^(\*\*|__)[^*_]{1,60}?(?::\1|\1:)\s+\S")
_SPACES = re.compile(r"\s+")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) before a capital or digit.
_BOUNDARY = re.compile(r"(?<=[.!?])(?P<close>[\"'”’)\]]?)\s+(?=[\"'“‘(\[]?[A-Z0-9$])")
_TERMINAL = (".", "!", "?", ":", ";", ",")
# A heading naming a time span or a step ("Month 1-2", "This Week"): a roadmap phase.
_DATED = re.compile(
    r"\b(?:\d+|days?|weeks?|months?|years?|today|phase|step|stage)\b", re.IGNORECASE
)
# Headings too broad to help a reader when prefixed to a sentence.
_GENERIC_LABELS = frozenset(
    ["overview", "introduction", "summary", "conclusion", "frequently asked questions", "faq"]
)


@dataclass(frozen=True)
class Unit:
    """A quotable piece of a chunk, in reading order."""

    text: str  # the words of the guide, markdown emphasis removed
    kind: UnitKind
    index: int  # position of the unit within its chunk
    block: int  # paragraph, list or table the unit belongs to
    label: str = ""  # the nearest heading above the unit
    show_label: bool = False  # the unit needs its heading to be understood
    intro: bool = False  # a lead-in to a list ("...the main gaps are:")
    headings: tuple[str, ...] = ()  # headings passed since the previous unit
    ordered: bool = False  # an item of a numbered list: a step

    @property
    def display(self) -> str:
        """The unit as an answer quotes it: with its heading when it needs one."""
        if not (self.show_label and self.label):
            return self.text
        joiner = " — " if ":" in self.label else ": "
        return f"{self.label}{joiner}{self.text}"

    @property
    def scoring_text(self) -> str:
        """What is embedded and matched: the heading gives a unit its topic."""
        return f"{self.label}: {self.text}" if self.label else self.text


def clean_inline(text: str) -> str:
    """Collapse whitespace and drop markdown emphasis markers (``**bold**`` → ``bold``)."""
    text = _ITALIC.sub(r"\g<body>", _EMPHASIS.sub(r"\g<body>", text))
    return _SPACES.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Sentences of a prose paragraph; abbreviations ("e.g.", "vs.") and decimals stay inside."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start : match.start()]
        last_word = before.rsplit(" ", 1)[-1].lstrip("(\"'“‘[").rstrip(".").lower()
        if last_word in ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue  # "e.g. Sphinx", "J. Smith"
        sentence = text[start : match.end("close")].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _table_cells(line: str) -> list[str]:
    cells = [clean_inline(c) for c in line.strip().strip("|").split("|")]
    return [c for c in cells if c]


def render_row(cells: list[str], header: list[str] | None) -> str:
    """A table row as a readable line: the first cell, then ``Header: cell`` for the rest."""
    if not header or len(header) != len(cells):
        return " — ".join(cells)
    rest = "; ".join(f"{h}: {c}" for h, c in zip(header[1:], cells[1:], strict=True))
    return f"{cells[0]} — {rest}" if rest else cells[0]


def is_heading_line(line: str, next_line: str = "") -> bool:
    """Whether a line is a heading: markdown ``#``, a bold-only line, or a bare title line.

    A numbered line counts as a heading when dash items follow it (a roadmap phase such as
    "1. AI Fundamentals Onboarding (2-4 weeks)").
    """
    stripped = line.strip()
    if not stripped:
        return False
    if _MD_HEADING.match(stripped) or _BOLD_LINE.match(stripped):
        return True
    if "|" in stripped or glued_item(stripped, next_line):
        return False
    if _NUMBERED.match(stripped):
        nxt = next_line.strip()
        return (
            bool(nxt)
            and nxt[0] in "-*•"
            and not stripped.endswith(_TERMINAL)
            and len(stripped.split()) <= 12
        )
    if _BULLET.match(stripped):
        return False
    words = stripped.split()
    bare = stripped.strip("*_")  # "_By A. Writer, Engineer._" is a byline, not a title
    if bare.endswith("?"):
        return len(words) <= 8
    return not bare.endswith(_TERMINAL) and len(words) <= 14


def glued_item(line: str, next_line: str) -> re.Match[str] | None:
    """A list whose first item shares its line with a lead, the other items below it.

    The item starts with a capital or a digit, so a suspended hyphen ("Short- and
    long-term goals") stays whole.
    """
    match = _GLUED_ITEM.match(line.strip())
    if not match or not _BULLET.match(next_line):
        return None
    first = match.group("body")[0]
    return match if first.isupper() or first.isdigit() else None


def _heading_text(line: str) -> str:
    stripped = line.strip()
    for pattern in (_MD_HEADING, _BOLD_LINE):
        match = pattern.match(stripped)
        if match:
            return clean_inline(match.group("body")).rstrip(":")
    return clean_inline(stripped)


@dataclass
class _Block:
    kind: UnitKind
    label: str
    fresh: bool  # the first block under its heading
    members: list[tuple[str, bool, bool]]  # text, intro (a lead-in), ordered (numbered)
    headings: tuple[str, ...] = ()  # headings passed since the previous block


def _needs_label(block: _Block, position: int) -> bool:
    """Whether a unit should be shown with its heading.

    Items of a dated phase ("Month 1-2: Foundations", "This Week") and the opening sentence
    of the first paragraph under a specific heading ("3. Refactor code: This intern saw…")
    lose their meaning without it; the heading is often the very thing asked for (the
    name of a step, a level, a format). Broad headings ("Overview") add nothing.
    """
    label = block.label
    if not label or label.lower() in _GENERIC_LABELS or len(label) > 80:
        return False
    if block.kind == "item":
        return is_dated(label)
    if block.kind == "sentence":
        intro = block.members[position][1]
        return block.fresh and position == 0 and not intro
    return False


def is_dated(label: str) -> bool:
    """Whether a heading names a phase of a roadmap ("Month 1-2: Foundations", "This Week")."""
    return bool(_DATED.search(label))


def section_label(section: str) -> str:
    """The innermost heading of a chunk's section path ("A > B" → "B")."""
    return section.rsplit(">", 1)[-1].strip() if section else ""


@lru_cache(maxsize=4096)
def split_units(text: str, section: str = "") -> tuple[Unit, ...]:
    """The units of a chunk in reading order. Headings label units, never become units."""
    lines = [line.strip() for line in text.splitlines()]
    label = section_label(section)
    fresh = False  # a chunk may start in the middle of its section
    blocks: list[_Block] = []
    header: list[str] | None = None
    pending: list[str] = []  # headings not yet followed by a unit

    def open_block(kind: UnitKind) -> _Block:
        nonlocal fresh
        blocks.append(_Block(kind, label, fresh, [], tuple(pending)))
        fresh = False
        pending.clear()
        return blocks[-1]

    current: _Block | None = None
    definitions: _Block | None = None  # a definition list continues across blank lines
    for i, line in enumerate(lines):
        nxt = next((x for x in lines[i + 1 :] if x), "")
        if not line:
            current = None
            continue
        if _DEFINITION.match(line):
            if definitions is None:
                definitions = open_block("item")
            text = clean_inline(line)  # "**Spectrum:** Show four dimensions:" leads a list
            definitions.members.append((text, text.endswith(":"), False))
            current = None
            continue
        definitions = None
        if line.count("|") >= 2:
            if _TABLE_SEP.match(line):
                continue
            cells = _table_cells(line)
            if current is None or current.kind != "row":
                if _TABLE_SEP.match(nxt):
                    header = cells
                    continue
                current = open_block("row")
            current.members.append((render_row(cells, header), False, False))
            continue
        if is_heading_line(line, nxt):
            label, fresh, current = _heading_text(line), True, None
            pending.append(label)
            continue
        glued = glued_item(line, nxt)
        if glued:
            lead = glued.group("lead")
            label = f"{label} ({lead})" if label else lead
            if pending:
                pending[-1] = label
            fresh = True
            current = open_block("item")
            current.members.append((clean_inline(glued.group("body")), False, False))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            if current is None or current.kind != "item":
                current = open_block("item")
            ordered = bool(_NUMBERED.match(line))
            current.members.append((clean_inline(bullet.group("body")), False, ordered))
            continue
        current = open_block("sentence")
        sentences = split_sentences(clean_inline(line))
        for n, sentence in enumerate(sentences):
            intro = n == len(sentences) - 1 and sentence.endswith(":")
            current.members.append((sentence, intro, False))
        current = None  # a prose line is a paragraph of its own

    units: list[Unit] = []
    for number, block in enumerate(b for b in blocks if b.members):
        for n, (unit_text, intro, ordered) in enumerate(block.members):
            units.append(
                Unit(
                    text=unit_text,
                    kind=block.kind,
                    index=len(units),
                    block=number,
                    label=block.label,
                    show_label=_needs_label(block, n),
                    intro=intro,
                    headings=block.headings if n == 0 else (),
                    ordered=ordered,
                )
            )
    return tuple(units)


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` lower-cased, emphasis markers dropped, spaces folded; and each char's origin."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in "*_`":
            continue
        if ch.isspace():
            ch = "\n" if ch == "\n" else " "
            if out and out[-1] in (" ", "\n"):
                if ch == "\n":
                    out[-1], where[-1] = ch, i
                continue
        out.append(ch.lower())
        where.append(i)
    return "".join(out), where


def unit_spans(text: str, units: tuple[Unit, ...]) -> list[tuple[int, int]]:
    """Where each unit stands in ``text`` (character offsets), searched in reading order.

    A unit whose words were rearranged (a table row rendered as "cell — Header: cell") is
    found by its first cell; failing that, it spans the whole text.
    """
    flat, where = _normalised(text)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for unit in units:
        needle, _ = _normalised(unit.text)
        needle = needle.strip()
        at = flat.find(needle, cursor) if needle else -1
        length = len(needle)
        if at < 0 and unit.kind == "row":
            first = needle.split(" — ", 1)[0]
            at, length = flat.find(first, cursor), len(first)
            if at >= 0:  # the row: to the end of its line
                line_end = flat.find("\n", at)
                length = (line_end if line_end >= 0 else len(flat)) - at
        if at < 0:
            at = flat.find(needle)
        if at < 0 or not where:
            spans.append((0, len(text)))
            continue
        end = min(at + max(length, 1), len(where)) - 1
        spans.append((where[at], where[end] + 1))
        cursor = at + length
    return spans
