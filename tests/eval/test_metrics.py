"""Every metric on hand-made inputs whose scores are known."""

from __future__ import annotations

import asyncio
import math

import pytest

from coach.schema import Chunk, Citation
from eval.golden import GoldenItem
from eval.harness import Record, deterministic_scores
from eval.metrics import (
    NAN,
    citations_valid,
    cites_expected,
    hit_at_k,
    mean_value,
    percentile,
    reciprocal_rank,
    refusal_correct,
    source_recall_at_k,
)
from eval.ragas_metrics import OfflineRagas, RagasCase

A, B, C = "a.md", "b.md", "c.md"


# Retrieval ---------------------------------------------------------------------------


def test_source_recall_at_k() -> None:
    assert source_recall_at_k([A, B, C], [A, C], k=3) == 1.0
    assert source_recall_at_k([A, B, C], [A, C], k=2) == 0.5
    assert source_recall_at_k([B, B], [A], k=2) == 0.0
    with pytest.raises(ValueError):
        source_recall_at_k([A], [], k=1)


def test_hit_rate() -> None:
    assert hit_at_k([B, C, A], [A], k=3) == 1.0
    assert hit_at_k([B, C, A], [A], k=2) == 0.0
    assert hit_at_k([], [A], k=4) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank([A, B], [A]) == 1.0
    assert reciprocal_rank([B, B, C, A], [A, C]) == pytest.approx(1 / 3)
    assert reciprocal_rank([B], [A]) == 0.0


# Citations and refusals --------------------------------------------------------------


def test_citations_valid() -> None:
    retrieved = {"c1", "c2"}
    assert citations_valid("X [1]. Y [2].", [(1, "c1"), (2, "c2")], retrieved)
    assert not citations_valid("X [1].", [(1, "c9")], retrieved)  # not a retrieved chunk
    assert not citations_valid("X [1] [3].", [(1, "c1")], retrieved)  # [3] has no citation
    assert not citations_valid("X [1].", [(1, "c1"), (2, "c2")], retrieved)  # [2] unused
    assert not citations_valid("No citations.", [], retrieved)


def test_cites_expected_and_refusal_correct() -> None:
    assert cites_expected([B, A], [A])
    assert not cites_expected([B], [A, C])
    assert refusal_correct(refused=True, answerable=False)
    assert refusal_correct(refused=False, answerable=True)
    assert not refusal_correct(refused=True, answerable=True)
    assert not refusal_correct(refused=False, answerable=False)


def test_mean_and_percentiles() -> None:
    assert mean_value([1.0, None, 0.0]) == 0.5
    assert mean_value([None]) is None
    assert mean_value([1.0, math.nan]) == NAN
    assert percentile([10.0, 20.0, 30.0, 40.0], 50) == 25.0
    assert percentile([float(n) for n in range(1, 101)], 95) == pytest.approx(95.05)


def chunk(chunk_id: str, source: str, text: str = "text") -> Chunk:
    return Chunk(chunk_id, text, source, "T", "S", 0, 1, "h")


def record(
    item: GoldenItem, context: list[Chunk], answer: str, cited: list[Chunk], refused: bool
) -> Record:
    citations = [
        Citation(id=n, source=c.source, title="T", section="S", snippet="", chunk_id=c.chunk_id)
        for n, c in enumerate(cited, 1)
    ]
    return Record("coach", item, answer, citations, context, refused, "extractive", 1.0, "")


def test_deterministic_scores_of_an_answer() -> None:
    item = GoldenItem("q1", "Q?", "R", (A, C), True)
    context = [chunk("b1", B), chunk("a1", A), chunk("b2", B)]
    scores = deterministic_scores(record(item, context, "X [1]. Y [2].", context[:2], False), k=3)
    assert scores == {
        "refusal_accuracy": 1.0,
        "declined": 0.0,
        "citation_validity": 1.0,
        "hit_rate": 1.0,
        "source_recall_at_k": 0.5,
        "source_recall_at_4": 0.5,
        "mrr": 0.5,
        "answers_answerable": 1.0,
        "cites_expected_source": 1.0,
        "grounded_rate": 1.0,  # no key facts and no statements: no fact or statement scores
    }


def test_deterministic_scores_of_refusals() -> None:
    wrong = GoldenItem("q2", "Q?", "R", (A,), True)
    scores = deterministic_scores(record(wrong, [], "No.", [], True), k=4)
    assert scores["refusal_accuracy"] == 0.0 and scores["answers_answerable"] == 0.0
    assert scores["hit_rate"] == 0.0 and scores["cites_expected_source"] == 0.0
    assert scores["citation_validity"] is None  # a refusal has nothing to cite
    right = GoldenItem("q3", "Recipe?", "decline", (), False)
    scores = deterministic_scores(record(right, [], "No.", [], True), k=4)
    assert scores == {
        "refusal_accuracy": 1.0,
        "declined": 0.0,
        "citation_validity": None,
        "refuses_unanswerable": 1.0,
    }


# ragas metrics -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline() -> OfflineRagas:
    return OfflineRagas()


TEXT = "Backend developers typically land in the mid-level range after 6-12 months."
OTHER = "Zebras graze quietly on savannah grasslands at dawn"  # no shared "."


def case(
    answer: str, retrieved: list[tuple[str, str]], reference: list[tuple[str, str]]
) -> RagasCase:
    return RagasCase(
        key="coach/q1",
        question="How long?",
        answer=answer,
        reference=TEXT,
        refused=False,
        retrieved_ids=[i for i, _ in retrieved],
        retrieved_texts=[t for _, t in retrieved],
        reference_ids=[i for i, _ in reference],
        reference_texts=[t for _, t in reference],
    )


def test_ragas_metrics_on_identical_inputs(offline: OfflineRagas) -> None:
    same = [("c1", TEXT), ("c2", OTHER)]
    scores = asyncio.run(offline.ascore(case(TEXT, same, same)))
    for name in (
        "id_context_precision",
        "id_context_recall",
        "nonllm_context_precision",
        "nonllm_context_recall",
        "rouge_l",
        "string_similarity",
        "chrf",
        "bleu",
    ):
        assert scores[name] == pytest.approx(1.0), name


def test_ragas_metrics_on_disjoint_inputs(offline: OfflineRagas) -> None:
    scores = asyncio.run(offline.ascore(case(OTHER, [("c9", OTHER)], [("c1", TEXT)])))
    for name in (
        "id_context_precision",
        "id_context_recall",
        "nonllm_context_precision",
        "nonllm_context_recall",
        "rouge_l",
        "bleu",
    ):
        assert scores[name] == pytest.approx(0.0), name
    assert scores["string_similarity"] < 0.4
    assert scores["chrf"] < 0.2


def test_ragas_context_metrics_on_partial_retrieval(offline: OfflineRagas) -> None:
    """Two retrieved, one relevant; two relevant, one retrieved: precision and recall 1/2."""
    scores = asyncio.run(
        offline.ascore(case(TEXT, [("c1", TEXT), ("c9", OTHER)], [("c1", TEXT), ("c2", "x " * 40)]))
    )
    assert scores["id_context_precision"] == pytest.approx(0.5)
    assert scores["id_context_recall"] == pytest.approx(0.5)
    assert scores["nonllm_context_recall"] == pytest.approx(0.5)
    # Average precision: the relevant chunk is ranked first.
    assert scores["nonllm_context_precision"] == pytest.approx(1.0)


def test_nothing_retrieved_scores_zero_not_nan(offline: OfflineRagas) -> None:
    scores = asyncio.run(offline.ascore(case("", [], [("c1", TEXT)])))
    assert scores["id_context_precision"] == 0.0 and scores["nonllm_context_recall"] == 0.0
    assert not any(math.isnan(v) for v in scores.values())
