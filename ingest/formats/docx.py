"""Word guides (``.docx``): the body's paragraphs and tables, in document order.

Headings come from the paragraph's outline level (its own, or its style's, or a base
style's), which Word's Heading 1..9 styles and custom heading styles carry; Title is the
top heading. List paragraphs (numbering on the paragraph or its style) become items.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import XMLSyntaxError

from ingest.formats.canonical import Canonical
from ingest.formats.html import squash, table_lines
from ingest.loader import GuideError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a compound file: a password-protected .docx or an old .doc


def _style_chain(paragraph: Paragraph) -> list[Any]:
    chain: list[Any] = []
    style = paragraph.style
    while style is not None and len(chain) < 10:
        chain.append(style)
        style = style.base_style
    return chain


def _pPr_value(element: Any, tag: str) -> Any:
    ppr = element.pPr if hasattr(element, "pPr") else element.find(qn("w:pPr"))
    return None if ppr is None else ppr.find(qn(tag))


def heading_level(paragraph: Paragraph) -> int | None:
    """0 for Title, 1.. for an outline level, None for body text."""
    chain = _style_chain(paragraph)
    if chain and chain[0].style_id == "Title":
        return 0
    for element in [paragraph._p] + [style.element for style in chain]:
        outline = _pPr_value(element, "w:outlineLvl")
        if outline is not None:
            level = int(outline.get(qn("w:val"))) + 1
            return level if level <= 9 else None  # 9 is Word's "body text" level
    for style in chain:  # built-in heading styles saved without an outline level
        name = (style.name or "").lower()
        if name.startswith("heading ") and name[8:].isdigit():
            return int(name[8:])
    return None


def list_depth(paragraph: Paragraph) -> int | None:
    """The list level (0-based) of a numbered or bulleted paragraph, None if not a list item."""
    for element in [paragraph._p] + [style.element for style in _style_chain(paragraph)]:
        numbering = _pPr_value(element, "w:numPr")
        if numbering is not None:
            ilvl = numbering.find(qn("w:ilvl"))
            if ilvl is not None:
                return int(ilvl.get(qn("w:val")))
            name = paragraph.style.name if paragraph.style is not None else ""
            last = (name or "").rsplit(" ", 1)[-1]
            return int(last) - 1 if last.isdigit() else 0  # "List Bullet 2" is level 1
    return None


class DocxReader:
    """Reads ``.docx`` files with python-docx."""

    suffixes = (".docx",)

    def read(self, path: Path, shown: str | Path) -> Canonical:
        """The document body as canonical text, hyperlinks kept as metadata."""
        try:
            head = path.read_bytes()[:4]
        except OSError as exc:
            raise GuideError(shown, f"cannot be read ({exc.strerror or exc}) — check it") from None
        if not head:
            raise GuideError(shown, "file is empty — add content or remove it")
        if head == _OLE_MAGIC:
            raise GuideError(
                shown,
                "is password-protected or an old .doc file — save it from Word as an "
                "unprotected .docx",
            )
        try:
            document = docx.Document(str(path))
            blocks, links = self._blocks(document)
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, XMLSyntaxError, ValueError):
            raise GuideError(
                shown, "is not a readable Word document (corrupt?) — re-save it from Word as .docx"
            ) from None
        if not blocks:
            raise GuideError(shown, "has no text — add content or remove it")
        return Canonical(text="\n\n".join(blocks) + "\n", links=tuple(links))

    def _blocks(self, document: Any) -> tuple[list[str], list[tuple[str, str]]]:
        blocks: list[str] = []
        links: list[tuple[str, str]] = []
        levels = [heading_level(p) for p in document.paragraphs]
        shift = 1 if 0 in levels else 0  # under a Title, Heading 1 is a second-level heading
        items: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                if items:
                    blocks.append("\n".join(items))
                    items = []
                lines = table_lines([self._row(row) for row in block.rows])
                if lines:
                    blocks.append("\n".join(lines))
                continue
            text = squash(block.text)
            links.extend(
                (squash(link.text), link.address) for link in block.hyperlinks if link.address
            )
            if not text:
                continue
            depth = list_depth(block)
            if depth is not None:
                items.append("  " * depth + "- " + text)
                continue
            if items:
                blocks.append("\n".join(items))
                items = []
            level = heading_level(block)
            blocks.append(text if level is None else "#" * max(1, level + shift) + " " + text)
        if items:
            blocks.append("\n".join(items))
        return blocks, links

    @staticmethod
    def _row(row: Any) -> list[str]:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:  # a merged cell is listed once per grid column it spans
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(squash(cell.text))
        return cells
