"""Between the coach's markdown and Slack's text: answers to mrkdwn, questions to plain text.

Slack's mrkdwn is not markdown: ``*bold*``, ``_italic_``, ``~strike~``, ``<url|label>``
links, no headings, no nested markup; ``&``, ``<`` and ``>`` must be escaped. Citation
markers (``[1]``) pass through as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

SAFE_SCHEMES = ("http://", "https://", "mailto:")
BULLET = "•"
INDENT = "    "

_md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_md.disable("reference")  # "[1]: …" lines stay text, as in the widget

# Slack's own markup in a message: <@U123>, <#C123|general>, <!here>, <https://x|label>
_SLACK_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def escape(text: str) -> str:
    """Slack's three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """A mrkdwn link; the label may not hold ``|`` or ``>``."""
    return f"<{url}|{escape(label).replace('|', '¦')}>"


def _inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its label starts in out)
    marks = {"strong": "*", "em": "_", "s": "~"}
    for token in children:
        kind = token.type
        if kind == "text":
            out.append(escape(token.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "code_inline":
            out.append(f"`{escape(token.content)}`")
        elif kind in ("image", "html_inline"):  # an image shows as its alt text
            out.append(escape(token.content))
        elif kind.endswith(("_open", "_close")) and kind.rsplit("_", 1)[0] in marks:
            out.append(marks[kind.rsplit("_", 1)[0]])
        elif kind == "link_open":
            links.append((str(token.attrGet("href") or ""), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:])
            del out[start:]
            if href.startswith(SAFE_SCHEMES):
                out.append(f"<{href}|{label.replace('|', '¦')}>" if label else f"<{href}>")
            else:
                out.append(label)
    return "".join(out)


@dataclass
class _Writer:
    """Collects the rendered blocks: list lines sit close, other blocks a blank line apart."""

    blocks: list[tuple[str, bool]] = field(default_factory=list)
    lists: list[list[int | None]] = field(default_factory=list)  # next number, None = bullets
    item_prefix: str | None = None
    quote: int = 0

    def emit(self, text: str, tight: bool = False) -> None:
        if self.quote:
            text = "\n".join(f"> {line}" for line in text.split("\n"))
        self.blocks.append((text, tight))

    def text(self) -> str:
        out = ""
        for index, (text, tight) in enumerate(self.blocks):
            if index:
                out += "\n" if tight and self.blocks[index - 1][1] else "\n\n"
            out += text
        return out


def to_mrkdwn(markdown: str) -> str:
    """The coach's markdown answer as Slack mrkdwn."""
    writer = _Writer()
    heading = False
    row: list[str] | None = None
    for token in _md.parse(markdown):
        kind = token.type
        if kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            writer.lists.append([None] if kind == "bullet_list_open" else [int(start or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            writer.lists.pop()
        elif kind == "list_item_open":
            counter = writer.lists[-1]
            marker = BULLET if counter[0] is None else f"{counter[0]}."
            if counter[0] is not None:
                counter[0] += 1
            writer.item_prefix = INDENT * (len(writer.lists) - 1) + marker + " "
        elif kind == "blockquote_open":
            writer.quote += 1
        elif kind == "blockquote_close":
            writer.quote -= 1
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            writer.emit(" | ".join(row), tight=True)
            row = None
        elif kind == "inline":
            text = _inline(token.children or [])
            if row is not None:
                row.append(text)
                continue
            if heading:
                text = f"*{text}*"
            if writer.item_prefix is not None:
                text = writer.item_prefix + text.replace("\n", "\n" + INDENT * len(writer.lists))
                writer.item_prefix = None
            elif writer.lists:
                text = INDENT * len(writer.lists) + text
            writer.emit(text, tight=bool(writer.lists))
        elif kind in ("fence", "code_block"):
            writer.emit(f"```\n{escape(token.content.rstrip())}\n```")
        elif kind == "hr":
            writer.emit("———")
    return writer.text()


def to_plain(text: str, bot_user_id: str | None = None) -> str:
    """A Slack message as the coach reads it: the bot's mention dropped, other markup as
    the words it shows, entities decoded."""

    def shown(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if bot_user_id and target == f"@{bot_user_id}":
            return ""
        if label:
            return label if target[:1] not in "#@!" else target[0] + label
        return target.removeprefix("!")

    plain = _SLACK_MARKUP.sub(shown, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(plain.split())
