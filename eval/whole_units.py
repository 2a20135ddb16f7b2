"""Whole-unit rate: is every quoted statement a whole sentence, item or row of its guide?

The check reads each guide apart from the coach's own splitter. A markdown guide is read by
CommonMark (markdown-it), so a hard-wrapped paragraph is one paragraph; other formats are
read by their format reader. A statement is whole when its words fill a paragraph, item or
heading of the guide, or run in one from a sentence start to a sentence end; a table row
when it names every cell of a row of the guide, starting with the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

from coach.schema import Statement
from ingest.errors import GuideError
from ingest.formats.markdown import SHORTCODE
from ingest.loader import read_guide_text

_SPACES = re.compile(r"\s+")
_MARKERS = re.compile(r"\s*\[\d+\](?:\[\d+\])*")  # "[2]", "[1][3]"
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING_MARKER = re.compile(r"^\s{0,3}#{1,6}\s+")
_EMPHASIS = re.compile(r"(?<!\w)[*_]+|[*_]+(?!\w)")
_SENTENCE_END = ".!?…:;"
_CLOSERS = "\"'”’)]"
_LEAD_DASHES = "-–—"
_LABEL_JOINERS = (": ", " — ")  # how the writer puts a heading before a unit


def squash(text: str) -> str:
    """Words and punctuation only: emphasis and code marks gone, whitespace collapsed."""
    return _SPACES.sub(" ", _EMPHASIS.sub("", text.replace("`", ""))).strip()


@dataclass
class GuideBlocks:
    """A guide as its reader sees it: prose blocks (paragraphs, items, headings) and rows."""

    prose: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return squash("".join(parts))


def markdown_blocks(text: str) -> GuideBlocks:
    """Paragraphs, headings and table rows as CommonMark parses ``text`` (template tags
    such as ``{% page "/x" %}`` and task-list boxes left out, as the published page shows)."""
    blocks = GuideBlocks()
    row: list[str] | None = None
    text = SHORTCODE.sub("", text)  # template tags are the site's, not the writer's words
    for token in MarkdownIt("commonmark").enable("table").use(tasklists_plugin).parse(text):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.rows.append(row)
            row = None
        elif token.type == "inline":
            words = _inline_text(token)
            if row is not None:
                row.append(words)
            elif words:
                blocks.prose.append(words)
    return blocks


def canonical_blocks(text: str) -> GuideBlocks:
    """Blocks of a reader's canonical text: one paragraph, item, heading or row per line."""
    blocks = GuideBlocks()
    for line in text.split("\n"):
        if not line.strip():
            continue
        if line.count("|") >= 2:
            cells = [squash(c) for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                blocks.rows.append(cells)
            continue
        line = _HEADING_MARKER.sub("", _LIST_MARKER.sub("", line))
        blocks.prose.append(squash(line))
    return blocks


def guide_blocks(path: Path) -> GuideBlocks:
    """How a person reads the guide at ``path`` (an unreadable one has no blocks)."""
    if path.suffix.lower() in (".md", ".markdown"):
        return markdown_blocks(path.read_text(encoding="utf-8", errors="replace"))
    try:
        return canonical_blocks(read_guide_text(path))
    except GuideError:
        return GuideBlocks()


def _starts_sentence(block: str, at: int) -> bool:
    """At the block's start, after a sentence's end, or after a lead ("4 weeks- Read…")."""
    before = block[:at].rstrip()
    if not before or before.rstrip(_CLOSERS)[-1:] in _SENTENCE_END:
        return True
    return before[-1] in _LEAD_DASHES and block[at - 1 : at] == " "


def _ends_sentence(block: str, end: int, quoted: str) -> bool:
    """At the block's end, or at a sentence's end: its mark, then a next sentence's start
    (not "e.g. in"); a quote without the mark ends where the guide's mark follows."""
    after = block[end:]
    if not after.strip():
        return True
    last = quoted.rstrip(_CLOSERS)[-1:]
    if last in ":;":
        return True
    if last in _SENTENCE_END:
        return not after.lstrip()[:1].islower()
    rest = after.lstrip(_CLOSERS)
    if rest[:1] not in _SENTENCE_END:
        return False
    tail = rest[1:]
    if not tail.strip():
        return True
    return tail[:1] in (" ", *_CLOSERS) and not tail.lstrip(f" {_CLOSERS}")[:1].islower()


def _whole_in(quoted: str, block: str) -> bool:
    start = block.find(quoted)
    while start >= 0:
        if _starts_sentence(block, start) and _ends_sentence(block, start + len(quoted), quoted):
            return True
        start = block.find(quoted, start + 1)
    return False


def _is_row(quoted: str, rows: Iterable[list[str]]) -> bool:
    for row in rows:
        cells = [c for c in row if c]
        if cells and quoted.startswith(cells[0]) and all(c in quoted for c in cells):
            return True
    return False


def candidates(statement: str) -> list[str]:
    """The statement as quoted, and without a heading put before it by the writer."""
    text = squash(_MARKERS.sub("", statement))
    found = [text]
    for joiner in _LABEL_JOINERS:
        at = text.find(joiner)
        while at > 0:
            found.append(text[at + len(joiner) :])
            at = text.find(joiner, at + 1)
    return [c for c in found if c]


def is_whole(statement: str, blocks: Sequence[GuideBlocks]) -> bool:
    """Whether ``statement`` quotes a whole sentence, item or row of one of ``blocks``."""
    for quoted in candidates(statement):
        bare = quoted.rstrip(_SENTENCE_END) if quoted[-1:] in ".;:" else quoted
        for guide in blocks:
            if _is_row(quoted, guide.rows):
                return True
            for block in guide.prose:
                if block in (quoted, bare) or _whole_in(quoted, block):
                    return True
                if bare and bare != quoted and _whole_in(bare, block):
                    return True
    return False


class WholeUnits:
    """Scores statements against the guides of one corpus, each guide read once."""

    def __init__(self, guides: Iterable[Path]) -> None:
        self.paths = {p.name: p for p in guides}
        self._blocks: dict[str, GuideBlocks] = {}

    def blocks(self, source: str) -> GuideBlocks:
        if source not in self._blocks:
            path = self.paths.get(source)
            self._blocks[source] = guide_blocks(path) if path else GuideBlocks()
        return self._blocks[source]

    def rate(self, statements: Sequence[Statement], sources: dict[int, str]) -> float | None:
        """Share of ``statements`` that are whole units of a guide they cite (None: none)."""
        if not statements:
            return None
        whole = 0
        for statement in statements:
            cited = {sources[n] for n in statement.citations if n in sources}
            whole += is_whole(statement.text, [self.blocks(s) for s in sorted(cited)])
        return whole / len(statements)
