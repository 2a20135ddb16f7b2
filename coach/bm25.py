"""Okapi BM25 over an inverted index: a query costs its terms' postings, not the corpus.

Scores equal ``rank_bm25.BM25Okapi``'s (same k1, b, idf and its floor for very common
words), but only the documents that hold a query term are touched, so a question costs
about the same on 600 chunks as on 10,000.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

K1 = 1.5
B = 0.75
EPSILON = 0.25  # a word in over half the documents gets this share of the mean idf


class BM25Index:
    """Term → (document indices, term frequencies), document lengths and idf."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self.size = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        average = float(lengths.mean()) if self.size else 0.0
        # The length part of the denominator, per document, computed once.
        self._norm = K1 * (1 - B + B * lengths / (average or 1.0))
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                ids, tfs = postings.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        self._postings = {
            t: (np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float64))
            for t, (ids, tfs) in postings.items()
        }
        raw = {
            t: math.log(self.size - len(p[0]) + 0.5) - math.log(len(p[0]) + 0.5)
            for t, p in self._postings.items()
        }
        floor = EPSILON * (sum(raw.values()) / len(raw)) if raw else 0.0
        self.idf = {t: (v if v >= 0 else floor) for t, v in raw.items()}

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """One score per document (0 where no query term occurs); repeated terms count again."""
        total = np.zeros(self.size)
        for term in query:
            posting = self._postings.get(term)
            if posting is None:
                continue
            ids, tf = posting
            total[ids] += self.idf[term] * tf * (K1 + 1) / (tf + self._norm[ids])
        return total
