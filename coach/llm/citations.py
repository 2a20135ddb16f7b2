"""Citation markers of a streamed LLM answer, renumbered as the text flows.

The model cites the numbered guide excerpts of its prompt (``[3]``, ``[1, 2]``, ``[1][3]``,
``[2-4]``). Numbers are handed out in order of first use, so a marker's final number is
known the moment it closes: the text can be renumbered on the fly. Only a possibly
unfinished marker (``"… months [1"``) and trailing spaces (which a dropped marker takes
with it) are held back until the next piece decides them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.generators.citations import CitationNumbers
from coach.schema import Chunk, Citation

MARKER = re.compile(r"(?P<space>[ \t]*)\[\s*(?P<body>\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]")
_UNDECIDED_TAIL = re.compile(r"(?:\s*\[[\d\s,;\-–]*|\s+)$")
_PART = re.compile(r"(\d+)\s*[\-–]\s*(\d+)|(\d+)")
MAX_RANGE = 10  # "[2-4]" expands; "[1-200]" does not
NOT_A_CITATION = 1000  # "[2019]", "[2019-2024]": years, kept as written


def marker_numbers(body: str) -> list[int]:
    """The citation numbers a marker's body names: ``"1, 3-4"`` → ``[1, 3, 4]``."""
    found: list[int] = []
    for start, end, single in _PART.findall(body):
        if single:
            found.append(int(single))
        elif 0 <= int(end) - int(start) <= MAX_RANGE:
            found.extend(range(int(start), int(end) + 1))
    return [n for n in found if n < NOT_A_CITATION]


class CitationStream:
    """Renumbers the markers of text fed piece by piece; ``feed`` returns what is settled."""

    def __init__(self, context: Sequence[Chunk]) -> None:
        self.context = list(context)
        self.numbers = CitationNumbers()
        self.raw = ""  # the model's text as received
        self.text = ""  # everything released so far
        self._pending = ""
        self._last_marker: int | None = None  # set while only markers/space follow it
        self.dropped: list[int] = []  # cited numbers that match no excerpt

    def feed(self, piece: str) -> str:
        """Take a piece of the model's text; return the renumbered text now settled."""
        self.raw += piece
        self._pending += piece
        tail = _UNDECIDED_TAIL.search(self._pending)
        cut = tail.start() if tail else len(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._release(ready)

    def finish(self) -> str:
        """The rest of the text (an unfinished marker stays as it was written)."""
        rest, self._pending = self._pending.rstrip(), ""
        return self._release(rest)

    @property
    def cited(self) -> bool:
        """Whether any marker matched an excerpt."""
        return bool(self.citations())

    def citations(self) -> list[Citation]:
        """One entry per cited excerpt, ``id`` in order of first use."""
        return self.numbers.citations()

    def _release(self, ready: str) -> str:
        out: list[str] = []
        position = 0
        for match in MARKER.finditer(ready):
            out.append(self._plain(ready[position : match.start()]))
            out.append(self._marker(match))
            position = match.end()
        out.append(self._plain(ready[position:]))
        released = "".join(out)
        if not self.text:
            released = released.lstrip()
        self.text += released
        return released

    def _plain(self, text: str) -> str:
        if text.strip():
            self._last_marker = None
        return text

    def _marker(self, match: re.Match[str]) -> str:
        named = marker_numbers(match.group("body"))
        if not named:  # "[2019-2024]": not a citation
            return match.group(0)
        kept: list[int] = []
        for n in named:
            if not 1 <= n <= len(self.context):
                self.dropped.append(n)
                continue
            number = self.numbers.cite(self.context[n - 1])
            if number != self._last_marker and number not in kept:
                kept.append(number)
                self._last_marker = number
        if not kept:
            return ""  # with the space before it
        return match.group("space") + "".join(f"[{n}]" for n in kept)


def renumber(text: str, context: Sequence[Chunk]) -> tuple[str, list[Citation]]:
    """A whole answer renumbered (the same rules as streaming)."""
    stream = CitationStream(context)
    stream.feed(text)
    stream.finish()
    return stream.text, stream.citations()
