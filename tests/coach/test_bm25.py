"""The inverted-index BM25 scores exactly as rank_bm25's BM25Okapi, on the real guides."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from coach.bm25 import BM25Index
from coach.keywords import terms
from ingest.loader import load_guide
from tests.support import SEEDS

QUERIES = [
    "How long does the transition take?",
    "salary salary engineer",  # a repeated term counts twice, as in BM25Okapi
    "RAG vector databases evaluation",
    "what ai engineer backend",  # words in most documents: the idf floor
    "kubernetes dentist",  # words in no document
]


@pytest.fixture(scope="module")
def docs() -> list[list[str]]:
    sections = [s for p in sorted(SEEDS.iterdir()) for s in load_guide(p).sections]
    return [terms(f"{s.name} {s.text}") for s in sections]


@pytest.mark.parametrize("question", QUERIES)
def test_scores_equal_rank_bm25(docs: list[list[str]], question: str) -> None:
    query = terms(question)
    expected = BM25Okapi(docs).get_scores(query)
    got = BM25Index(docs).scores(query)
    assert np.allclose(got, expected, atol=1e-9)


def test_an_empty_index_scores_nothing() -> None:
    assert BM25Index([]).scores(["word"]).shape == (0,)
