"""``coach eval``: run the golden set through the coach and the baseline, score, report, gate.

The coach under test is built from the current settings but over a private, freshly
ingested copy of the guides in a temporary directory, so a run is reproducible and leaves
the user's store and conversation history untouched.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from coach.errors import InputError
from coach.progress import progress_bar
from coach.settings import Settings
from eval.golden import DEFAULT_GOLDEN, GoldenSet, check_sources, load_golden

if TYPE_CHECKING:
    from rich.progress import Progress

    from coach.factory import Parts
    from coach.schema import Chunk
    from eval.harness import Record
    from eval.ragas_metrics import JudgeRagas

COMMITTED_SUMMARY = Path(__file__).parent / "baseline" / "summary.json"
DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")
RUNS_DIR = Path("eval-runs")
COACH_KNOBS = {
    "chunk_tokens",
    "chunk_overlap",
    "top_k",
    "candidates",
    "vector_weight",
    "bm25_weight",
    "rrf_k",
    "max_per_guide",
    "relevance_floor",
    "history_tokens",
    "generator",
    "answer_sentences",
}
OUTPUT_FILES = ("results.jsonl", "summary.json", "report.md", "report.html")

console = Console()
errors = Console(stderr=True)


@dataclass
class EvalOutcome:
    """What a run produced and where it was written."""

    summary: dict[str, Any]
    records: list[Record]
    out_dir: Path


def _ticker(progress: Progress | None, label: str, total: int) -> Any:
    if progress is None:
        return None
    task = progress.add_task(label, total=total)
    return lambda: progress.advance(task)


def evaluate(
    golden: GoldenSet,
    parts: Parts,
    guides: Sequence[Path],
    with_baseline: bool = True,
    judge: JudgeRagas | None = None,
    judge_model: str | None = None,
    progress: Progress | None = None,
) -> tuple[dict[str, Any], list[Record]]:
    """Run and score the coach (and the baseline) over ``golden``; the summary and records."""
    from coach.generators.extractive import ExtractiveGenerator
    from eval.harness import (
        BASELINE,
        COACH,
        SystemRun,
        run_baseline,
        run_coach,
        score_runs,
        summarise,
    )
    from eval.plain_rag import CHUNK_OVERLAP, CHUNK_SIZE, BaselineRag
    from eval.ragas_metrics import OfflineRagas

    started = time.perf_counter()
    items = golden.items
    store = parts.store
    chunks = store.all_chunks()
    check_sources(golden, {c.source for c in chunks})

    def coach_reference(sources: Sequence[str]) -> list[Chunk]:
        wanted = set(sources)
        return [c for c in chunks if c.source in wanted]

    runs = [
        SystemRun(
            name=COACH,
            k=parts.settings.top_k,
            description="hybrid retrieval (vector + BM25, fused, diversified), history-aware "
            f"queries, coverage refusals, {parts.coach.generator.mode} answers",
            records=run_coach(parts.coach, items, _ticker(progress, "coach", len(items))),
            reference_chunks=coach_reference,
            chunks=len(chunks),
            config=parts.settings.model_dump(include=COACH_KNOBS)
            | {"embedding_model": parts.settings.embedding_model_name},
        )
    ]
    if with_baseline:
        generator = parts.coach.generator
        if not isinstance(generator, ExtractiveGenerator):
            generator = ExtractiveGenerator(
                store.embeddings, parts.units, max_statements=parts.settings.answer_sentences
            )
        baseline = BaselineRag(guides, store.embeddings, generator)
        try:
            runs.append(
                SystemRun(
                    name=BASELINE,
                    k=baseline.k,
                    description="LangChain RecursiveCharacterTextSplitter(1000/200) + Chroma "
                    "similarity_search top-4 on the raw question, same extractive generator",
                    records=run_baseline(
                        baseline, items, _ticker(progress, "baseline", len(items))
                    ),
                    reference_chunks=baseline.chunks_of,
                    chunks=len(baseline.chunks),
                    config={
                        "chunk_size": CHUNK_SIZE,
                        "chunk_overlap": CHUNK_OVERLAP,
                        "k": baseline.k,
                    },
                )
            )
        finally:
            baseline.close()
    total = sum(len(r.records) for r in runs)
    score_runs(runs, OfflineRagas(), judge, _ticker(progress, "scoring", total))
    summary = summarise(golden, runs, time.perf_counter() - started, judge_model)
    records = [r for run in runs for r in run.records]
    return summary, records


def load_previous(path: Path = COMMITTED_SUMMARY) -> dict[str, Any] | None:
    """The committed summary to compare against, if there is one."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read the committed summary {path}: {exc}") from exc
    return data if isinstance(data, dict) else None


def write_outputs(
    out_dir: Path,
    summary: dict[str, Any],
    records: Sequence[Record],
    previous: dict[str, Any] | None,
) -> dict[str, Path]:
    """results.jsonl, summary.json, report.md and report.html under ``out_dir``."""
    from eval.report import render_html, render_markdown

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; pass a directory.")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {name: out_dir / name for name in OUTPUT_FILES}
    lines = (json.dumps(r.to_json(), ensure_ascii=False, allow_nan=False) for r in records)
    paths["results.jsonl"].write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    paths["summary.json"].write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    markdown = render_markdown(summary, records, previous)
    paths["report.md"].write_text(markdown, encoding="utf-8")
    paths["report.html"].write_text(render_html(markdown, summary, previous), encoding="utf-8")
    return paths


def default_out_dir() -> Path:
    """A fresh folder under ./eval-runs named after the time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    candidate = RUNS_DIR / stamp
    n = 1
    while candidate.exists():
        n += 1
        candidate = RUNS_DIR / f"{stamp}-{n}"
    return candidate


def run_eval(
    settings: Settings,
    golden_path: Path | None = None,
    out: Path | None = None,
    with_baseline: bool = True,
    show_progress: bool = True,
) -> EvalOutcome:
    """Build a private coach over the seed guides, evaluate it, write the four files."""
    from coach.factory import build
    from eval.plain_rag import guide_files
    from eval.ragas_metrics import make_judge
    from ingest.pipeline import run_ingest

    started = time.perf_counter()
    golden = load_golden(golden_path or DEFAULT_GOLDEN)
    out_dir = out or default_out_dir()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; pass a directory.")
    seeds = settings.seeds_dir
    if not seeds.is_dir():
        raise InputError(f"No guides folder at {seeds}; set COACH_SEEDS_DIR.")
    guides = guide_files(seeds)
    previous = load_previous()
    with tempfile.TemporaryDirectory(prefix="coach-eval-") as workdir:
        private = settings.model_copy(
            update={"data_dir": Path(workdir) / ".coach", "chroma_url": None, "database_url": None}
        )
        parts = build(private)
        try:
            judge = make_judge(settings, parts.store.embeddings)
            with progress_bar(show_progress) as progress:
                ingested = run_ingest([seeds], parts.store, private, progress=progress)
                if not ingested.ok:
                    problems = "; ".join(e.message for e in ingested.errors)
                    raise InputError(f"Cannot evaluate: ingesting {seeds} failed: {problems}")
                parts.coach.warm_up()  # latencies measure answers, not first-use loading
                summary, records = evaluate(
                    golden,
                    parts,
                    guides,
                    with_baseline=with_baseline,
                    judge=judge,
                    judge_model=settings.judge_model if judge else None,
                    progress=progress,
                )
        finally:
            parts.history.engine.dispose()
    summary["runtime_seconds"] = round(time.perf_counter() - started, 2)  # index builds too
    if previous and previous.get("golden", {}).get("items") != summary["golden"]["items"]:
        summary["previous_note"] = "the committed summary covers a different golden set"
    write_outputs(out_dir, summary, records, previous)
    return EvalOutcome(summary=summary, records=records, out_dir=out_dir)


def print_summary(summary: dict[str, Any]) -> None:
    """The headline numbers, coach vs baseline, as a table."""
    from rich.table import Table

    from eval.harness import BASELINE, COACH
    from eval.metrics import METRICS
    from eval.report import fmt, fmt_delta, verdict

    systems = summary["systems"]
    table = Table(title=f"{summary['golden']['items']} items, {summary['runtime_seconds']:.1f} s")
    table.add_column("Metric")
    table.add_column("Coach", justify="right")
    if BASELINE in systems:
        table.add_column("Baseline", justify="right")
        table.add_column("Δ", justify="right")
    for spec in METRICS:
        ours = systems[COACH]["metrics"].get(spec.name)
        row = [spec.label, fmt(ours, spec)]
        if BASELINE in systems:
            theirs = systems[BASELINE]["metrics"].get(spec.name)
            row += [fmt(theirs, spec), fmt_delta(ours, theirs, spec)]
        table.add_row(*row)
    console.print(table)
    console.print(verdict(summary).replace("**", ""))


def eval_command(
    golden: Annotated[
        Path | None,
        typer.Option(
            "--golden", help="Golden set (JSONL); default: the bundled eval/golden.jsonl."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder; default: a new ./eval-runs/<timestamp>/."),
    ] = None,
    baseline: Annotated[
        bool,
        typer.Option("--baseline/--no-baseline", help="Also run the plain LangChain RAG baseline."),
    ] = True,
    gate: Annotated[
        bool,
        typer.Option("--gate", help="Exit 1 when a metric misses eval/thresholds.toml or is NaN."),
    ] = False,
) -> None:
    """Evaluate the coach on a golden set (vs a plain RAG baseline) and write a report."""
    from eval.gate import check, load_thresholds

    thresholds = load_thresholds(DEFAULT_THRESHOLDS) if gate else None
    outcome = run_eval(
        Settings(),  # read from the environment
        golden,
        out,
        with_baseline=baseline,
    )
    print_summary(outcome.summary)
    console.print(f"Wrote {', '.join(OUTPUT_FILES)} to {outcome.out_dir}")
    if thresholds is not None:
        result = check(outcome.summary, thresholds)
        result.print(console)
        if not result.ok:
            raise typer.Exit(1)
