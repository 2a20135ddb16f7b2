"""The units of every stored chunk, in memory: what ingest computed, loaded once at start.

A chunk that has no stored units (a store another machine ingested into a shared Chroma
server, say) gets them computed on first use, and a warning says to run ``coach ingest``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.keywords import terms
from coach.schema import Chunk
from coach.units.split import Unit, split_units, unit_spans
from coach.units.store import ChunkUnits, DerivedStore

logger = logging.getLogger(__name__)


def keyword_terms(chunk: Chunk) -> list[str]:
    """What BM25 indexes of a chunk: its section and text (titles count through the
    named-guide boost instead)."""
    return terms(f"{chunk.section} {chunk.text}")


@dataclass(frozen=True)
class SectionText:
    """Where a chunk lies in its guide: its section's whole text, and the chunk's offset."""

    text: str
    offset: int


def chunk_units(
    chunk: Chunk, section: SectionText | None = None
) -> tuple[tuple[Unit, ...], list[tuple[int, int]]]:
    """The chunk's units and where each stands in the chunk's text.

    With its ``section``, units are split from the section's text, so a sentence that the
    chunk's edge cuts is still one whole unit: every unit the chunk's text overlaps, its span
    clipped to the chunk. Without it, the chunk's own text is split.
    """
    if section is None:
        units = split_units(chunk.text, chunk.section)
        return units, unit_spans(chunk.text, units)
    everything = split_units(section.text, chunk.section)
    low, high = section.offset, section.offset + len(chunk.text)
    kept: list[Unit] = []
    spans: list[tuple[int, int]] = []
    for unit, (a, b) in zip(everything, unit_spans(section.text, everything), strict=True):
        if a < high and b > low:
            kept.append(replace(unit, index=len(kept)))
            spans.append((max(a, low) - low, min(b, high) - low))
    return tuple(kept), spans


def derive_units(
    chunks: list[Chunk],
    embeddings: Embeddings,
    sections: Sequence[SectionText | None] | None = None,
) -> tuple[list[list[float]], list[ChunkUnits]]:
    """The chunks' vectors and their units, each unit with two vectors.

    With the local model a unit's passage vector pools the chunk's own token states over the
    unit's span (no second pass over the chunk); every unit is also embedded on its own,
    after its guide's title and heading. Another provider embeds the units on their own only.
    ``sections`` (one per chunk, from ingest) lets units be whole sentences of the section.
    """
    found = [chunk_units(c, sections[i] if sections else None) for i, c in enumerate(chunks)]
    units = [u for u, _ in found]
    texts = [c.embedding_text() for c in chunks]
    own = _own_vectors(chunks, units, embeddings)
    embed_with_spans = getattr(embeddings, "embed_with_spans", None)
    if callable(embed_with_spans):
        spans = []
        for chunk, text, (_, where) in zip(chunks, texts, found, strict=True):
            offset = len(text) - len(chunk.text)
            spans.append([(a + offset, b + offset) for a, b in where])
        pooled, per_chunk = embed_with_spans(texts, spans)
        vectors = [list(map(float, v)) for v in pooled]
    else:
        vectors = [list(v) for v in embeddings.embed_documents(texts)]
        per_chunk = own  # embedded on their own already: one vector serves as both
    records = [
        ChunkUnits(
            c.chunk_id,
            c.content_hash,
            us,
            np.asarray(v, dtype=np.float32),
            tuple(keyword_terms(c)),
            own=None if per_chunk is own else o,
        )
        for c, us, v, o in zip(chunks, units, per_chunk, own, strict=True)
    ]
    return vectors, records


def _own_vectors(
    chunks: list[Chunk], units: Sequence[Sequence[Unit]], embeddings: Embeddings
) -> list[np.ndarray]:
    """Each chunk's units embedded one by one ("<guide title>. <heading>: <text>"), L2-normed."""
    flat = [f"{c.title}. {u.scoring_text}" for c, us in zip(chunks, units, strict=True) for u in us]
    got = np.asarray(embeddings.embed_documents(flat), dtype=np.float32) if flat else None
    per_chunk, row = [], 0
    for us in units:
        block = got[row : row + len(us)] if got is not None else np.zeros((0, 1), np.float32)
        norms = np.linalg.norm(block, axis=1, keepdims=True) if len(us) else 1.0
        per_chunk.append(block / np.clip(norms, 1e-12, None))
        row += len(us)
    return per_chunk


class UnitIndex:
    """Chunk id → its units and unit vectors, loaded from the derived store."""

    def __init__(self, derived: DerivedStore | None, embeddings: Embeddings) -> None:
        self.derived = derived
        self.embeddings = embeddings
        self._records: dict[str, ChunkUnits] = {}
        self._generation: str | None = None
        self._lock = threading.Lock()

    def load(self) -> int:
        """(Re)load every stored record; returns how many chunks have units."""
        if self.derived is None:  # nothing stored: every chunk's units computed on first use
            self._generation = ""
            return 0
        generation = self.derived.generation()
        records = self.derived.load()
        with self._lock:
            self._records = records
            self._generation = generation
        return len(records)

    def mark_stale(self) -> None:
        """Forget which generation is loaded, so the next check reloads."""
        self._generation = "stale"

    @property
    def generation(self) -> str | None:
        return self._generation

    def terms_of(self, chunk: Chunk) -> list[str]:
        """The chunk's keyword terms as ingest stored them (computed when missing)."""
        record = self._records.get(chunk.chunk_id)
        if record is not None and record.content_hash == chunk.content_hash:
            return list(record.terms)
        return keyword_terms(chunk)

    def get(self, chunk: Chunk) -> ChunkUnits:
        """The chunk's units; computed now (and kept) when ingest did not store them."""
        if self._generation is None:
            self.load()
        record = self._records.get(chunk.chunk_id)
        if record is not None and record.content_hash == chunk.content_hash:
            return record
        if self.derived is not None:
            logger.warning(
                "No stored units for a chunk of %s; computing them now. Run `coach ingest` "
                "so the store carries them.",
                chunk.source,
            )
        _, (record,) = derive_units([chunk], self.embeddings)
        with self._lock:
            self._records[chunk.chunk_id] = record
        return record
