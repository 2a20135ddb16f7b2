"""Runs the coach and the baseline over a golden set and scores every answer.

Each item gets a fresh session with its history stored first, so a follow-up is asked the
way a user would ask it. Records keep what the report and a later diff need: the answer,
its citations, the retrieved chunks, whether it refused, the generator mode and latency.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coach.chain import Coach
from coach.generators.llm import MODEL_DECLINED
from coach.schema import Chunk, Citation, Statement
from eval.facts import count_facts
from eval.golden import GoldenItem, GoldenSet
from eval.metrics import (
    COMMON_K,
    JUDGE_METRICS,
    METRICS,
    NAN,
    NOT_RUN,
    Value,
    citations_valid,
    cites_expected,
    hit_at_k,
    mean_value,
    percentile,
    reciprocal_rank,
    refusal_correct,
    source_recall_at_k,
)
from eval.plain_rag import BaselineRag
from eval.ragas_metrics import JudgeRagas, OfflineRagas, RagasCase, nan_metrics, score_cases

COACH = "coach"
BASELINE = "baseline"
Tick = Callable[[float | None], None]  # called once per item, with its latency (ms)


@dataclass
class Record:
    """One system's answer to one golden item, with the scores it earned."""

    system: str
    item: GoldenItem
    answer: str
    citations: list[Citation]
    context: list[Chunk]  # retrieved chunks, best first
    refused: bool
    mode: str
    latency_ms: float
    standalone: str
    scores: dict[str, float | None] = field(default_factory=dict)
    grounded: bool = True
    statements: list[Statement] = field(default_factory=list)
    fallback_reason: str | None = None

    @property
    def key(self) -> str:
        return f"{self.system}/{self.item.id}"

    @property
    def context_text(self) -> str:
        """The retrieved chunks' texts, as the generator was handed them."""
        return "\n\n".join(c.text for c in self.context)

    def facts_found(self) -> tuple[int, int, int]:
        """(key facts, found in the answer, found in the retrieved context)."""
        facts = self.item.key_facts
        answer = count_facts(facts, self.answer)
        context = count_facts(facts, self.context_text)
        return len(facts), answer.found, context.found

    @property
    def retrieved_sources(self) -> list[str]:
        return [c.source for c in self.context]

    def to_json(self) -> dict[str, Any]:
        """The results.jsonl line for this record."""
        item = self.item
        return {
            "system": self.system,
            "id": item.id,
            "kind": item.kind,
            "question": item.question,
            "history": [{"role": t.role, "content": t.content} for t in item.history],
            "standalone": self.standalone,
            "answerable": item.answerable,
            "expected_sources": list(item.sources),
            "answer": self.answer,
            "refused": self.refused,
            "mode": self.mode,
            "latency_ms": round(self.latency_ms, 1),
            "grounded": self.grounded,
            "fallback_reason": self.fallback_reason,
            "statements": [s.model_dump() for s in self.statements],
            "key_facts": [list(f) for f in item.key_facts],
            "citations": [
                {"id": c.id, "source": c.source, "section": c.section, "chunk_id": c.chunk_id}
                for c in self.citations
            ],
            "retrieved": [
                {"chunk_id": c.chunk_id, "source": c.source, "section": c.section}
                for c in self.context
            ],
            "scores": {
                name: (NAN if isinstance(v, float) and v != v else v)
                for name, v in self.scores.items()
            },
        }


@dataclass
class SystemRun:
    """Everything one system produced over the golden set."""

    name: str
    k: int
    description: str
    records: list[Record]
    reference_chunks: Callable[[Sequence[str]], list[Chunk]]
    chunks: int = 0  # size of the system's index
    config: dict[str, Any] = field(default_factory=dict)  # the knobs that shape its retrieval


def run_coach(coach: Coach, items: Iterable[GoldenItem], tick: Tick | None = None) -> list[Record]:
    """Ask the coach every item in a fresh session, its history stored first."""
    records = []
    for item in items:
        session_id = coach.history.create_session()
        for turn in item.history:
            coach.history.add_message(session_id, turn.role, turn.content)
        started = time.perf_counter()
        done = coach.run(item.question, session_id)
        latency = (time.perf_counter() - started) * 1000
        records.append(
            Record(
                system=COACH,
                item=item,
                answer=done.answer.answer,
                citations=list(done.answer.citations),
                context=[r.chunk for r in done.retrieval.context],
                refused=done.answer.refused,
                mode=done.answer.mode,
                latency_ms=latency,
                standalone=done.standalone,
                grounded=done.answer.grounded,
                statements=list(done.answer.statements),
                fallback_reason=done.answer.fallback_reason,
            )
        )
        if tick:
            tick(latency)
    return records


def run_baseline(
    baseline: BaselineRag, items: Iterable[GoldenItem], tick: Tick | None = None
) -> list[Record]:
    """Ask the baseline every item: the raw question only (it keeps no history)."""
    records = []
    for item in items:
        started = time.perf_counter()
        result = baseline.answer(item.question)
        latency = (time.perf_counter() - started) * 1000
        records.append(
            Record(
                system=BASELINE,
                item=item,
                answer=result.draft.text,
                citations=list(result.draft.citations),
                context=[r.chunk for r in result.context],
                refused=result.draft.refused,
                mode=result.draft.mode,
                latency_ms=latency,
                standalone=item.question,
                grounded=result.draft.grounded,
                statements=list(result.draft.statements),
            )
        )
        if tick:
            tick(latency)
    return records


def deterministic_scores(record: Record, k: int) -> dict[str, float | None]:
    """Retrieval, citation and refusal scores of one record (None: does not apply)."""
    item = record.item
    sources = record.retrieved_sources
    scores: dict[str, float | None] = {
        "refusal_accuracy": float(refusal_correct(record.refused, item.answerable)),
        "citation_validity": None,
        # the model declined and the coach answered offline (never for the extractive mode)
        "declined": float(record.fallback_reason == MODEL_DECLINED),
    }
    if not record.refused:
        retrieved_ids = {c.chunk_id for c in record.context}
        cited = [(c.id, c.chunk_id) for c in record.citations]
        scores["citation_validity"] = float(citations_valid(record.answer, cited, retrieved_ids))
    if item.answerable:
        scores |= {
            "hit_rate": hit_at_k(sources, item.sources, k),
            "source_recall_at_k": source_recall_at_k(sources, item.sources, k),
            "source_recall_at_4": source_recall_at_k(sources, item.sources, COMMON_K),
            "mrr": reciprocal_rank(sources[:k], item.sources),
            "answers_answerable": float(not record.refused),
            "cites_expected_source": float(
                not record.refused
                and cites_expected((c.source for c in record.citations), item.sources)
            ),
        }
    else:
        scores["refuses_unanswerable"] = float(record.refused)
    if item.key_facts:
        total, in_answer, in_context = record.facts_found()
        scores["fact_recall"] = in_answer / total
        scores["context_fact_recall"] = in_context / total
        scores["retention"] = in_answer / in_context if in_context else None
    if not record.refused:
        scores["grounded_rate"] = float(record.grounded)
    if record.statements:
        unsupported = sum(not s.supported for s in record.statements)
        scores["unsupported_statement_rate"] = unsupported / len(record.statements)
    return scores


def aggregate(name: str, records: Sequence[Record]) -> Value:
    """One metric over ``records``: a mean of the items it applies to, or a ratio of sums.

    Retention is facts found in the answers over facts found in their contexts, and the
    unsupported-statement rate counts statements, not items.
    """
    if name == "retention":
        counts = [r.facts_found() for r in records if r.item.key_facts]
        in_context = sum(c for _, _, c in counts)
        return sum(a for _, a, _ in counts) / in_context if in_context else None
    if name == "unsupported_statement_rate":
        statements = [s for r in records for s in r.statements]
        if not statements:
            return None
        return sum(not s.supported for s in statements) / len(statements)
    return mean_value([r.scores.get(name) for r in records])


def ragas_case(record: Record, reference_chunks: list[Chunk]) -> RagasCase:
    """The ragas view of a record; the reference contexts are the expected guides' chunks."""
    return RagasCase(
        key=record.key,
        question=record.item.question,
        answer=record.answer,
        reference=record.item.reference,
        refused=record.refused,
        retrieved_ids=[c.chunk_id for c in record.context],
        retrieved_texts=[c.text for c in record.context],
        reference_ids=[c.chunk_id for c in reference_chunks],
        reference_texts=[c.text for c in reference_chunks],
    )


def score_runs(
    runs: Sequence[SystemRun],
    offline: OfflineRagas,
    judge: JudgeRagas | None = None,
    tick: Tick | None = None,
) -> None:
    """Fill every record's scores: deterministic ones, then ragas (answerable items only)."""
    cases: list[RagasCase] = []
    by_key: dict[str, Record] = {}
    for run in runs:
        for record in run.records:
            record.scores = deterministic_scores(record, run.k)
            if record.item.answerable:
                cases.append(ragas_case(record, run.reference_chunks(record.item.sources)))
                by_key[record.key] = record
            elif tick:
                tick(None)
    for key, scores in score_cases(
        cases, offline, judge, (lambda _: tick(None)) if tick else None
    ).items():
        by_key[key].scores.update(scores)


def summarise_system(run: SystemRun, judge_ran: bool) -> dict[str, Any]:
    """Aggregate metrics of one system, with counts and notes (NaN items, not run)."""
    metrics: dict[str, Value] = {}
    counts: dict[str, int] = {}
    notes: dict[str, str] = {}
    for spec in METRICS:
        if spec.group == "latency":
            continue
        if spec.name in JUDGE_METRICS and not judge_ran:
            metrics[spec.name] = NOT_RUN
            notes[spec.name] = "no judge model configured (COACH_JUDGE_MODEL + OPENAI_API_KEY)"
            continue
        values = [r.scores.get(spec.name) for r in run.records]
        present = [v for v in values if v is not None]
        metrics[spec.name] = aggregate(spec.name, run.records)
        counts[spec.name] = len(present)
        nan_ids = [r.item.id for r in run.records if spec.name in nan_metrics(_floats(r.scores))]
        if nan_ids:
            notes[spec.name] = f"NaN on {', '.join(nan_ids)}"
    latencies = [r.latency_ms for r in run.records]
    if latencies:
        metrics["latency_p50_ms"] = round(percentile(latencies, 50), 1)
        metrics["latency_p95_ms"] = round(percentile(latencies, 95), 1)
        counts["latency_p50_ms"] = counts["latency_p95_ms"] = len(latencies)
    return {
        "k": run.k,
        "chunks": run.chunks,
        "config": run.config,
        "description": run.description,
        "metrics": {n: round(v, 4) if isinstance(v, float) else v for n, v in metrics.items()},
        "counts": counts,
        "notes": notes,
    }


def _floats(scores: dict[str, float | None]) -> dict[str, float]:
    return {n: v for n, v in scores.items() if v is not None}


def summarise(
    golden: GoldenSet,
    runs: Sequence[SystemRun],
    seconds: float,
    judge_model: str | None,
    corpus: str | None = None,
    split: str = "all",
) -> dict[str, Any]:
    """summary.json: the golden set's shape, each system's metrics, and where the coach lags."""
    items = golden.items
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item.kind or "unlabelled"] = kinds.get(item.kind or "unlabelled", 0) + 1
    systems = {run.name: summarise_system(run, judge_model is not None) for run in runs}
    return {
        "version": 2,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": corpus,
        "golden": {
            "path": display_path(golden.path),
            "split": split,
            "items": len(items),
            "key_facts": sum(len(i.key_facts) for i in items),
            "answerable": sum(i.answerable for i in items),
            "unanswerable": sum(not i.answerable for i in items),
            "multi_turn": sum(i.is_multi_turn for i in items),
            "kinds": kinds,
        },
        "runtime_seconds": round(seconds, 2),
        "judge": judge_model,
        "systems": systems,
        "by_kind": by_kind(runs),
        "coach_vs_baseline": compare_systems(systems),
    }


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


KIND_METRICS = (
    "fact_recall",
    "context_fact_recall",
    "retention",
    "hit_rate",
    "cites_expected_source",
    "refusal_accuracy",
    "rouge_l",
)


def by_kind(runs: Sequence[SystemRun]) -> dict[str, dict[str, dict[str, Value | int]]]:
    """A few headline metrics per item kind and system (where a golden set labels kinds)."""
    table: dict[str, dict[str, dict[str, Value | int]]] = {}
    for run in runs:
        groups: dict[str, list[Record]] = {}
        for record in run.records:
            groups.setdefault(record.item.kind or "unlabelled", []).append(record)
        for kind, records in groups.items():
            row = table.setdefault(kind, {})
            cells: dict[str, Value | int] = {"items": len(records)}
            cells |= {name: _round(aggregate(name, records)) for name in KIND_METRICS}
            row[run.name] = cells
    return table


def _round(value: Value) -> Value:
    return round(value, 4) if isinstance(value, float) else value


GATED_GROUPS = ("retrieval", "refusals", "facts")


def compare_systems(systems: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Retrieval and refusal metrics where the coach is behind or level with the baseline."""
    result: dict[str, list[str]] = {"behind": [], "tied": [], "ahead": []}
    if COACH not in systems or BASELINE not in systems:
        return result
    ours, theirs = systems[COACH]["metrics"], systems[BASELINE]["metrics"]
    for spec in METRICS:
        if spec.group not in GATED_GROUPS:
            continue
        a, b = ours.get(spec.name), theirs.get(spec.name)
        if not isinstance(a, float | int) or not isinstance(b, float | int):
            continue
        better = a > b if spec.higher_is_better else a < b
        if abs(a - b) < 1e-9:
            result["tied"].append(spec.name)
        elif better:
            result["ahead"].append(spec.name)
        else:
            result["behind"].append(spec.name)
    return result
