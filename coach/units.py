"""The units of every stored chunk, in memory: what ingest computed, loaded once at start.

A chunk that has no stored units (a store another machine ingested into a shared Chroma
server, say) gets them computed on first use, and a warning says to run ``coach ingest``.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.derived import ChunkUnits, DerivedStore
from coach.generators.sentences import split_units, unit_spans
from coach.keywords import terms
from coach.schema import Chunk

logger = logging.getLogger(__name__)


def keyword_terms(chunk: Chunk) -> list[str]:
    """What BM25 indexes of a chunk: its section and text (titles count through the
    named-guide boost instead)."""
    return terms(f"{chunk.section} {chunk.text}")


def derive_units(
    chunks: list[Chunk], embeddings: Embeddings
) -> tuple[list[list[float]], list[ChunkUnits]]:
    """The chunks' vectors and their units with unit vectors, from one pass of the model.

    With the local model a unit's vector pools the chunk's own token states over the unit's
    span (no second pass); another provider embeds the unit texts separately.
    """
    units = [split_units(c.text, c.section) for c in chunks]
    texts = [c.embedding_text() for c in chunks]
    embed_with_spans = getattr(embeddings, "embed_with_spans", None)
    if callable(embed_with_spans):
        spans = []
        for chunk, text, found in zip(chunks, texts, units, strict=True):
            offset = len(text) - len(chunk.text)
            spans.append([(a + offset, b + offset) for a, b in unit_spans(chunk.text, found)])
        pooled, per_chunk = embed_with_spans(texts, spans)
        vectors = [list(map(float, v)) for v in pooled]
    else:
        vectors = [list(v) for v in embeddings.embed_documents(texts)]
        flat = [
            f"{c.title}. {u.scoring_text}" for c, us in zip(chunks, units, strict=True) for u in us
        ]
        got = np.asarray(embeddings.embed_documents(flat), dtype=np.float32) if flat else None
        per_chunk, row = [], 0
        for us in units:
            block = got[row : row + len(us)] if got is not None else np.zeros((0, 1))
            norms = np.linalg.norm(block, axis=1, keepdims=True) if len(us) else 1.0
            per_chunk.append(block / np.clip(norms, 1e-12, None))
            row += len(us)
    records = [
        ChunkUnits(
            c.chunk_id,
            c.content_hash,
            us,
            np.asarray(v, dtype=np.float32),
            tuple(keyword_terms(c)),
        )
        for c, us, v in zip(chunks, units, per_chunk, strict=True)
    ]
    return vectors, records


class UnitIndex:
    """Chunk id → its units and unit vectors, loaded from the derived store."""

    def __init__(self, derived: DerivedStore, embeddings: Embeddings) -> None:
        self.derived = derived
        self.embeddings = embeddings
        self._records: dict[str, ChunkUnits] = {}
        self._generation: str | None = None
        self._lock = threading.Lock()

    def load(self) -> int:
        """(Re)load every stored record; returns how many chunks have units."""
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
        logger.warning(
            "No stored units for a chunk of %s; computing them now. Run `coach ingest` so "
            "the store carries them.",
            chunk.source,
        )
        _, (record,) = derive_units([chunk], self.embeddings)
        with self._lock:
            self._records[chunk.chunk_id] = record
        return record
