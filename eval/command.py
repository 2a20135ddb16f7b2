"""``coach eval``: run golden sets through the coach and the baseline, score, report, gate.

Each corpus (eval/corpora/<name>/) is ingested into a private temporary data directory (a
fresh Chroma and SQLite, removed afterwards), so a run is reproducible and leaves the user's
store and conversation history untouched. ``--golden PATH`` scores any golden file over the
configured guides (COACH_SEEDS_DIR) the same way.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console

from coach.errors import InputError
from coach.progress import progress_bar
from coach.settings import Settings
from eval.corpus import CORPORA_DIR, Corpus, guide_files, guide_texts, load_corpus_golden, select
from eval.gate import (
    BASELINES_DIR,
    DEFAULT_THRESHOLDS,
    Thresholds,
    check_corpora,
    load_thresholds,
    read_summary,
    write_baselines,
)
from eval.golden import GoldenSet, check_key_facts, check_sources, load_golden
from ingest.pipeline import ingest_into

if TYPE_CHECKING:
    from rich.progress import Progress

    from coach.factory import Parts
    from coach.schema import Chunk
    from eval.harness import Record
    from eval.ragas_metrics import JudgeRagas

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
COMBINED_FILES = ("summary.json", "report.md")
Split = Literal["dev", "test", "all"]

console = Console()
errors = Console(stderr=True)


@dataclass
class EvalOutcome:
    """What a run over one golden set produced and where it was written."""

    summary: dict[str, Any]
    records: list[Record]
    out_dir: Path


@dataclass
class MultiOutcome:
    """A run over several corpora: one outcome each, and the combined summary."""

    corpora: dict[str, EvalOutcome]
    summary: dict[str, Any]
    out_dir: Path


def _ticker(progress: Progress | None, label: str, total: int) -> Any:
    if progress is None:
        return None
    task = progress.add_task(label, total=total)

    def tick(latency_ms: float | None) -> None:
        shown = f"{label} · {latency_ms:.0f} ms" if latency_ms is not None else label
        progress.update(task, advance=1, description=shown)

    return tick


def evaluate(
    golden: GoldenSet,
    parts: Parts,
    guides: Sequence[Path],
    with_baseline: bool = True,
    judge: JudgeRagas | None = None,
    judge_model: str | None = None,
    progress: Progress | None = None,
    corpus: str | None = None,
    split: str = "all",
) -> tuple[dict[str, Any], list[Record]]:
    """Run and score the coach (and the baseline) over ``golden``; the summary and records."""
    from coach.factory import make_generator
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
    from eval.whole_units import WholeUnits

    started = time.perf_counter()
    items = golden.items
    store = parts.store
    chunks = store.all_chunks()
    check_sources(golden, {c.source for c in chunks})
    prefix = f"{corpus}: " if corpus else ""

    def coach_reference(sources: Sequence[str]) -> list[Chunk]:
        wanted = set(sources)
        return [c for c in chunks if c.source in wanted]

    runs = [
        SystemRun(
            name=COACH,
            k=parts.settings.top_k,
            description="hybrid retrieval (vector + BM25, fused, diversified), history-aware "
            f"queries, coverage refusals, {parts.coach.generator.mode} answers",
            records=run_coach(parts.coach, items, _ticker(progress, f"{prefix}coach", len(items))),
            reference_chunks=coach_reference,
            chunks=len(chunks),
            config=parts.settings.model_dump(include=COACH_KNOBS)
            | {"embedding_model": parts.settings.embedding_model_name},
        )
    ]
    if with_baseline:
        # The baseline always answers offline, with the coach's extractive generator (shared
        # when the coach runs it, so its sentence-embedding cache is reused).
        generator = parts.coach.generator
        if generator.mode != "extractive":
            offline = parts.settings.model_copy(update={"generator": "extractive"})
            generator = make_generator(offline, store.embeddings, parts.units)
        baseline = BaselineRag(guides, store.embeddings, generator)
        try:
            runs.append(
                SystemRun(
                    name=BASELINE,
                    k=baseline.k,
                    description="LangChain RecursiveCharacterTextSplitter(1000/200) + Chroma "
                    "similarity_search top-4 on the raw question, same extractive generator",
                    records=run_baseline(
                        baseline, items, _ticker(progress, f"{prefix}baseline", len(items))
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
    score_runs(runs, OfflineRagas(), judge, _ticker(progress, f"{prefix}scoring", total))
    whole = WholeUnits(guides)
    for run in runs:
        for record in run.records:
            sources = {c.id: c.source for c in record.citations}
            record.scores["whole_unit_rate"] = whole.rate(record.statements, sources)
    summary = summarise(
        golden, runs, time.perf_counter() - started, judge_model, corpus=corpus, split=split
    )
    records = [r for run in runs for r in run.records]
    return summary, records


def baseline_summary_path(corpus: str, baselines_dir: Path = BASELINES_DIR) -> Path:
    """Where a corpus's committed summary lives: eval/baseline/<corpus>/summary.json."""
    return baselines_dir / corpus / "summary.json"


def load_previous(path: Path) -> dict[str, Any] | None:
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


@contextmanager
def private_coach(
    settings: Settings, guides_dir: Path, progress: Progress | None
) -> Iterator[Parts]:
    """A coach over a fresh ingest of ``guides_dir`` in a temporary data dir, removed after."""
    from coach.factory import build

    if not guides_dir.is_dir():
        raise InputError(f"No guides folder at {guides_dir}; set COACH_SEEDS_DIR.")
    with tempfile.TemporaryDirectory(prefix="coach-eval-") as workdir:
        private = settings.model_copy(
            update={"data_dir": Path(workdir) / ".coach", "chroma_url": None, "database_url": None}
        )
        parts = build(private)
        try:
            ingested = ingest_into(parts, [guides_dir], progress=progress)
            if not ingested.ok:
                problems = "; ".join(e.message for e in ingested.errors)
                raise InputError(f"Cannot evaluate: ingesting {guides_dir} failed: {problems}")
            parts.coach.warm_up()  # as a server does: latencies measure answers, not loading
            yield parts
        finally:
            parts.history.engine.dispose()


def evaluate_guides(
    settings: Settings,
    golden: GoldenSet,
    guides_dir: Path,
    out_dir: Path,
    previous: dict[str, Any] | None,
    with_baseline: bool,
    progress: Progress | None,
    corpus: str | None = None,
    split: str = "all",
) -> EvalOutcome:
    """Ingest ``guides_dir`` privately, evaluate ``golden`` on it, write the four files."""
    from eval.ragas_metrics import make_judge

    started = time.perf_counter()
    if not golden.items:
        raise InputError(f"{golden.path}: no items in split '{split}'.")
    guides = guide_files(guides_dir) if guides_dir.is_dir() else []
    with private_coach(settings, guides_dir, progress) as parts:
        judge = make_judge(settings, parts.store.embeddings)
        summary, records = evaluate(
            golden,
            parts,
            guides,
            with_baseline=with_baseline,
            judge=judge,
            judge_model=settings.judge_model if judge else None,
            progress=progress,
            corpus=corpus,
            split=split,
        )
    summary["runtime_seconds"] = round(time.perf_counter() - started, 2)  # ingest included
    if previous and previous.get("golden", {}).get("items") != summary["golden"]["items"]:
        summary["previous_note"] = "the committed summary covers a different golden set"
    write_outputs(out_dir, summary, records, previous)
    return EvalOutcome(summary=summary, records=records, out_dir=out_dir)


def _check_out(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file; pass a directory.")


def run_eval(
    settings: Settings,
    golden_path: Path,
    out: Path | None = None,
    with_baseline: bool = True,
    show_progress: bool = True,
    split: Split = "all",
) -> EvalOutcome:
    """Evaluate any golden file over the configured guides (COACH_SEEDS_DIR)."""
    golden = load_golden(golden_path)
    seeds = settings.seeds_dir
    if golden.has_key_facts and seeds.is_dir():
        check_key_facts(golden, guide_texts(seeds))
    out_dir = out or default_out_dir()
    _check_out(out_dir)
    with progress_bar(show_progress) as progress:
        return evaluate_guides(
            settings,
            golden.select(split),
            seeds,
            out_dir,
            previous=None,
            with_baseline=with_baseline,
            progress=progress,
            split=split,
        )


def run_corpora(
    settings: Settings,
    corpora: Sequence[Corpus],
    out: Path | None = None,
    split: Split = "test",
    with_baseline: bool = True,
    show_progress: bool = True,
    baselines_dir: Path = BASELINES_DIR,
) -> MultiOutcome:
    """Evaluate each corpus on one split; per-corpus files in out/<name>/, combined in out/."""
    from eval.report import render_combined

    started = time.perf_counter()
    goldens = {c.name: load_corpus_golden(c) for c in corpora}  # every error before any run
    out_dir = out or default_out_dir()
    _check_out(out_dir)
    outcomes: dict[str, EvalOutcome] = {}
    with progress_bar(show_progress) as progress:
        for corpus in corpora:
            outcomes[corpus.name] = evaluate_guides(
                settings,
                goldens[corpus.name].select(split),
                corpus.guides_dir,
                out_dir / corpus.name,
                previous=load_previous(baseline_summary_path(corpus.name, baselines_dir)),
                with_baseline=with_baseline,
                progress=progress,
                corpus=corpus.name,
                split=split,
            )
    combined = {
        "version": 2,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "split": split,
        "runtime_seconds": round(time.perf_counter() - started, 2),
        "corpora": {name: o.summary for name, o in outcomes.items()},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(
        json.dumps(combined, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
        encoding="utf-8",
    )
    previous = {
        name: load_previous(baseline_summary_path(name, baselines_dir)) for name in outcomes
    }
    (out_dir / "report.md").write_text(render_combined(combined, previous), encoding="utf-8")
    return MultiOutcome(corpora=outcomes, summary=combined, out_dir=out_dir)


def print_summary(summary: dict[str, Any]) -> None:
    """The headline numbers, coach vs baseline, as a table."""
    from rich.table import Table

    from eval.harness import BASELINE, COACH
    from eval.metrics import METRICS
    from eval.report import fmt, fmt_delta, verdict

    systems = summary["systems"]
    name = f"{summary['corpus']}: " if summary.get("corpus") else ""
    split = summary["golden"].get("split", "all")
    table = Table(
        title=f"{name}{summary['golden']['items']} items ({split} split), "
        f"{summary['runtime_seconds']:.1f} s"
    )
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
    corpus: Annotated[
        str | None,
        typer.Option(
            "--corpus",
            help="A corpus of eval/corpora/ by name, or 'all' (the default without --golden).",
        ),
    ] = None,
    split: Annotated[
        Split | None,
        typer.Option("--split", help="Items to run: test (default for corpora), dev, or all."),
    ] = None,
    generator: Annotated[
        Literal["extractive", "llm"] | None,
        typer.Option(
            "--generator",
            help="Answer generator to evaluate (default: COACH_GENERATOR); llm calls "
            "OPENAI_BASE_URL / OPENAI_API_KEY.",
        ),
    ] = None,
    corpora_dir: Annotated[
        Path | None,
        typer.Option("--corpora-dir", help="Where the corpora are; default: eval/corpora/."),
    ] = None,
    golden: Annotated[
        Path | None,
        typer.Option(
            "--golden",
            help="Any golden set (JSONL), scored over COACH_SEEDS_DIR instead of a corpus.",
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
        typer.Option(
            "--gate", help="Exit 1 when a corpus misses eval/thresholds.toml or has a NaN."
        ),
    ] = False,
    thresholds_file: Annotated[
        Path,
        typer.Option("--thresholds", help="With --gate: the thresholds file."),
    ] = DEFAULT_THRESHOLDS,
    summary: Annotated[
        Path | None,
        typer.Option("--summary", help="With --gate: check this summary.json, run nothing."),
    ] = None,
    write_baseline: Annotated[
        bool,
        typer.Option(
            "--write-baseline",
            help="Store the run as eval/baseline/<corpus>/ and add thresholds for new corpora.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Evaluate the coach on corpora or a golden set (vs a plain RAG baseline); write reports."""
    if golden is not None and corpus is not None:
        raise InputError("Pass --corpus or --golden, not both.")
    if golden is not None and gate:
        raise InputError("--gate checks corpora against eval/thresholds.toml; drop --golden.")
    if (
        summary is not None or write_baseline or thresholds_file != DEFAULT_THRESHOLDS
    ) and not gate:
        raise InputError("--summary, --thresholds and --write-baseline go with --gate.")
    if write_baseline and (not baseline or summary is not None):
        raise InputError("--write-baseline runs every system afresh; drop --no-baseline/--summary.")
    if summary is not None:
        _gate(read_summary(summary), load_thresholds(thresholds_file))
        return
    if gate and not write_baseline:
        load_thresholds(thresholds_file)  # a bad file fails before the run, not after
    settings = Settings()  # read from the environment
    if generator is not None:
        settings = settings.model_copy(update={"generator": generator})
    if golden is not None:
        outcome = run_eval(settings, golden, out, with_baseline=baseline, split=split or "all")
        print_summary(outcome.summary)
        console.print(f"Wrote {', '.join(OUTPUT_FILES)} to {outcome.out_dir}")
        return
    corpora = select(corpus or "all", corpora_dir or CORPORA_DIR)
    multi = run_corpora(
        settings,
        corpora,
        out,
        split=split or "test",
        with_baseline=baseline,
        show_progress=not quiet,
    )
    for single in multi.corpora.values():
        print_summary(single.summary)
    console.print(
        f"Wrote {', '.join(COMBINED_FILES)} to {multi.out_dir} and "
        f"{', '.join(OUTPUT_FILES)} to {multi.out_dir}/<corpus>/"
    )
    if write_baseline:
        write_baselines(multi.summary, multi.out_dir, thresholds_file, console)
    if gate:
        _gate(multi.summary, load_thresholds(thresholds_file))  # with any tables just added


def _gate(combined: dict[str, Any], thresholds: Thresholds) -> None:
    """Print the gate's verdict on ``combined``; exit 1 when it fails."""
    result = check_corpora(combined, thresholds)
    result.print(console)
    if not result.ok:
        raise typer.Exit(1)
