"""Which reader reads which file: one place that maps a suffix to its format reader.

Readers are built on first use, so a run over markdown alone never imports the PDF, Word or
HTML libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ingest.formats.canonical import FormatReader


def _html() -> FormatReader:
    from ingest.formats.html import HtmlReader

    return HtmlReader()


def _pdf() -> FormatReader:
    from ingest.formats.pdf import PdfGuideReader

    return PdfGuideReader()


def _markdown() -> FormatReader:
    from ingest.formats.markdown import MarkdownReader

    return MarkdownReader()


def _docx() -> FormatReader:
    from ingest.formats.docx import DocxReader

    return DocxReader()


BUILDERS: dict[str, Callable[[], FormatReader]] = {
    ".md": _markdown,
    ".markdown": _markdown,
    ".html": _html,
    ".htm": _html,
    ".pdf": _pdf,
    ".docx": _docx,
}
MARKDOWN_SUFFIXES = (".md", ".markdown")  # text formats: prompt injection is flagged per line
TEXT_SUFFIXES = (".txt",)  # plain text: read as written, headings recovered from bare lines
FORMAT_SUFFIXES = tuple(BUILDERS)
SUPPORTED_SUFFIXES = (*FORMAT_SUFFIXES, *TEXT_SUFFIXES)


@cache
def reader_for(suffix: str) -> FormatReader | None:
    """The reader of files ending in ``suffix`` (lower case), or None for plain text."""
    build = BUILDERS.get(suffix)
    return build() if build else None
