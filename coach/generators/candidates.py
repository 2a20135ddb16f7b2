"""The units of a question's retrieved chunks, scored once for everything that weighs them.

The coverage judge and the extractive answer both read the same scored units: the chain
wraps retrieval's context in a ``ScoredContext`` and hands it to both, so the units are
scored at most once per question, and only if one of them asks (an LLM answer never does
unless it falls back to the extractive one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.citations import ANSWER_MARKER
from coach.generators.features import Candidate, featurize, term_set
from coach.generators.parts import question_parts
from coach.generators.scorer import StatementScorer, default_scorer
from coach.schema import Retrieved, Turn
from coach.units.index import UnitIndex
from coach.units.split import Unit

MAX_CHUNKS = 12  # chunks mined for units (the context is ranked best first)


def _informative(unit: Unit) -> bool:
    """Says something on its own: not a fragment, an empty cell or a stray citation marker."""
    text = unit.text
    if ANSWER_MARKER.search(text) or not any(ch.isalpha() for ch in text):
        return False
    if unit.kind == "sentence" and (text[:1].islower() or len(text.split()) < 3):
        return False
    return len(term_set(text)) >= 1


def _dedup_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9$%]+", " ", text.lower()).split())


def _said(history: Sequence[Turn]) -> str:
    """What the coach already said in this conversation, without its citation markers."""
    said = ANSWER_MARKER.sub("", " ".join(t.content for t in history if t.role == "assistant"))
    return re.sub(r" +([.,;:!?])", r"\1", said)


class CandidateScorer:
    """Rates every informative unit of the top chunks: the fitted scorer's probability that
    it carries what the question asks, from the features of ``features.py``."""

    def __init__(
        self,
        embeddings: Embeddings,
        units: UnitIndex | None = None,
        scorer: StatementScorer | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.units = units or UnitIndex(None, embeddings)  # None: computed on first use
        self._scorer = scorer

    @property
    def scorer(self) -> StatementScorer:
        """The given scorer, else the committed model (loaded on first use)."""
        if self._scorer is None:
            self._scorer = default_scorer()
        return self._scorer

    @scorer.setter
    def scorer(self, scorer: StatementScorer) -> None:
        self._scorer = scorer

    def context(
        self, question: str, context: Iterable[Retrieved], history: Sequence[Turn] = ()
    ) -> ScoredContext:
        """``context`` with its units to be scored for ``question`` on first use."""
        return ScoredContext(context, self, question, history)

    def score(
        self, question: str, context: Sequence[Retrieved], history: Sequence[Turn] = ()
    ) -> list[Candidate]:
        """The informative units of the top chunks, scored; exact repeats removed.

        A compound question's units are also scored against each of its asks, and keep
        their best score.
        """
        said = _said(history)
        query = self._query_vector(question)
        seen: set[str] = set()
        found: list[Candidate] = []
        for rank, hit in enumerate(context[:MAX_CHUNKS]):
            record = self.units.get(hit.chunk)
            chunk_sim = hit.similarity
            if chunk_sim is None and len(record.vectors):
                chunk_sim = float((record.vectors @ query).max())
            for unit, vector, own in zip(
                record.units, record.vectors, record.own_vectors, strict=True
            ):
                key = _dedup_key(unit.text)
                if key in seen or not _informative(unit):
                    continue
                seen.add(key)
                found.append(
                    Candidate(
                        unit,
                        hit.chunk,
                        rank,
                        vector,
                        chunk_similarity=chunk_sim or 0.0,
                        own_vector=own,
                        repeated=bool(said) and unit.text in said,
                    )
                )
        rows = featurize(query, question, found)
        part_rows = [
            featurize(self._query_vector(part), part, found) for part in question_parts(question)
        ]
        scores = self.scorer.unit_scores(rows, part_rows)
        for i, (candidate, score) in enumerate(zip(found, scores, strict=True)):
            candidate.features = rows[i]
            candidate.part_features = tuple(part[i] for part in part_rows)
            candidate.score = float(score)
        return found

    def _query_vector(self, text: str) -> np.ndarray:
        query = np.asarray(self.embeddings.embed_query(text), dtype=np.float32)
        return query / max(float(np.linalg.norm(query)), 1e-12)


class ScoredContext(list[Retrieved]):
    """One question's retrieved context (a list, best first) with its units scored for it.

    The chain builds one per question and hands it on: generators take it as any context,
    and whoever reads ``candidates`` first (the judge, the extractive answer) scores them.
    """

    def __init__(
        self,
        context: Iterable[Retrieved],
        scorer: CandidateScorer,
        question: str,
        history: Sequence[Turn] = (),
    ) -> None:
        super().__init__(context)
        self.scorer = scorer
        self.question = question
        self.history = list(history)

    @cached_property
    def candidates(self) -> list[Candidate]:
        return self.scorer.score(self.question, self, self.history)
