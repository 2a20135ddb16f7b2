"""An answer's markdown as safe HTML, with its ``[n]`` markers turned into citation links.

markdown-it-py (CommonMark + tables, raw HTML disabled) renders; nh3 then keeps only a
small set of tags and attributes, so nothing a guide or a user wrote can run in the page.
Links go only to ``COACH_LINK_ORIGINS``: the coach writes others as text before an answer is
stored, and the renderer does again for answers stored before the setting changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from coach.citations import ANSWER_MARKERS
from coach.links import allowed, guard_links
from coach.schema import Citation

# "[1]", "[1, 2]", "[1; 3]"; "[1][3]" is two markers.
LINK_REL = "nofollow noopener noreferrer"

ALLOWED_TAGS = {
    *("p", "br", "strong", "em", "code", "pre", "blockquote", "hr", "a"),
    *("ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "data-cite", "title"}, "ol": {"start"}},
    tag_attribute_values={"a": {"rel": {LINK_REL}}},
    allowed_classes={"a": {"cite"}},
    url_schemes={"http", "https", "mailto"},
    link_rel=None,
    strip_comments=True,
)


def cite_link(number: int) -> str:
    return f'<a class="cite" href="#cite-{number}" data-cite="{number}">[{number}]</a>'


def _split_markers(text: str, known: set[int]) -> list[Token]:
    """Text tokens with the citation markers of ``known`` numbers made into links."""
    tokens: list[Token] = []
    last = 0

    def add_text(content: str) -> None:
        if content:
            token = Token("text", "", 0)
            token.content = content
            tokens.append(token)

    for match in ANSWER_MARKERS.finditer(text):
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
        if not any(n in known for n in numbers):
            continue
        add_text(text[last : match.start()])
        for n in numbers:
            if n in known:
                link = Token("html_inline", "", 0)
                link.content = cite_link(n)
                tokens.append(link)
            else:
                add_text(f"[{n}]")
        last = match.end()
    add_text(text[last:])
    return tokens


def _link_citations(state: StateCore) -> None:
    """Core rule: rewrite markers in plain text (never in code) into citation links."""
    known: set[int] = state.env.get("citations", set())
    if not known:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for child in block.children:
            if child.type == "text" and "[" in child.content:
                children.extend(_split_markers(child.content, known))
            else:
                children.append(child)
        block.children = children


def _mark_links(state: StateCore) -> None:
    """Core rule: links from the markdown never pass on the page as referrer or endorse,
    and a link the text guard missed, to an origin not allowed, becomes its label."""
    origins: frozenset[str] = state.env.get("origins", frozenset())
    for block in state.tokens:
        if not block.children:
            continue
        children: list[Token] = []
        dropped = 0
        for child in block.children:
            if child.type == "link_open" and not allowed(str(child.attrGet("href")), origins):
                dropped += 1
                continue
            if child.type == "link_close" and dropped:
                dropped -= 1
                continue
            if child.type == "link_open":
                child.attrSet("rel", LINK_REL)
            children.append(child)
        block.children = children


def _image_as_text(
    self: object, tokens: Sequence[Token], idx: int, options: object, env: object
) -> str:
    """Images are not shown (no remote loads from answers): their alt text is."""
    return escapeHtml(tokens[idx].content)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    # "[1]: …" lines in an answer must stay text, not define where "[1]" links.
    md.disable("reference")
    md.core.ruler.push("link_citations", _link_citations)
    md.core.ruler.push("mark_links", _mark_links)
    md.add_render_rule("image", _image_as_text)
    return md


_md = _markdown()


def render_answer(
    text: str, citations: Iterable[Citation] = (), origins: Iterable[str] = ()
) -> str:
    """Sanitized HTML of an answer; ``[n]`` links only for the numbers in ``citations``,
    other links only to ``origins`` (``COACH_LINK_ORIGINS``)."""
    return _render(text, frozenset(c.id for c in citations), frozenset(origins))


@lru_cache(maxsize=2048)  # the same answers come back (repeated questions, session reloads)
def _render(text: str, known: frozenset[int], origins: frozenset[str]) -> str:
    env = {"citations": set(known), "origins": origins}
    return _cleaner.clean(_md.render(guard_links(text, origins), env)).strip()
