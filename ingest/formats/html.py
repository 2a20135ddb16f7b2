"""HTML guides (a saved handbook page): the main content as canonical text.

trafilatura finds the main content (no navigation, scripts, cookie banners or footer) and
gives it as XML that keeps heading levels, nested lists, table rows and link targets; its
markdown output drops the heading marks, so this reader renders the XML itself.
"""

from __future__ import annotations

from pathlib import Path

import trafilatura
from lxml import etree
from trafilatura.settings import use_config

from ingest.errors import GuideError
from ingest.formats.canonical import Canonical


def squash(text: str) -> str:
    """One line: every run of whitespace (line breaks, tabs, nbsp) becomes one space."""
    return " ".join(text.split())


def table_lines(rows: list[list[str]]) -> list[str]:
    """Canonical table lines: the first row as the header, a delimiter row, then the rest."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    padded = [
        [cell.replace("|", "\\|") for cell in row] + [""] * (width - len(row)) for row in rows
    ]
    lines = ["| " + " | ".join(row) + " |" for row in padded]
    lines.insert(1, "|" + " --- |" * width)
    return lines


class HtmlReader:
    """Reads ``.html``/``.htm`` pages through trafilatura's main-content extraction."""

    suffixes: tuple[str, ...] = (".html", ".htm")

    def __init__(self) -> None:
        # below MIN_EXTRACTED_SIZE characters trafilatura swaps its result for a flat
        # baseline (nav text and headings run into one paragraph): a short guide is still one
        self.config = use_config()
        self.config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")

    def read(self, path: Path, shown: str | Path) -> Canonical:
        """The page's main content as canonical text, its links kept as metadata."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GuideError(
                shown, f"cannot be read ({exc.strerror or exc}) — check the file"
            ) from None
        if not data.strip():
            raise GuideError(shown, "file is empty — add content or remove it")
        xml = trafilatura.extract(
            data,
            output_format="xml",
            include_tables=True,
            include_links=True,
            include_comments=False,
            include_images=False,
            include_formatting=False,
            favor_recall=True,
            config=self.config,
        )
        if not xml:
            raise GuideError(
                shown, "has no main text that could be found — save the page's article itself"
            )
        main = etree.fromstring(xml.encode("utf-8")).find("main")
        renderer = _Renderer()
        for element in [] if main is None else main:
            renderer.block(element)
        if not renderer.blocks:
            raise GuideError(shown, "has no main text — save the page's article itself")
        return Canonical(text="\n\n".join(renderer.blocks) + "\n", links=tuple(renderer.links))


class _Renderer:
    """Walks trafilatura's XML (head, p, list/item, table/row/cell, ref) into blocks."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.links: list[tuple[str, str]] = []

    def text(self, element: etree._Element, skip: str = "") -> str:
        """The element's text on one line (nested ``skip`` elements left out), links noted."""
        for ref in element.iter("ref"):
            target = ref.get("target")
            if target and ref.xpath(f"not(ancestor::{skip})" if skip else "true()"):
                self.links.append((squash("".join(ref.itertext())), target))
        parts: list[str] = []
        self._collect(element, skip, parts)
        return squash("".join(parts))

    def _collect(self, element: etree._Element, skip: str, parts: list[str]) -> None:
        parts.append(element.text or "")
        for child in element:
            if child.tag != skip:
                if child.tag == "lb":
                    parts.append(" ")
                self._collect(child, skip, parts)
            parts.append(child.tail or "")

    def block(self, element: etree._Element) -> None:
        """Adds one top-level element as canonical block(s)."""
        tag = element.tag
        if tag == "head":
            rend = element.get("rend", "h2")
            level = int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2
            self._add("#" * level + " " + self.text(element))
        elif tag == "list":
            lines: list[str] = []
            self._items(element, 0, lines)
            if lines:
                self.blocks.append("\n".join(lines))
        elif tag == "table":
            rows = [[self.text(cell) for cell in row.iter("cell")] for row in element.iter("row")]
            lines = table_lines(rows)
            if lines:
                self.blocks.append("\n".join(lines))
        else:  # p, quote, code and anything else: one paragraph
            self._add(self.text(element))

    def _add(self, line: str) -> None:
        if line.strip("# "):
            self.blocks.append(line)

    def _items(self, element: etree._Element, depth: int, lines: list[str]) -> None:
        for item in element.iterchildren("item"):
            text = self.text(item, skip="list")
            if text:
                lines.append("  " * depth + "- " + text)
            for sub in item.iterchildren("list"):
                self._items(sub, depth + 1 if text else depth, lines)
