"""Deterministic metrics: retrieval against the expected guides, citations, refusals, latency.

Each per-item function returns a float in [0, 1]; ``aggregate`` averages them over the items
a metric applies to. A NaN is never averaged away: it makes the aggregate "NaN".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from coach.citations import ANSWER_MARKER

Group = Literal[
    "retrieval", "facts", "citations", "grounding", "refusals", "answers", "judge", "latency"
]
Value = float | str | None  # a number, "NaN", "not run", or None (no item to measure)
NAN = "NaN"
NOT_RUN = "not run"
COMMON_K = 4  # the cutoff both systems share (the baseline retrieves 4)


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is named, grouped, shown and judged."""

    name: str
    label: str
    group: Group
    higher_is_better: bool = True
    unit: Literal["ratio", "ms"] = "ratio"
    ragas: bool = False  # computed by a ragas metric class
    about: str = ""


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("hit_rate", "Hit rate@k", "retrieval", about="an expected guide is in the top k"),
    MetricSpec("source_recall_at_k", "Source recall@k", "retrieval", about="expected guides found"),
    MetricSpec(
        "source_recall_at_4", "Source recall@4", "retrieval", about="same, at the shared k=4"
    ),
    MetricSpec("mrr", "MRR", "retrieval", about="1/rank of the first chunk of an expected guide"),
    MetricSpec(
        "id_context_precision",
        "Context precision (IDs)",
        "retrieval",
        ragas=True,
        about="ragas IDBasedContextPrecision",
    ),
    MetricSpec(
        "id_context_recall",
        "Context recall (IDs)",
        "retrieval",
        ragas=True,
        about="ragas IDBasedContextRecall",
    ),
    MetricSpec(
        "nonllm_context_precision",
        "Context precision (non-LLM)",
        "retrieval",
        ragas=True,
        about="ragas NonLLMContextPrecisionWithReference",
    ),
    MetricSpec(
        "nonllm_context_recall",
        "Context recall (non-LLM)",
        "retrieval",
        ragas=True,
        about="ragas NonLLMContextRecall",
    ),
    MetricSpec(
        "fact_recall",
        "Fact recall",
        "facts",
        about="share of an item's key facts found in the answer (normalised, verbatim)",
    ),
    MetricSpec(
        "context_fact_recall",
        "Context fact recall",
        "facts",
        about="share of an item's key facts found in the retrieved chunks",
    ),
    MetricSpec(
        "retention",
        "Retention",
        "facts",
        about="key facts found in the answers / key facts found in their retrieved chunks",
    ),
    MetricSpec(
        "citation_validity",
        "Citations valid",
        "citations",
        about="answers whose [n] markers and citations all map to retrieved chunks",
    ),
    MetricSpec(
        "cites_expected_source",
        "Cites an expected guide",
        "citations",
        about="answerable items whose cited guides include an expected one",
    ),
    MetricSpec(
        "grounded_rate",
        "Grounded",
        "grounding",
        about="answers (not refusals) whose every statement passed its support check",
    ),
    MetricSpec(
        "unsupported_statement_rate",
        "Unsupported statements",
        "grounding",
        higher_is_better=False,
        about="statements marked supported: false, over all statements of all answers",
    ),
    MetricSpec(
        "whole_unit_rate",
        "Whole units",
        "citations",
        about="quoted statements that are a whole sentence, item or row of a guide they cite",
    ),
    MetricSpec("refusal_accuracy", "Refusal accuracy", "refusals", about="all items"),
    MetricSpec(
        "refuses_unanswerable", "Refuses unanswerable", "refusals", about="answerable: false"
    ),
    MetricSpec("answers_answerable", "Answers answerable", "refusals", about="answerable: true"),
    MetricSpec(
        "declined",
        "Model declined",
        "refusals",
        higher_is_better=False,
        about="all items: the LLM declined a question the judge held covered; answered offline",
    ),
    MetricSpec("rouge_l", "ROUGE-L F1", "answers", ragas=True, about="ragas RougeScore"),
    MetricSpec(
        "string_similarity",
        "String similarity",
        "answers",
        ragas=True,
        about="ragas NonLLMStringSimilarity (Levenshtein)",
    ),
    MetricSpec("chrf", "chrF", "answers", ragas=True, about="ragas CHRFScore"),
    MetricSpec("bleu", "BLEU", "answers", ragas=True, about="ragas BleuScore"),
    MetricSpec("faithfulness", "Faithfulness", "judge", ragas=True, about="ragas Faithfulness"),
    MetricSpec(
        "response_relevancy",
        "Response relevancy",
        "judge",
        ragas=True,
        about="ragas ResponseRelevancy",
    ),
    MetricSpec(
        "factual_correctness",
        "Factual correctness",
        "judge",
        ragas=True,
        about="ragas FactualCorrectness",
    ),
    MetricSpec(
        "llm_context_recall",
        "Context recall (LLM)",
        "judge",
        ragas=True,
        about="ragas LLMContextRecall",
    ),
    MetricSpec("latency_p50_ms", "Latency p50", "latency", higher_is_better=False, unit="ms"),
    MetricSpec("latency_p95_ms", "Latency p95", "latency", higher_is_better=False, unit="ms"),
)
SPECS = {spec.name: spec for spec in METRICS}
JUDGE_METRICS = tuple(s.name for s in METRICS if s.group == "judge")


# Retrieval ------------------------------------------------------------------------------


def source_recall_at_k(retrieved: Sequence[str], expected: Iterable[str], k: int) -> float:
    """Share of the expected guides among the sources of the top ``k`` chunks."""
    wanted = set(expected)
    if not wanted:
        raise ValueError("source recall needs at least one expected source")
    return len(wanted & set(retrieved[:k])) / len(wanted)


def hit_at_k(retrieved: Sequence[str], expected: Iterable[str], k: int) -> float:
    """1.0 when any of the top ``k`` chunks comes from an expected guide."""
    return 1.0 if set(expected) & set(retrieved[:k]) else 0.0


def reciprocal_rank(retrieved: Sequence[str], expected: Iterable[str]) -> float:
    """1 / rank of the first chunk from an expected guide (0.0 when none is retrieved)."""
    wanted = set(expected)
    for rank, source in enumerate(retrieved, 1):
        if source in wanted:
            return 1.0 / rank
    return 0.0


# Citations ------------------------------------------------------------------------------


def citations_valid(answer: str, cited: Sequence[tuple[int, str]], retrieved_ids: set[str]) -> bool:
    """Every ``[n]`` has a citation, every citation is used, and each points at a retrieved chunk.

    ``cited`` holds (citation number, chunk id) pairs. An answer without citations is not valid.
    """
    if not cited:
        return False
    numbers = {int(n) for n in ANSWER_MARKER.findall(answer)}
    ids = {n for n, _ in cited}
    return numbers == ids and all(chunk_id in retrieved_ids for _, chunk_id in cited)


def cites_expected(cited_sources: Iterable[str], expected: Iterable[str]) -> bool:
    """Whether the answer cites at least one of the expected guides."""
    return bool(set(cited_sources) & set(expected))


# Refusals -------------------------------------------------------------------------------


def refusal_correct(refused: bool, answerable: bool) -> bool:
    """A refusal is right exactly when the item is not answerable."""
    return refused != answerable


# Aggregation ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation), as numpy computes it."""
    if not values:
        raise ValueError("percentile of no values")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def mean_value(values: Sequence[float | None]) -> Value:
    """Mean of the values that apply (None: not applicable); "NaN" if any is NaN."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if any(math.isnan(v) for v in present):
        return NAN
    return float(sum(present) / len(present))


def is_number(value: object) -> bool:
    """A real, finite metric value (not "NaN", "not run" or None)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
