"""What every format reader yields: one canonical markdown text, the shape the chunker reads.

Canonical text has one block per line group: ``#`` headings (ATX only), one paragraph per
line (soft breaks joined), ``- `` list items (nested items indented by two spaces; a
markdown guide's numbered items keep ``1.`` and nest under their text, as CommonMark does),
and table rows as ``| a | b |`` lines under a header row. Blocks are separated by a blank
line. A PDF also says on which page each stretch of the text starts; a markdown guide's
front matter may give its title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Canonical:
    """A guide's text in canonical markdown, with the page each offset starts on (PDF only)."""

    text: str
    pages: tuple[tuple[int, int], ...] = field(default=())  # (offset in text, 1-based page)
    links: tuple[tuple[str, str], ...] = field(default=())  # (link text, URL) kept as metadata
    title: str | None = None  # a title the format states apart from the text (front matter)

    def page_at(self, offset: int) -> int | None:
        """The page that ``offset`` lies on, or None for a format without pages."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


class FormatReader(Protocol):
    """Reads one format; raises ``ingest.errors.GuideError`` naming the file and the reason."""

    suffixes: tuple[str, ...]

    def read(self, path: Path, shown: str | Path) -> Canonical: ...


@runtime_checkable
class TextFormatReader(FormatReader, Protocol):
    """A format that is text: it reads the decoded text, so lines can be flagged first."""

    def read_text(self, text: str, shown: str | Path) -> Canonical: ...
