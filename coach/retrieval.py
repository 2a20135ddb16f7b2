"""Hybrid retrieval: Chroma vector search + BM25, fused by reciprocal rank, spread across guides."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rank_bm25 import BM25Okapi

from coach.keywords import terms
from coach.schema import Chunk, Retrieved
from coach.settings import Settings
from coach.store import GuideStore


@dataclass(frozen=True)
class Query:
    """One phrasing of what the user asks, with its weight in the fusion."""

    text: str
    weight: float = 1.0


@dataclass
class Retrieval:
    """What retrieval found: the context and how relevant its best match is."""

    context: list[Retrieved]
    best_similarity: float

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(r.chunk.source for r in self.context))


class _KeywordIndex:
    """BM25 over the stored chunks (title, section and text), rebuilt when the store changes."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        docs = [terms(f"{c.title} {c.section} {c.text}") for c in chunks]
        self.bm25 = BM25Okapi(docs) if chunks else None
        self.idf: dict[str, float] = dict(self.bm25.idf) if self.bm25 else {}

    def search(self, text: str, n: int) -> list[tuple[Chunk, float]]:
        query = terms(text)
        if self.bm25 is None or not query:
            return []
        scores = self.bm25.get_scores(query)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        return [(self.chunks[i], float(scores[i])) for i in ranked[:n] if scores[i] > 0]


class HybridRetriever:
    """Finds the chunks that answer a question, from vectors and keywords together."""

    def __init__(self, store: GuideStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._index: _KeywordIndex | None = None

    @property
    def keyword_index(self) -> _KeywordIndex:
        chunks = self.store.all_chunks()
        if self._index is None or self._index.chunks is not chunks:
            self._index = _KeywordIndex(chunks)
        return self._index

    def retrieve(self, queries: list[Query], k: int | None = None) -> Retrieval:
        """Fuse vector and BM25 rankings of every query; keep ``k`` chunks, capped per guide."""
        s = self.settings
        k = k or s.top_k
        fused: dict[str, float] = defaultdict(float)
        found: dict[str, Retrieved] = {}
        best = -1.0
        for query in queries:
            vector = self.store.embeddings.embed_query(query.text)
            for rank, (chunk, sim) in enumerate(self.store.search(vector, s.candidates), 1):
                hit = found.setdefault(chunk.chunk_id, Retrieved(chunk=chunk, score=0.0))
                hit.similarity = max(hit.similarity or -1.0, sim)
                hit.ranks.setdefault(f"vector:{query.text[:40]}", rank)
                fused[chunk.chunk_id] += query.weight * s.vector_weight / (s.rrf_k + rank)
                if query.weight >= 1.0:
                    best = max(best, sim)
            for rank, (chunk, score) in enumerate(
                self.keyword_index.search(query.text, s.candidates), 1
            ):
                hit = found.setdefault(chunk.chunk_id, Retrieved(chunk=chunk, score=0.0))
                hit.bm25 = max(hit.bm25 or 0.0, score)
                hit.ranks.setdefault(f"bm25:{query.text[:40]}", rank)
                fused[chunk.chunk_id] += query.weight * s.bm25_weight / (s.rrf_k + rank)
        if best < 0 and found:  # only weighted-down queries ran: judge by them
            best = max(h.similarity or -1.0 for h in found.values())
        for chunk_id, score in fused.items():
            found[chunk_id].score = score
        ranked = sorted(found.values(), key=lambda r: (-r.score, r.chunk.chunk_id))
        return Retrieval(context=self._diversify(ranked, k), best_similarity=best)

    def _diversify(self, ranked: list[Retrieved], k: int) -> list[Retrieved]:
        """Best first, at most ``max_per_guide`` chunks of one guide (relaxed if too few guides)."""
        cap = self.settings.max_per_guide
        chosen: list[Retrieved] = []
        per_guide: dict[str, int] = defaultdict(int)
        for hit in ranked:
            if per_guide[hit.chunk.source] < cap:
                chosen.append(hit)
                per_guide[hit.chunk.source] += 1
            if len(chosen) == k:
                return chosen
        for hit in ranked:  # fewer guides than k/cap: fill up with the best of the rest
            if len(chosen) == k:
                break
            if hit not in chosen:
                chosen.append(hit)
        chosen.sort(key=lambda r: -r.score)
        return chosen
