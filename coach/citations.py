"""Citations: the two marker grammars, numbering and checks shared by every generator.

An answer cites with ``[n]`` markers (``ANSWER_MARKER``); ``n`` counts sources in order of
first use, one number per chunk, and every number has exactly one ``Citation``. A language
model writes looser markers (``MODEL_MARKER``: ``[3]``, ``[1, 2]``, ``[2-4]``) that name the
prompt's numbered excerpts; ``coach.llm.review`` renumbers them into the answer grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from coach.schema import Chunk, Citation, Retrieved

# The answer grammar: what the coach's answers carry, one number a marker ("[2]").
ANSWER_MARKER = re.compile(r"\[(\d+)\]")
# The same grammar as a reader meets it, one or more numbers a marker ("[1, 3]").
ANSWER_MARKERS = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# The model grammar: what a language model writes ("[3]", "[1, 2]", "[1][3]", "[2-4]").
MODEL_MARKER = re.compile(r"(?P<space>[ \t]*)\[\s*(?P<body>\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]")
_MODEL_PART = re.compile(r"(\d+)\s*[\-–]\s*(\d+)|(\d+)")
MAX_RANGE = 10  # "[2-4]" expands; "[1-200]" does not
NOT_A_CITATION = 1000  # "[2019]", "[2019-2024]": years, kept as written
_MARKER_GROUP = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]")  # "[1, 3]"
_REPEATED = re.compile(r"(\[\d+\])(?:\s*\1)+")  # "[2][2]" → "[2]"
_SPACED_MARKER = re.compile(r"(\s*)\[(\d+)\]")
SNIPPET_CHARS = 300


def cited_numbers(text: str) -> list[int]:
    """The numbers of the ``[n]`` markers in ``text``, in order of appearance."""
    return [int(n) for n in ANSWER_MARKER.findall(text)]


def marker_numbers(body: str) -> list[int]:
    """The citation numbers a model marker's body names: ``"1, 3-4"`` → ``[1, 3, 4]``."""
    found: list[int] = []
    for start, end, single in _MODEL_PART.findall(body):
        if single:
            found.append(int(single))
        elif 0 <= int(end) - int(start) <= MAX_RANGE:
            found.extend(range(int(start), int(end) + 1))
    return [n for n in found if n < NOT_A_CITATION]


def trim_text(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-—")
    return f"{cut}…"


def make_snippet(passages: Sequence[str], limit: int = SNIPPET_CHARS) -> str:
    """The cited passages in reading order, joined by " … " and kept to about ``limit`` chars.

    The first passage is always there (trimmed if it alone is too long); later ones are
    added while they fit.
    """
    unique = list(dict.fromkeys(p.strip() for p in passages if p.strip()))
    if not unique:
        return ""
    snippet = trim_text(unique[0], limit)
    for passage in unique[1:]:
        if len(snippet) + 3 + len(passage) > limit:
            break
        snippet = f"{snippet} … {passage}"
    return snippet


def citation_for(number: int, chunk: Chunk, snippet: str | None = None) -> Citation:
    """The citation entry for ``chunk`` (snippet: the cited passage, else its opening)."""
    return Citation(
        id=number,
        source=chunk.source,
        title=chunk.title,
        section=chunk.section,
        snippet=snippet or trim_text(chunk.text),
        chunk_id=chunk.chunk_id,
        page=chunk.page,
    )


def build_citations(used: Sequence[tuple[Chunk, Sequence[str]]]) -> list[Citation]:
    """Citations numbered 1..n for chunks in order of first use, each with its passages.

    A chunk listed twice keeps its first number and gathers both lists of passages.
    """
    numbers = CitationNumbers()
    for chunk, passages in used:
        numbers.cite(chunk)
        for position, passage in enumerate(passages):
            numbers.cite(chunk, passage, position)
    return numbers.citations()


class CitationNumbers:
    """Hands out citation numbers in order of first use, one per chunk."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._chunks: list[Chunk] = []
        self._passages: list[dict[str, int]] = []  # passage -> position in its chunk

    def cite(self, chunk: Chunk, passage: str | None = None, position: int = 0) -> int:
        """The number of ``chunk`` (new on first use); ``passage`` joins its snippet."""
        number = self._numbers.get(chunk.chunk_id)
        if number is None:
            self._chunks.append(chunk)
            self._passages.append({})
            number = self._numbers[chunk.chunk_id] = len(self._chunks)
        if passage:
            self._passages[number - 1].setdefault(passage, position)
        return number

    def citations(self, limit: int = SNIPPET_CHARS) -> list[Citation]:
        """One entry per cited chunk, ``id`` 1..n, snippets in the chunk's reading order."""
        entries = []
        for number, (chunk, passages) in enumerate(
            zip(self._chunks, self._passages, strict=True), 1
        ):
            ordered = sorted(passages, key=lambda p: passages[p])
            entries.append(citation_for(number, chunk, make_snippet(ordered, limit) or None))
        return entries


def renumber_citations(
    text: str,
    context: Sequence[Retrieved] | Sequence[Chunk],
    snippets: Mapping[int, str] | None = None,
) -> tuple[str, list[Citation]]:
    """Turn markers into the numbered context (``[k]`` = ``context[k-1]``) into answer citations.

    For generators that cite the context as it was numbered in their prompt: markers are
    renumbered 1, 2, 3 in order of first use, two context entries of the same chunk share
    a number, ``[1, 3]`` becomes ``[1][3]``, and markers pointing outside the context are
    dropped. ``snippets`` may give the passage used from context entry ``k``.
    """
    chunks = [item.chunk if isinstance(item, Retrieved) else item for item in context]
    numbers = CitationNumbers()

    def expand(match: re.Match[str]) -> str:
        return "".join(f"[{n.strip()}]" for n in re.split(r"[,;]", match.group(1)))

    def replace(match: re.Match[str]) -> str:
        k = int(match.group(2))
        if not 1 <= k <= len(chunks):
            return ""  # with the space before it
        passage = (snippets or {}).get(k)
        return f"{match.group(1)}[{numbers.cite(chunks[k - 1], passage)}]"

    text = _SPACED_MARKER.sub(replace, _MARKER_GROUP.sub(expand, text))
    return _REPEATED.sub(r"\1", text), numbers.citations()


def validate_citations(text: str, citations: Sequence[Citation]) -> list[str]:
    """What is wrong with an answer's citations; empty when every rule holds.

    Rules: ids are 1..n in list order; every ``[n]`` has an entry; every entry is cited;
    numbers first appear in order 1, 2, 3…; one entry per chunk; entries name a source.
    """
    problems: list[str] = []
    ids = [c.id for c in citations]
    if ids != list(range(1, len(citations) + 1)):
        problems.append(f"citation ids are {ids}, expected 1..{len(citations)} in order")
    used = cited_numbers(text)
    known = set(ids)
    problems += [f"[{n}] has no citation" for n in sorted(set(used) - known)]
    problems += [f"citation {n} is never cited" for n in sorted(known - set(used))]
    first_use = list(dict.fromkeys(n for n in used if n in known))
    if first_use != sorted(first_use):
        problems.append(f"numbers first appear as {first_use}, not in order of first use")
    chunk_ids = [c.chunk_id for c in citations]
    if len(set(chunk_ids)) != len(chunk_ids):
        problems.append("two citations point to the same chunk")
    problems += [f"citation {c.id} has no source" for c in citations if not c.source]
    problems += [f"citation {c.id} has no snippet" for c in citations if not c.snippet.strip()]
    return problems
