"""Heading recovery: ``#`` headings in markdown, bare title-case lines in plain text.

Plain-text guides (pasted from web pages) lose their markup: a heading is just a short line
such as ``Your Transferable Skills`` between paragraphs, with no level. The rules below were
tuned on the guides in ``seeds/`` so that list items, table rows, wrapped paragraph lines and
sentences are not mistaken for headings. Bare lines carry no level, so every recovered
heading sits one level below the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from markdown_it import MarkdownIt


@dataclass(frozen=True)
class Heading:
    """A heading found at ``line`` (0-based), spanning ``end - line`` lines (setext: 2)."""

    line: int
    level: int
    text: str
    end: int


LIST_ITEM = re.compile(r"^\s*(?:[-*+•▪◦]|\d{1,3}[.)])\s+")
TABLE_ROW = re.compile(r"\|")
# Words that stay lowercase in Title Case ("Skills You'll Need to Learn").
MINOR_WORDS = frozenset(
    "a an and as at but by en for from if in into nor of on onto or over per the than to "
    "up upon vs via with e.g i.e etc".split()
)
# A line that closes a block, so the next line may start a new one (a heading).
BLOCK_END = re.compile(r"""[.!?:;)\]"'”’…]$""")
SENTENCE_INSIDE = re.compile(r"[a-z]{2,}[.!?]\s+\S")  # "Don't wait. Here's ..."
MAX_HEADING_CHARS = 90
MAX_HEADING_WORDS = 12
MAX_TITLE_WORDS = 20
MIN_TITLE_CASE = 0.75  # share of capitalised words, minor words aside

_markdown = MarkdownIt("commonmark")


def markdown_headings(text: str) -> list[Heading]:
    """ATX (``#``) and setext headings, as CommonMark sees them (``#`` in code is not one)."""
    headings = []
    tokens = _markdown.parse(text)
    for opening, inline in pairwise(tokens):
        if opening.type != "heading_open" or opening.map is None:
            continue
        parts = [
            " " if child.type in ("softbreak", "hardbreak") else child.content
            for child in inline.children or []
            if child.type in ("text", "code_inline", "softbreak", "hardbreak")
        ]
        title = " ".join("".join(parts).split())
        if title:
            start, end = opening.map
            headings.append(Heading(line=start, level=int(opening.tag[1:]), text=title, end=end))
    return headings


def _words(line: str) -> list[str]:
    """Words stripped of surrounding punctuation; those not starting with a letter dropped."""
    words = (w.strip("()[]{}\"'“”‘’,:;!?.") for w in line.split())
    return [w for w in words if w and w[0].isalpha()]


def is_title_case(line: str) -> bool:
    """Mostly capitalised words, the first one always ("Foundations of AI/ML")."""
    words = _words(line)
    if not words or not words[0][0].isupper():
        return False
    major = [w for w in words if w.lower() not in MINOR_WORDS]
    if not major:
        return False
    capitalised = sum(1 for w in major if w[0].isupper())
    return capitalised / len(major) >= MIN_TITLE_CASE


def looks_like_heading(line: str) -> bool:
    """A short title-case line that is not a list item, a table row or a sentence."""
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return False
    if LIST_ITEM.match(line) or TABLE_ROW.search(line) or line.startswith("#"):
        return False
    if not line[0].isupper() or line[-1] in ".,;:!-–—" or SENTENCE_INSIDE.search(line):
        return False
    words = _words(line)
    if words and words[-1].lower() in MINOR_WORDS:  # a wrapped line: "... Learning and"
        return False
    return is_title_case(line)


def looks_like_title(line: str) -> bool:
    """The first line of a plain-text guide names it when it reads like a title."""
    line = line.strip()
    return (
        bool(line)
        and len(line.split()) <= MAX_TITLE_WORDS
        and not LIST_ITEM.match(line)
        and not TABLE_ROW.search(line)
        and line[-1] not in ".,;:!"
        and not SENTENCE_INSIDE.search(line)
    )


def _closes_block(line: str) -> bool:
    """Whether the text after ``line`` may start something new (not a wrapped paragraph)."""
    return bool(BLOCK_END.search(line) or LIST_ITEM.match(line) or TABLE_ROW.search(line))


def text_headings(lines: list[str]) -> tuple[int | None, list[Heading]]:
    """The title's line index (if the first line reads like one) and the bare-line headings.

    A heading is a line that looks like one, is followed by more text, and starts a block:
    it follows a blank line, the title, another heading, or a line that closes a block
    (a sentence, a list item, a table row). Three or more candidate lines in a row are a
    bare list (``Python`` / ``Docker`` / ``Kubernetes``), not headings.
    """
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return None, []
    title = filled[0] if looks_like_title(lines[filled[0]]) and len(filled) > 1 else None
    body = [i for i in filled if i != title]
    candidates = {i for i in body[:-1] if looks_like_heading(lines[i])}  # the last line: no body

    # Drop runs of three or more adjacent candidates (a bare list).
    position = {line_no: n for n, line_no in enumerate(body)}
    run: list[int] = []
    for line_no in [*body, -1]:
        if line_no in candidates and (not run or position[run[-1]] + 1 == position[line_no]):
            run.append(line_no)
            continue
        if len(run) >= 3:
            candidates.difference_update(run)
        run = [line_no] if line_no in candidates else []

    headings: list[Heading] = []
    previous: int | None = None  # index of the previous non-blank line
    for i in filled:
        if i in candidates:
            starts_block = (
                previous is None
                or previous == title
                or previous != i - 1  # a blank line in between
                or (headings and headings[-1].line == previous)
                or _closes_block(lines[previous])
            )
            if starts_block:
                headings.append(Heading(line=i, level=2, text=lines[i].strip(), end=i + 1))
        previous = i
    return title, headings
