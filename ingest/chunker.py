"""Chunking: one chunk per section, long sections split by tokens at natural boundaries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from coach.errors import ConfigError
from coach.schema import Chunk
from coach.settings import Settings
from coach.tokens import count_tokens
from coach.units.index import SectionText
from ingest.loader import Guide, Section

Counter = Callable[[str], int]

# Split points, best first (regexes; the splitter keeps each separator with the text after it,
# so every piece stays a verbatim slice of the guide):
SEPARATORS = [
    r"(?<![:\n])\n\n+",  # paragraphs and blocks, but not between a lead-in ("…:") and its list
    r"\n\n+",
    # a line break that starts a new block: not into a list item, a table row or an
    # indented continuation (keeps "intro:" + its list, and tables, together in plain text)
    r"\n(?![ \t]|[-*+•]\s|\d{1,3}[.)]\s|[^\n]*\|)",
    r"\n(?=\d{1,3}[.)]\s)",  # between numbered steps (each with its bullets)
    r"\n",  # between list items / table rows, never inside a row
    r"(?<=[.!?])\s+",  # between sentences
    r"(?<=[,;:])\s+",
    r"\s+",
    "",
]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_chunk_id(source: str, title: str, section: str, position: int, text_hash: str) -> str:
    """Same guide content -> same id, on every run and machine.

    The title is part of the id because it is stored on every chunk: a new title must
    rewrite them all, not leave stale metadata under unchanged ids.
    """
    key = "\x1f".join((source, title, section, str(position), text_hash))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def check_chunking(settings: Settings) -> None:
    """Settings allow each value alone; together the overlap must fit inside a chunk."""
    if settings.chunk_overlap >= settings.chunk_tokens:
        raise ConfigError(
            f"COACH_CHUNK_OVERLAP ({settings.chunk_overlap}) must be smaller than "
            f"COACH_CHUNK_TOKENS ({settings.chunk_tokens}); lower the overlap."
        )


def make_splitter(
    chunk_tokens: int, chunk_overlap: int, count: Counter = count_tokens
) -> RecursiveCharacterTextSplitter:
    """A token-measured splitter that prefers paragraph, block, line, then sentence breaks."""
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="start",
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        length_function=count,
    )


def split_section(
    section: Section, chunk_tokens: int, chunk_overlap: int, count: Counter = count_tokens
) -> list[str]:
    """The section whole if it fits in ``chunk_tokens``, else verbatim pieces that each do.

    The heading stays with the start of the body: a chunk holding only a heading would
    match queries well and answer nothing.
    """
    if count(section.text) <= chunk_tokens:
        return [section.text]
    head, body = section.text[: section.body_offset], section.body
    room = chunk_tokens - count(head) - 1  # -1: a token may form across the join
    if not head or room < chunk_tokens // 2:  # no heading, or one too long to keep whole
        return split_text(section.text, chunk_tokens, chunk_overlap, count)
    pieces = split_text(body, room, min(chunk_overlap, room // 2), count)
    first = section.text[: section.body_offset + body.find(pieces[0]) + len(pieces[0])]
    if count(first) > chunk_tokens:
        return [head.strip(), *pieces]
    return [first, *pieces[1:]]


def split_text(
    text: str, chunk_tokens: int, chunk_overlap: int, count: Counter = count_tokens
) -> list[str]:
    """Verbatim pieces of ``text`` of at most ``chunk_tokens`` each."""
    if count(text) <= chunk_tokens:
        return [text]
    splitter = make_splitter(chunk_tokens, chunk_overlap, count)
    return _split(text, splitter, chunk_tokens, chunk_tokens, count)


def _split(
    text: str, splitter: RecursiveCharacterTextSplitter, size: int, limit: int, count: Counter
) -> list[str]:
    pieces = []
    for piece in splitter.split_text(text):
        # The splitter adds up the tokens of its pieces; the joined text can count a token
        # or two more. Such rare pieces are split again, tighter, so the limit always holds.
        if count(piece) <= limit or size <= 1:
            pieces.append(piece)
        else:
            tighter = max(size * 3 // 4, 1)
            pieces.extend(_split(piece, make_splitter(tighter, 0, count), tighter, limit, count))
    return pieces


@dataclass(frozen=True)
class TokenWindow:
    """How the embedding model measures text, and how many tokens it reads at most."""

    count: Counter = count_tokens
    size: int | None = None  # None: no window (only COACH_CHUNK_TOKENS applies)

    @classmethod
    def of(cls, embeddings: object) -> TokenWindow:
        """The window of an embeddings provider that exposes ``count_tokens`` and ``window``."""
        count = getattr(embeddings, "count_tokens", None)
        size = getattr(embeddings, "window", None)
        if callable(count) and isinstance(size, int):
            return cls(count=count, size=size)
        return cls()

    def limit(self, chunk: Chunk | None, wanted: int) -> int:
        """Tokens a chunk's own text may use so that its embedded text fits the window."""
        if self.size is None or chunk is None:
            return wanted
        prefix = self.count(chunk.embedding_text()[: -len(chunk.text) or None])
        return max(16, min(wanted, self.size - prefix))


def chunk_guide(guide: Guide, settings: Settings, window: TokenWindow | None = None) -> list[Chunk]:
    """The chunks of ``guide`` (see :func:`chunk_sections`)."""
    return [chunk for chunk, _ in chunk_sections(guide, settings, window)]


def chunk_sections(
    guide: Guide, settings: Settings, window: TokenWindow | None = None
) -> list[tuple[Chunk, SectionText]]:
    """The chunks of ``guide``, each with where it lies in its section's text: sections in
    order, none longer than ``chunk_tokens``.

    ``text`` is always a verbatim passage of the guide (citations quote it); the section's
    heading is part of it only where the guide has it, in the section's first chunk. With a
    ``window`` (the embedding model's tokenizer and length), chunks are measured in its
    tokens and sized so that title, section and text are all read: nothing is cut off.
    """
    check_chunking(settings)
    window = window or TokenWindow()
    chunks: list[tuple[Chunk, SectionText]] = []
    for section in guide.sections:
        probe = Chunk("", "", guide.source, guide.title, section.name, 0, 0, "")
        size = window.limit(probe, settings.chunk_tokens)
        overlap = min(settings.chunk_overlap, size // 4)
        at = 0
        for text in split_section(section, size, overlap, window.count):
            if not text.strip():
                continue
            found = section.text.find(text, at)
            at = found if found >= 0 else at
            digest = content_hash(text)
            position = len(chunks)
            chunk = Chunk(
                chunk_id=make_chunk_id(guide.source, guide.title, section.name, position, digest),
                text=text,
                source=guide.source,
                title=guide.title,
                section=section.name,
                position=position,
                tokens=count_tokens(text),
                content_hash=digest,
                page=guide.page_of(section, at),
            )
            chunks.append((chunk, SectionText(section.text, at)))
    return chunks
