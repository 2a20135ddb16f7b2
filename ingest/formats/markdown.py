"""Markdown guides of any style, read from markdown-it's token stream into canonical text.

Soft breaks join a paragraph, setext headings become ``#`` headings, front matter goes (its
``title`` is kept), HTML blocks become text (tables as rows), template shortcodes and HTML
comments go, links keep their text (the URL goes to ``links``) and images go. Emphasis,
inline code and backslash escapes stay as written, so the text is still markdown that
parses to the same structure; code blocks stay fenced, so a ``#`` in code is no heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from ingest.errors import GuideError
from ingest.formats.canonical import Canonical
from ingest.formats.html import squash, table_lines
from ingest.formats.html_fragments import html_blocks, html_link_target, is_html_tag
from ingest.text import decode, normalise

# Liquid/Jinja tags and outputs, Hugo shortcodes: ``{% page "/x" %}``, ``{{ site.name }}``.
SHORTCODE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
# Entities that decode to markdown syntax stay as written, so the text parses the same.
_MARKUP_CHARACTERS = frozenset("\\`*_{}[]()<>#+-.!|~")


def _strip_shortcodes(state: StateCore) -> None:
    """Core rule run before inline parsing: shortcodes leave inline and HTML content."""
    for token in state.tokens:
        if token.type in ("inline", "html_block") and "{" in token.content:
            token.content = SHORTCODE.sub("", token.content)


def _named(params: str, *_: object) -> bool:
    return bool(params.strip())


def make_parser() -> MarkdownIt:
    """CommonMark with GFM tables, task lists (their boxes go), front matter and ``:::note``
    admonitions (their marks go, their text stays); escapes kept as their own tokens."""
    parser = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)
    parser.use(tasklists_plugin)
    parser.use(container_plugin, "admonition", validate=_named)
    parser.disable("text_join")
    parser.core.ruler.before("inline", "strip_shortcodes", _strip_shortcodes)
    return parser


_PARSER = make_parser()


def _code_span(token: Token) -> str:
    """Inline code as written: its backticks, padded when the code itself starts with one."""
    content = token.content
    if content.startswith("`") or content.endswith("`") or not content.strip():
        content = f" {content} "
    return f"{token.markup}{content}{token.markup}"


def _html_inline(content: str) -> str:
    """An inline tag goes (``<br>`` leaves a space); a non-HTML one (``<DATE>``) is text."""
    if content.startswith(("<!--", "<?", "<!")):
        return ""
    name = content.strip("</>").split(None, 1)[0].lower() if content.strip("</>") else ""
    if not is_html_tag(name):
        return content
    return " " if name == "br" else ""


@dataclass
class _Inline:
    """Renders one inline token's children; links found on the way are noted."""

    links: list[tuple[str, str]]
    table_cell: bool = False

    def render(self, token: Token) -> str:
        parts: list[str] = []
        link_starts: list[tuple[int, str]] = []  # (part index, href) of open links
        plain: list[str] = []  # the plain text of the links being read
        for child in token.children or []:
            kind = child.type
            text = ""
            if kind == "text":
                text = child.content
                plain.append(text)
            elif kind == "text_special":
                text = self._special(child)
                plain.append(child.content)
            elif kind in ("softbreak", "hardbreak"):
                text = " "
                plain.append(text)
            elif kind == "code_inline":
                text = _code_span(child)
                plain.append(child.content)
            elif kind in ("em_open", "em_close", "strong_open", "strong_close"):
                text = child.markup
            elif kind == "html_inline" and child.content[:3].lower() == "<a ":
                link_starts.append((len(plain), html_link_target(child.content)))
            elif kind == "html_inline" and child.content.lower() != "</a>":
                text = _html_inline(child.content)
            elif kind == "link_open":
                link_starts.append((len(plain), str(child.attrs.get("href", ""))))
            elif kind in ("link_close", "html_inline") and link_starts:
                start, href = link_starts.pop()
                label = squash("".join(plain[start:]))
                if label and href:
                    self.links.append((label, href))
            # images go, alt text and all: a picture is not part of the guide's words
            parts.append(text)
        return squash("".join(parts))

    def _special(self, token: Token) -> str:
        if token.info == "escape":  # "\|" in a cell is a pipe, re-escaped with the row
            return token.content if self.table_cell and token.content == "|" else token.markup
        if token.content.isspace():
            return " "
        if token.content in _MARKUP_CHARACTERS and not (self.table_cell and token.content == "|"):
            return token.markup
        return token.content


@dataclass
class _Item:
    """A line of a list block: an item's marker and its first paragraph, or a later
    paragraph of the item (after a blank line, so it stays in the item), indented to the
    item's text as CommonMark nests it: two spaces under ``- ``, three under ``1. ``."""

    prefix: str
    parts: list[str] = field(default_factory=list)
    later: bool = False  # a later paragraph of its item

    @property
    def nested_indent(self) -> str:
        """Where a list nested in this item starts: under its text, or (no text) beside it."""
        width = len(self.prefix) if self.parts else len(self.prefix) - len(self.prefix.lstrip())
        return " " * width

    def line(self) -> str:
        if not self.parts:
            return ""
        return ("\n" if self.later else "") + self.prefix + " ".join(self.parts)


class _Renderer:
    """Walks block tokens into canonical blocks (lists of lines)."""

    def __init__(self) -> None:
        self.blocks: list[list[str] | list[_Item]] = []
        self.links: list[tuple[str, str]] = []
        self.title: str | None = None
        self.lists: list[bool] = []  # the open lists, innermost last: ordered or not
        self.items: list[_Item] = []  # the open list items, innermost last
        self.list_block: list[_Item] | None = None  # where the open lists write their lines
        self.table: list[list[str]] | None = None

    def walk(self, tokens: list[Token]) -> None:
        inline = _Inline(self.links)
        for n, token in enumerate(tokens):
            kind = token.type
            if kind == "front_matter":
                self.title = front_matter_title(token.content)
            elif kind == "heading_open":
                text = inline.render(tokens[n + 1])
                if text:
                    self._block(["#" * int(token.tag[1:]) + " " + text])
            elif kind == "inline" and tokens[n - 1].type == "paragraph_open":
                self._paragraph(inline.render(token))
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.lists.append(kind == "ordered_list_open")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                if not self.lists:  # the next list is a block of its own
                    self.list_block = None
            elif kind == "list_item_open":
                self._open_item(token)
            elif kind == "list_item_close":
                self.items.pop()
            elif kind in ("fence", "code_block"):
                self._code(token)
            elif kind == "html_block":
                for lines in html_blocks(token.content, self.links):
                    self._block(lines)
            elif kind == "table_open":
                self.table = []
            elif kind == "tr_open" and self.table is not None:
                self.table.append([])
            elif kind == "inline" and self.table and tokens[n - 1].type in ("th_open", "td_open"):
                self.table[-1].append(_Inline(self.links, table_cell=True).render(token))
            elif kind == "table_close" and self.table is not None:
                self._block(table_lines(self.table))
                self.table = None
            # hr, blockquote and paragraph marks carry no words

    def _block(self, lines: list[str]) -> None:
        """A block of its own; a list it interrupts goes on in a new block."""
        if lines:
            self.blocks.append(lines)
            self.list_block = None

    def _list_lines(self) -> list[_Item]:
        if self.list_block is None:
            self.list_block = []
            self.blocks.append(self.list_block)
        return self.list_block

    def _paragraph(self, text: str) -> None:
        if not text:
            return
        if not self.items:
            self._block([text])
            return
        item, lines = self.items[-1], self._list_lines()
        if not item.parts and lines and lines[-1] is item:
            item.parts.append(text)
        else:  # a later paragraph of the item, in reading order (after any nested list)
            lines.append(_Item(" " * len(item.prefix), [text], later=True))

    def _open_item(self, token: Token) -> None:
        marker = f"{token.info}{token.markup} " if self.lists[-1] else "- "
        indent = self.items[-1].nested_indent if self.items else ""
        item = _Item(indent + marker)
        self._list_lines().append(item)
        self.items.append(item)

    def _code(self, token: Token) -> None:
        fence = token.markup if token.type == "fence" else "```"
        info = token.info.strip() if token.type == "fence" else ""
        body = token.content.rstrip("\n")
        self._block([fence + info, *([body] if body else []), fence])

    def text(self) -> str:
        rendered = []
        for block in self.blocks:
            lines = [item.line() if isinstance(item, _Item) else item for item in block]
            lines = [line for line in lines if line]
            if lines:
                rendered.append("\n".join(lines))
        return "\n\n".join(rendered) + "\n" if rendered else ""


def front_matter_title(content: str) -> str | None:
    """The ``title:`` of YAML front matter, or None when it has none (or is not YAML)."""
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError:
        return None
    title = data.get("title") if isinstance(data, dict) else None
    if not isinstance(title, str | int | float):  # absent, or a list or mapping: no title
        return None
    return squash(str(title)) or None


def canonical_markdown(text: str) -> Canonical:
    """A markdown guide as canonical text (see :mod:`ingest.formats.canonical`)."""
    renderer = _Renderer()
    renderer.walk(_PARSER.parse(normalise(text)))
    return Canonical(text=renderer.text(), links=tuple(renderer.links), title=renderer.title)


class MarkdownReader:
    """Reads ``.md``/``.markdown`` guides through markdown-it's tokens."""

    suffixes: tuple[str, ...] = (".md", ".markdown")

    def read(self, path: Path, shown: str | Path) -> Canonical:
        """The guide as canonical text, its links kept as metadata."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GuideError(
                shown, f"cannot be read ({exc.strerror or exc}) — check the file"
            ) from None
        return self.read_text(decode(data, shown), shown)

    def read_text(self, text: str, shown: str | Path) -> Canonical:
        """Canonical text of a guide's markdown, already decoded."""
        canonical = canonical_markdown(text)
        if not canonical.text.strip():
            raise GuideError(
                shown, "has no text outside front matter, comments and shortcodes — add content"
            )
        return canonical
