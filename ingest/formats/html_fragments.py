"""HTML written inside a markdown guide (an HTML block): its text as canonical blocks.

Headings stay headings, lists become items and tables become rows; comments, scripts,
styles and images go, and links keep their text (the URL is noted apart).
"""

from __future__ import annotations

from lxml import etree, html
from lxml.html import defs
from markdown_it.common.html_blocks import block_names

from ingest.formats.html import squash, table_lines

_SKIPPED = frozenset(("script", "style", "template", "noscript", "head", "img", "svg", "iframe"))
_BLOCKS = frozenset(block_names)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


def is_html_tag(name: str) -> bool:
    """Whether ``name`` is an HTML element (``<DATE>`` in prose is a placeholder, not one)."""
    return name in defs.tags or name in _BLOCKS


def _tag(element: etree._Element) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""  # "" for a comment


class _Fragment:
    """Walks one fragment's elements, gathering inline text until a block element."""

    def __init__(self, links: list[tuple[str, str]]) -> None:
        self.links = links
        self.blocks: list[list[str]] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        text = squash("".join(self.buffer))
        if text:
            self.blocks.append([text])
        self.buffer.clear()

    def contents(self, element: etree._Element) -> None:
        self.buffer.append(element.text or "")
        for child in element:
            self.node(child)
            self.buffer.append(child.tail or "")

    def node(self, element: etree._Element) -> None:
        tag = _tag(element)
        if not tag or tag in _SKIPPED:
            return
        if tag == "br":
            self.buffer.append(" ")
        elif tag in _HEADINGS:
            self.flush()
            text = inline_text(element, self.links)
            if text:
                self.blocks.append(["#" * _HEADINGS[tag] + " " + text])
        elif tag in ("ul", "ol"):
            self.flush()
            lines: list[str] = []
            _items(element, "", lines, self.links)
            if lines:
                self.blocks.append(lines)
        elif tag == "table":
            self.flush()
            rows = [
                [inline_text(cell, self.links) for cell in row if _tag(cell) in ("th", "td")]
                for row in element.iter("tr")
            ]
            lines = table_lines(rows)
            if lines:
                self.blocks.append(lines)
        elif tag in _BLOCKS:
            self.flush()
            self.contents(element)
            self.flush()
        else:
            self.buffer.append(_inline(element, self.links))


def _inline(element: etree._Element, links: list[tuple[str, str]], skip: str = "") -> str:
    """The text of an inline element (a component's too, ``<Tabs>``); a link's target noted."""
    tag = _tag(element)
    if not tag or tag in _SKIPPED or tag in skip.split():
        return ""
    if tag == "br":
        return " "
    parts = [element.text or ""]
    for child in element:
        parts.append(_inline(child, links, skip))
        parts.append(child.tail or "")
    text = "".join(parts)
    href = element.get("href") if tag == "a" else None
    if href and squash(text):
        links.append((squash(text), href))
    return text


def inline_text(element: etree._Element, links: list[tuple[str, str]], skip: str = "") -> str:
    """An element's text on one line, nested ``skip`` elements (tag names) left out."""
    parts = [element.text or ""]
    for child in element:
        parts.append(_inline(child, links, skip))
        parts.append(child.tail or "")
    return squash("".join(parts))


def _items(
    element: etree._Element, indent: str, lines: list[str], links: list[tuple[str, str]]
) -> None:
    """A list's items, nested ones indented to their parent's text as CommonMark nests them."""
    ordered = _tag(element) == "ol"
    start = element.get("start", "1")
    number = int(start) if start.isdigit() else 1
    for item in element.iterchildren("li"):
        text = inline_text(item, links, skip="ul ol")
        inner = indent
        if text:
            marker = f"{number}. " if ordered else "- "
            lines.append(indent + marker + text)
            inner = indent + " " * len(marker)
            number += 1
        for sub in item.iterchildren("ul", "ol"):
            _items(sub, inner, lines, links)


def html_link_target(tag: str) -> str:
    """The ``href`` of an opening ``<a ...>`` tag written inline in markdown ("" if none)."""
    try:
        return html.fragment_fromstring(tag + "</a>").get("href") or ""
    except (etree.ParserError, ValueError):
        return ""


def html_blocks(content: str, links: list[tuple[str, str]]) -> list[list[str]]:
    """The canonical blocks of an HTML fragment (none for a comment or a lone closing tag)."""
    if not content.strip():
        return []
    try:
        root = html.fragment_fromstring(content, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    fragment = _Fragment(links)
    fragment.contents(root)
    fragment.flush()
    return fragment.blocks
