"""Chunking: one chunk per section, long sections split by tokens at natural boundaries."""

from __future__ import annotations

import hashlib

from langchain_text_splitters import RecursiveCharacterTextSplitter

from coach.errors import ConfigError
from coach.schema import Chunk
from coach.settings import Settings
from coach.tokens import count_tokens
from ingest.loader import Guide, Section

# Split points, best first (regexes; the splitter keeps each separator with the text after it,
# so every piece stays a verbatim slice of the guide):
SEPARATORS = [
    r"\n\n+",  # paragraphs and blocks in markdown
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


def make_splitter(chunk_tokens: int, chunk_overlap: int) -> RecursiveCharacterTextSplitter:
    """A token-measured splitter that prefers paragraph, block, line, then sentence breaks."""
    return RecursiveCharacterTextSplitter(
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="start",
        chunk_size=chunk_tokens,
        chunk_overlap=chunk_overlap,
        length_function=count_tokens,
    )


def split_section(section: Section, chunk_tokens: int, chunk_overlap: int) -> list[str]:
    """The section whole if it fits in ``chunk_tokens``, else verbatim pieces that each do.

    The heading stays with the start of the body: a chunk holding only a heading would
    match queries well and answer nothing.
    """
    if count_tokens(section.text) <= chunk_tokens:
        return [section.text]
    head, body = section.text[: section.body_offset], section.body
    room = chunk_tokens - count_tokens(head) - 1  # -1: a token may form across the join
    if not head or room < chunk_tokens // 2:  # no heading, or one too long to keep whole
        return split_text(section.text, chunk_tokens, chunk_overlap)
    pieces = split_text(body, room, min(chunk_overlap, room // 2))
    first = section.text[: section.body_offset + body.find(pieces[0]) + len(pieces[0])]
    if count_tokens(first) > chunk_tokens:
        return [head.strip(), *pieces]
    return [first, *pieces[1:]]


def split_text(text: str, chunk_tokens: int, chunk_overlap: int) -> list[str]:
    """Verbatim pieces of ``text`` of at most ``chunk_tokens`` each."""
    if count_tokens(text) <= chunk_tokens:
        return [text]
    return _split(text, make_splitter(chunk_tokens, chunk_overlap), chunk_tokens, chunk_tokens)


def _split(text: str, splitter: RecursiveCharacterTextSplitter, size: int, limit: int) -> list[str]:
    pieces = []
    for piece in splitter.split_text(text):
        # The splitter adds up the tokens of its pieces; the joined text can count a token
        # or two more. Such rare pieces are split again, tighter, so the limit always holds.
        if count_tokens(piece) <= limit or size <= 1:
            pieces.append(piece)
        else:
            tighter = max(size * 3 // 4, 1)
            pieces.extend(_split(piece, make_splitter(tighter, 0), tighter, limit))
    return pieces


def chunk_guide(guide: Guide, settings: Settings) -> list[Chunk]:
    """The chunks of ``guide``: sections in order, none longer than ``chunk_tokens``.

    ``text`` is always a verbatim passage of the guide (citations quote it); the section's
    heading is part of it only where the guide has it, in the section's first chunk.
    """
    check_chunking(settings)
    chunks: list[Chunk] = []
    for section in guide.sections:
        for text in split_section(section, settings.chunk_tokens, settings.chunk_overlap):
            if not text.strip():
                continue
            digest = content_hash(text)
            position = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=make_chunk_id(
                        guide.source, guide.title, section.name, position, digest
                    ),
                    text=text,
                    source=guide.source,
                    title=guide.title,
                    section=section.name,
                    position=position,
                    tokens=count_tokens(text),
                    content_hash=digest,
                )
            )
    return chunks
