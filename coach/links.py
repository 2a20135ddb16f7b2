"""Links in answers go only where the operator allows (``COACH_LINK_ORIGINS``).

A guide can hold a link to anywhere, and an answer quoting it would hand the reader a live
link to a page nobody vetted (a phishing login, an executable). Every other link is written
as plain text that names its host: ``[portal](https://x.test/login)`` becomes
``portal (x.test)``, a bare ``https://x.test/a.exe`` becomes ``x.test``, so the reader sees
where it pointed and cannot click it. Citation markers are not links and are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# [label](target "title") — the label without brackets, the target without spaces
_MARKDOWN_LINK = re.compile(
    r"!?\[(?P<label>[^\[\]\n]*)\]\(\s*<?(?P<url>(?:[^\s()<>]|\([^\s()<>]*\))*)>?(?:\s+[^)]*)?\)"
)
_AUTOLINK = re.compile(
    r"<(?P<url>[a-zA-Z][a-zA-Z0-9+.\-]{1,31}:[^\s<>]*|[\w.!#$%&'*+/=?^`{|}~-]+@[\w.-]+)>"
)
_BARE = re.compile(r"(?P<url>\b(?:https?://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?\"'])", re.I)
# where a link may begin: "[", "![", "<", a URL, or a last word that may grow into one
_RISKY = re.compile(
    r"!?\[|!$|<|\b(?:h(?:t(?:t(?:p(?:s)?)?)?)?|w(?:w(?:w)?)?)$|\bhttps?:|\bwww\.", re.I
)
HOLD_LIMIT = 2000  # characters a stream holds back at most while a link may still be open


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL (``www.`` means https), or None."""
    if url.lower().startswith("www."):
        url = f"https://{url}"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    shown = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}{shown}"


def normalise_origins(origins: Iterable[str]) -> frozenset[str]:
    """The allowed origins in :func:`origin` form; an entry that names none is an error."""
    found: set[str] = set()
    for entry in origins:
        allowed = origin(entry)
        if allowed is None:
            raise ValueError(f"{entry!r} is not an http(s) origin such as https://careers.example")
        found.add(allowed)
    return frozenset(found)


def host(url: str) -> str:
    """Where a link points, as the reader should see it: its host, the address of an email
    link, or "link removed" when it names neither."""
    if url.lower().startswith("mailto:"):
        url = url[len("mailto:") :]
    if "@" in url and "/" not in url:
        return url.split("?")[0]
    if re.match(r"[a-zA-Z][\w+.\-]*:(?!//)", url):
        return "link removed"  # javascript:, data:, tel: … name no host
    try:
        name = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        name = None
    return re.sub(r"[^\w.\-].*", "", name or "") or "link removed"


def allowed(url: str, origins: frozenset[str]) -> bool:
    """Whether a link to ``url`` may stay live: same-page anchors, or an allowed origin."""
    if url.startswith("#"):
        return True
    found = origin(url)
    return found is not None and found in origins


def as_text(label: str, url: str) -> str:
    """A link written as text: its label and host, or only the host when it has no label."""
    label = label.strip()
    where = host(url)
    if not label or label.rstrip("/") == url.rstrip("/"):
        return where
    return f"{label} ({where})"


def guard_links(text: str, origins: frozenset[str]) -> str:
    """``text`` with every link to an origin outside ``origins`` written as plain text."""

    def markdown(match: re.Match[str]) -> str:
        url = match["url"]
        return match[0] if allowed(url, origins) else as_text(match["label"], url)

    def autolink(match: re.Match[str]) -> str:
        url = match["url"]
        return match[0] if allowed(url, origins) else as_text("", url)

    def bare(match: re.Match[str]) -> str:
        url = match["url"]
        return url if allowed(url, origins) else as_text("", url)

    kept: list[str] = []  # allowed links, set aside so the bare-URL pass leaves them whole

    def keep(rewrite: re.Match[str], replaced: str) -> str:
        if replaced != rewrite[0]:
            return replaced
        kept.append(replaced)
        return f"\x00{len(kept) - 1}\x00"

    text = _MARKDOWN_LINK.sub(lambda m: keep(m, markdown(m)), text)
    text = _AUTOLINK.sub(lambda m: keep(m, autolink(m)), text)
    text = _BARE.sub(bare, text)
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m[1])], text)


class LinkGuard:
    """:func:`guard_links` over streamed pieces: text that may still become a link is held
    back until it is whole (or :data:`HOLD_LIMIT` long), so no piece carries a live link."""

    def __init__(self, origins: frozenset[str]) -> None:
        self.origins = origins
        self.pending = ""

    def feed(self, piece: str) -> str:
        """The guarded text that is safe to pass on now."""
        self.pending += piece
        cut = self._safe_end(self.pending)
        ready, self.pending = self.pending[:cut], self.pending[cut:]
        return guard_links(ready, self.origins)

    def flush(self) -> str:
        """The rest, at the end of the stream (or at a restart)."""
        ready, self.pending = self.pending, ""
        return guard_links(ready, self.origins)

    @staticmethod
    def _safe_end(text: str) -> int:
        """Where the text that cannot change any more ends: before the first place in the open
        paragraph where a link may still be forming, unless that is too long to be one."""
        paragraph = text.rfind("\n\n")
        at = max(paragraph + 2 if paragraph >= 0 else 0, len(text) - HOLD_LIMIT)
        while (risky := _RISKY.search(text, at)) is not None:
            end = _closed_at(text, risky.start())
            if end is None:
                return risky.start()
            at = max(end, risky.end())
        return len(text)


def _closed_at(text: str, start: int) -> int | None:
    """Where the construct that may be a link at ``start`` ends, or None while it is open."""
    if text[start] == "!":  # an image's "!" goes with its "[", or stands alone
        if start + 1 >= len(text):
            return None
        if text[start + 1] != "[":
            return start + 1
        start += 1
    char = text[start]
    if char == "[":
        close = text.find("]", start)
        if close < 0 or close + 1 >= len(text):
            return None  # "[label]" may still be followed by "(url)"
        if text[close + 1] != "(":
            return close + 1
        depth = 0
        for at in range(close + 1, len(text)):  # the target may hold one pair of parentheses
            depth += {"(": 1, ")": -1}.get(text[at], 0)
            if depth == 0 or text[at] == "\n":
                return at + 1
        return None
    if char == "<":
        end = re.compile(r"[>\s]").search(text, start + 1)
        return None if end is None else end.end()
    space = re.compile(r"\s").search(text, start)
    return None if space is None else space.start()
