"""PDF guides: the text layer as canonical text, with the page each stretch starts on.

pypdf's text visitor gives each line's font size and position. Everything is fitted on the
document itself: the body size is the modal size (by characters), a heading is a line set
larger than that (one level per larger size), a paragraph ends where the line gap grows past
the modal gap or a line stops short of the usual line length, and running headers, footers
and page numbers are the page-edge lines that repeat (digits aside) at one height across pages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

from ingest.errors import GuideError
from ingest.formats.canonical import Canonical
from ingest.formats.html import squash

EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running text
_DIGITS = re.compile(r"\d+")
_MARKER = re.compile(r"^(?:\S|\d{1,2}[.)])\s+(?=\S)")  # a list marker: one glyph or "1." / "2)"


def _item_marker(text: str) -> str | None:
    """The list marker that starts ``text``: a lone symbol (fonts map bullets to symbols,
    private-use or control characters) or an ordinal; None for ordinary text."""
    found = _MARKER.match(text)
    if found is None:
        return None
    head = found.group(0).strip()
    kind = unicodedata.category(head[0])
    ordinal = len(head) > 1  # "1." or "2)"
    symbol = kind[0] in "SC" or (kind in ("Pd", "Po") and head not in ".,;:!?'\"")
    return found.group(0) if ordinal or (symbol and not head.isdigit()) else None


@dataclass
class _Line:
    text: str
    size: float
    y: float
    page: int


def _page_lines(page: Any, number: int) -> list[_Line]:
    """The page's lines, each with the size and baseline of its first visible fragment."""
    lines: list[_Line] = []
    parts: list[str] = []
    where: list[tuple[float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if piece.strip() and not where:
                scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                where.append((round(size * (scale or 1.0), 1), y))
            parts.append(piece)
            if i < len(pieces) - 1:
                flush()

    def flush() -> None:
        text = squash("".join(parts))
        if text and where:
            size, y = where[0]
            last = lines[-1] if lines else None
            if last is not None and abs(last.y - y) < 0.3 * min(size, last.size):
                # same baseline (a bullet, a change of font): one line, sized by its longer part
                last.size = size if len(text) > len(last.text) else last.size
                last.text = f"{last.text} {text}"
            else:
                lines.append(_Line(text, size, y, number))
        parts.clear()
        where.clear()

    page.extract_text(visitor_text=visit)
    flush()
    return lines


def _running_lines(pages: list[list[_Line]]) -> set[tuple[int, int]]:
    """(page, index) of the edge lines whose digit-blind text recurs at the same height on at
    least half the pages."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    edges: list[list[tuple[int, str]]] = []
    for lines in pages:
        count = len(lines)
        indices = sorted(
            set(range(min(EDGE_LINES, count))) | set(range(max(0, count - EDGE_LINES), count))
        )
        keyed = [(i, f"{round(lines[i].y)} {_DIGITS.sub('#', lines[i].text)}") for i in indices]
        edges.append(keyed)
        seen.update({key for _, key in keyed})
    needed = max(2, math.ceil(len(pages) / 2))
    return {(p, i) for p, keyed in enumerate(edges) for i, key in keyed if seen[key] >= needed}


def _join(previous: str, line: str, words: set[str]) -> str:
    """Joins a paragraph's next line; a hyphen at the line end goes unless the document writes
    the word with a hyphen elsewhere."""
    if previous.endswith("-") and previous[-2:-1].isalpha() and line[:1].islower():
        head = previous.rsplit(" ", 1)[-1][:-1]
        tail = line.split(" ", 1)[0]
        kept = f"{head}{tail}".lower() in words
        return previous + line if kept else previous[:-1] + line
    return previous + " " + line


class PdfGuideReader:
    """Reads ``.pdf`` files with pypdf."""

    suffixes: tuple[str, ...] = (".pdf",)

    def read(self, path: Path, shown: str | Path) -> Canonical:
        """The text layer as canonical text; ``pages`` gives where each page's text starts."""
        pages = self._lines(path, shown)
        running = _running_lines(pages)
        body = [
            line
            for p, lines in enumerate(pages)
            for i, line in enumerate(lines)
            if (p, i) not in running
        ]
        if not body:
            raise GuideError(
                shown,
                "has no text layer (a scanned PDF?) — run it through OCR (e.g. ocrmypdf) and "
                "ingest the result",
            )
        return _Layout(body).canonical()

    @staticmethod
    def _lines(path: Path, shown: str | Path) -> list[list[_Line]]:
        try:
            reader = PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("password")
            return [_page_lines(page, n) for n, page in enumerate(reader.pages, start=1)]
        except (FileNotDecryptedError, DependencyError):
            raise GuideError(
                shown, "is password-protected — save an unprotected copy and ingest that"
            ) from None
        except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError):
            raise GuideError(
                shown, "is not a readable PDF (corrupt or truncated?) — re-export it as PDF"
            ) from None


class _Layout:
    """Lines of body text (running lines removed) into canonical blocks and page offsets."""

    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines
        sizes: Counter[float] = Counter()
        for line in lines:
            sizes[line.size] += len(line.text)
        self.body = sizes.most_common(1)[0][0]
        larger = sorted({s for s in sizes if s > self.body * 1.05}, reverse=True)
        self.levels = {size: min(level, 6) for level, size in enumerate(larger, start=1)}
        body_lines = [line for line in lines if line.size == self.body]
        gaps = Counter(
            round(a.y - b.y, 1) for a, b in pairwise(body_lines) if a.page == b.page and a.y > b.y
        )
        self.gap = gaps.most_common(1)[0][0] if gaps else self.body * 1.2
        lengths = sorted(len(line.text) for line in body_lines)
        self.full = lengths[int(0.9 * (len(lengths) - 1))] * 0.8 if lengths else 0
        self.words = {
            w.lower().replace("-", "")
            for line in lines
            for w in line.text.split()
            if "-" in w[1:-1]
        }

    def _breaks(self, before: _Line, line: _Line) -> bool:
        """Does ``line`` start a new block after ``before``?"""
        if line.size in self.levels:  # a heading may wrap: its lines sit one leading apart
            same = before.size == line.size and before.page == line.page
            return not same or before.y - line.y > line.size * 1.6
        if before.size != line.size or _item_marker(line.text):
            return True
        if before.text[-2:-1].isalpha() and before.text.endswith("-") and line.text[:1].islower():
            return False  # a word hyphenated across the line end
        if before.page != line.page:
            return len(before.text) < self.full
        return before.y - line.y > self.gap * 1.3 or len(before.text) < self.full

    def canonical(self) -> Canonical:
        blocks: list[tuple[str, list[tuple[int, int]]]] = []  # text, (offset in block, page)
        kinds: list[str] = []
        for i, line in enumerate(self.lines):
            marker = _item_marker(line.text)
            text = line.text[len(marker) :] if marker else line.text
            if i and not self._breaks(self.lines[i - 1], line):
                joined = _join(blocks[-1][0], text, self.words)
                if line.page != self.lines[i - 1].page:
                    blocks[-1][1].append((len(joined) - len(text), line.page))
                blocks[-1] = (joined, blocks[-1][1])
                continue
            kind = "-" if marker else "h" if line.size in self.levels else "p"
            if kind == "h":
                text = "#" * self.levels[line.size] + " " + text
            elif kind == "-":
                text = "- " + text
            blocks.append((text, [(0, line.page)]))
            kinds.append(kind)
        out: list[str] = []
        pages: list[tuple[int, int]] = []
        offset = 0
        for n, ((text, marks), kind) in enumerate(zip(blocks, kinds, strict=True)):
            sep = "" if n == 0 else "\n" if kind == "-" and kinds[n - 1] == "-" else "\n\n"
            offset += len(sep)
            for at, page in marks:
                if not pages or pages[-1][1] != page:
                    pages.append((offset + at, page))
            out.append(sep + text)
            offset += len(text)
        return Canonical(text="".join(out) + "\n", pages=tuple(pages))
