"""Word guides (``.docx``): the body's paragraphs and tables, in document order.

Headings come from the paragraph's outline level (its own, or its style's, or a base
style's), which Word's Heading 1..9 styles and custom heading styles carry; Title is the
top heading. List paragraphs (numbering on the paragraph or its style) become items.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import XMLSyntaxError

from ingest.errors import GuideError
from ingest.formats.canonical import Canonical
from ingest.formats.html import squash, table_lines

_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a compound file: a password-protected .docx or an old .doc


def _chain(style: Any) -> list[Any]:
    """The style and the styles it is based on, nearest first."""
    chain: list[Any] = []
    while style is not None and len(chain) < 10:
        chain.append(style)
        style = style.base_style
    return chain


def _pPr_value(element: Any, tag: str) -> Any:
    ppr = element.find(qn("w:pPr"))
    return None if ppr is None else ppr.find(qn(tag))


def _outline(elements: list[Any]) -> int | None:
    """1.. for the first outline level set on these elements, None for body text."""
    for element in elements:
        outline = _pPr_value(element, "w:outlineLvl")
        if outline is not None:
            level = int(outline.get(qn("w:val"))) + 1
            return level if level <= 9 else None  # 9 is Word's "body text" level
    return None


def _numbering(elements: list[Any], name: str) -> int | None:
    """The list level (0-based) from the first numbering set on these elements."""
    for element in elements:
        numbering = _pPr_value(element, "w:numPr")
        if numbering is not None:
            ilvl = numbering.find(qn("w:ilvl"))
            if ilvl is not None:
                return int(ilvl.get(qn("w:val")))
            last = name.rsplit(" ", 1)[-1]
            return int(last) - 1 if last.isdigit() else 0  # "List Bullet 2" is level 1
    return None


@dataclass(frozen=True)
class _Role:
    heading: int | None  # 0 for Title, 1.. for an outline level
    depth: int | None  # list level, 0-based


def style_roles(document: Any) -> dict[str | None, _Role]:
    """Each paragraph style's role, read once per document (style lookups are slow)."""
    roles: dict[str | None, _Role] = {}
    for style in document.styles:
        if style.type != WD_STYLE_TYPE.PARAGRAPH:
            continue
        chain = _chain(style)
        elements = [s.element for s in chain]
        heading = 0 if style.style_id == "Title" else _outline(elements)
        if heading is None:  # built-in heading styles saved without an outline level
            names = [(s.name or "").lower() for s in chain]
            found = [int(n[8:]) for n in names if n.startswith("heading ") and n[8:].isdigit()]
            heading = found[0] if found else None
        roles[style.style_id] = _Role(heading, _numbering(elements, style.name or ""))
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    roles[None] = roles.get(default.style_id if default is not None else None, _Role(None, None))
    return roles


def paragraph_role(paragraph: Paragraph, roles: dict[str | None, _Role]) -> _Role:
    """The paragraph's own outline level and numbering first, then its style's."""
    style = roles.get(paragraph._p.style, roles[None])
    own = [paragraph._p]
    heading = _outline(own)
    depth = _numbering(own, "")
    return _Role(
        style.heading if heading is None else heading, style.depth if depth is None else depth
    )


class DocxReader:
    """Reads ``.docx`` files with python-docx."""

    suffixes: tuple[str, ...] = (".docx",)

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
        roles = style_roles(document)
        content = list(document.iter_inner_content())
        titled = any(
            isinstance(b, Paragraph) and paragraph_role(b, roles).heading == 0 for b in content
        )
        shift = 1 if titled else 0  # under a Title, Heading 1 is a second-level heading
        items: list[str] = []
        for block in content:
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
            role = paragraph_role(block, roles)
            depth = role.depth
            if depth is not None:
                items.append("  " * depth + "- " + text)
                continue
            if items:
                blocks.append("\n".join(items))
                items = []
            level = role.heading
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
