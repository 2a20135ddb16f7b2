"""Hybrid retrieval: Chroma vector search + BM25, fused by reciprocal rank, spread across guides."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from coach.bm25 import BM25Index
from coach.keywords import GENERIC_WORDS, names_in, terms
from coach.schema import Chunk, Retrieved
from coach.settings import Settings
from coach.store import GuideStore
from coach.units.index import UnitIndex, keyword_terms


@dataclass(frozen=True)
class Query:
    """One phrasing of what the user asks, with its weight in the fusion."""

    text: str
    weight: float = 1.0


@dataclass
class Retrieval:
    """What retrieval found: the context and how relevant it is to the question."""

    context: list[Retrieved]
    best_similarity: float
    unknown_terms: list[str] = field(default_factory=list)  # asked-for words no guide uses
    relevance: float = -1.0  # similarity adjusted by keyword evidence; compared to the floor
    rare_hit: bool = False  # a distinctive question word was matched in the context
    unknown_topics: list[str] = field(default_factory=list)  # of them, not names: the penalised
    query_vectors: dict[str, list[float]] = field(default_factory=dict)  # text -> its vector
    vector_model: str = ""  # the model that made them

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(r.chunk.source for r in self.context))


class Retriever(Protocol):
    """What the chain asks of retrieval, as ``AnswerGenerator`` is what it asks of the reader.

    ``retrieve`` ranks the context for the queries; ``idf`` weighs a follow-up's words for
    the offline query expansion; ``warm_up`` loads what the first question would.
    """

    @property
    def idf(self) -> dict[str, float]: ...

    def retrieve(self, queries: list[Query]) -> Retrieval: ...

    def warm_up(self) -> None: ...


COMMON_IDF = 0.5  # idf under this: the word is in 60% of the chunks or more


class _KeywordIndex:
    """BM25 over the stored chunks (section and text), rebuilt when the store changes."""

    def __init__(self, chunks: list[Chunk], docs: list[list[str]] | None = None) -> None:
        self.chunks = chunks
        # Section and text; titles count through _boost_named_guides. Ingest stores them.
        docs = docs if docs is not None else [keyword_terms(c) for c in chunks]
        self.bm25 = BM25Index(docs) if chunks else None
        df = Counter(t for doc in docs for t in set(doc))
        # Plain log(N/df): 0 for a word in every chunk (BM25's own idf floors those at a
        # positive epsilon, which hides how common they are).
        self.idf: dict[str, float] = {t: math.log(len(docs) / n) for t, n in df.items()}
        self.title_terms = {c.source: frozenset(terms(c.title)) for c in chunks}
        limit = max(2, len(docs) // 10)
        self.distinctive = frozenset(t for t, n in df.items() if n <= limit)

    def search(self, text: str, n: int) -> list[tuple[Chunk, float]]:
        query = [t for t in terms(text) if t not in GENERIC_WORDS]
        if self.bm25 is None or not query:
            return []
        scores = self.bm25.scores(query)
        hits = np.flatnonzero(scores > 0)
        ranked = hits[np.lexsort((hits, -scores[hits]))][:n]  # best first, ties in chunk order
        return [(self.chunks[i], float(scores[i])) for i in ranked]


class HybridRetriever(Retriever):
    """Finds the chunks that answer a question, from vectors and keywords together."""

    def __init__(
        self, store: GuideStore, settings: Settings, units: UnitIndex | None = None
    ) -> None:
        self.store = store
        self.settings = settings
        self.units = units
        self._index: _KeywordIndex | None = None

    @property
    def keyword_index(self) -> _KeywordIndex:
        chunks = self.store.all_chunks()
        if self._index is None or self._index.chunks is not chunks:
            self._index = self.index_for(chunks)
        return self._index

    @property
    def idf(self) -> dict[str, float]:
        return self.keyword_index.idf

    def warm_up(self) -> None:
        """Load the embedding model, the chunks and their keyword index."""
        self.store.embeddings.embed_query("warm up")
        _ = self.keyword_index

    def index_for(self, chunks: list[Chunk]) -> _KeywordIndex:
        """BM25 over ``chunks``, from the terms ingest stored when it has them."""
        if self.units is None:
            return _KeywordIndex(chunks)
        return _KeywordIndex(chunks, [self.units.terms_of(c) for c in chunks])

    def _terms_of(self, chunk: Chunk) -> list[str]:
        return self.units.terms_of(chunk) if self.units else keyword_terms(chunk)

    def reload(self) -> int:
        """Swap in the store's current chunks and their keyword index; returns the count."""
        chunks = self.store.reload()
        self._index = self.index_for(chunks)
        return len(chunks)

    def retrieve(self, queries: list[Query], k: int | None = None) -> Retrieval:
        """Fuse vector and BM25 rankings of every query; keep ``k`` chunks, capped per guide."""
        s = self.settings
        k = k or s.top_k
        fused: dict[str, float] = defaultdict(float)
        found: dict[str, Retrieved] = {}
        best = -1.0
        vectors: dict[str, list[float]] = {}
        for query in queries:
            vector = self.store.embeddings.embed_query(query.text)
            vectors[query.text] = vector
            for rank, (chunk, sim) in enumerate(self.store.search(vector, s.candidates), 1):
                hit = found.setdefault(chunk.chunk_id, Retrieved(chunk=chunk, score=0.0))
                hit.similarity = max(hit.similarity or -1.0, sim)
                hit.ranks.setdefault(f"vector:{query.text}", rank)
                fused[chunk.chunk_id] += query.weight * s.vector_weight / (s.rrf_k + rank)
                if query.weight >= 1.0:
                    best = max(best, sim)
            for rank, (chunk, score) in enumerate(
                self.keyword_index.search(query.text, s.candidates), 1
            ):
                hit = found.setdefault(chunk.chunk_id, Retrieved(chunk=chunk, score=0.0))
                hit.bm25 = max(hit.bm25 or 0.0, score)
                hit.ranks.setdefault(f"bm25:{query.text}", rank)
                fused[chunk.chunk_id] += query.weight * s.bm25_weight / (s.rrf_k + rank)
            self._boost_named_guides(query, found, fused)
        if best < 0 and found:  # only weighted-down queries ran: judge by them
            best = max(h.similarity or -1.0 for h in found.values())
        for chunk_id, score in fused.items():
            hit = found[chunk_id]
            # A chunk that is little more than a heading ("Reality Check. Before making this
            # transition…") matches many questions and answers none: weigh it down.
            hit.score = score * min(1.0, 0.5 + hit.chunk.tokens / (2 * s.short_chunk_tokens))
        ranked = sorted(found.values(), key=lambda r: (-r.score, r.chunk.chunk_id))
        context = self._diversify(ranked, k)
        main = [q for q in queries if q.weight >= 1.0] or queries
        unknown, rare_hit = self._keyword_evidence(main, context)
        # A name no guide has ("Berlin", "Copilot") is a detail the guides may not mention
        # while covering the topic; the coverage judge weighs it. Topic words are penalised.
        named = {t for q in main for name in names_in(q.text) for t in terms(name)}
        topics = [t for t in unknown if t not in named]
        relevance = best - s.unknown_term_penalty * min(2, len(topics))
        if not topics and rare_hit:
            relevance += s.keyword_bonus
        return Retrieval(
            context,
            best,
            unknown,
            relevance,
            rare_hit,
            unknown_topics=topics,
            query_vectors=vectors,
            vector_model=self.store.model_id,
        )

    def _boost_named_guides(
        self, query: Query, found: dict[str, Retrieved], fused: dict[str, float]
    ) -> None:
        """Favour the guides whose title names what the query asks about ("travel nursing").

        A user who talks about a role wants that role's guide; the boost is the share of the
        query's distinctive words found in the guide's title, worth at most a first rank.
        """
        s = self.settings
        index = self.keyword_index
        asked = {t for t in terms(query.text) if index.idf.get(t, 0.0) >= COMMON_IDF}
        if not asked or not s.title_weight:
            return
        for chunk_id, hit in found.items():
            title = index.title_terms.get(hit.chunk.source, frozenset())
            overlap = len(asked & title) / len(asked)
            if overlap:
                fused[chunk_id] += query.weight * s.title_weight * overlap / (s.rrf_k + 1)

    def _keyword_evidence(
        self, queries: list[Query], context: list[Retrieved]
    ) -> tuple[list[str], bool]:
        """Words of the question no guide uses, and whether a distinctive word was matched.

        Embeddings find *something* close to any question ("dentist" lands near "become an
        engineer"); a topic word that appears in no guide is the stronger sign of a question
        the guides don't cover.
        """
        index = self.keyword_index
        if not index.idf:
            return [], False
        asked = {t for q in queries for t in terms(q.text) if t.isalpha()}
        unknown = sorted(
            t for t in asked if t not in index.idf and t not in GENERIC_WORDS and len(t) >= 3
        )
        seen = {t for hit in context for t in self._terms_of(hit.chunk)}
        rare_hit = any(t in index.distinctive and t in seen for t in asked)
        return unknown, rare_hit

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
