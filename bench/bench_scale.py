"""Scale benchmark: how ingestion, start-up, chat latency and memory grow with the corpus.

The corpus is ``seeds/`` plus every ``eval/corpora/*`` guides folder, found at run time, in
1×, 5× and 10× as many renamed, salted copies (see ``salted_copies.py``: every chunk differs
from the other copies', but the copies share their sentences). Each scale gets its own
temporary data dir and is measured through public entry points only:

- ingestion: ``coach ingest DIR --json`` (seconds, chunks/s), next to the raw ONNX model on a
  sample of the same chunk texts, batched the same way (the ratio is what ingestion keeps);
- start-up: ``coach serve`` spawned on a free loopback port, seconds until ``/readyz`` is 200;
- chat: ``POST /api/chat``, one client, fresh sessions, follow-ups and repeats, most of them
  about section headings no earlier question touched (first touches are reported apart);
- memory: the server's peak RSS (VmHWM).

Then, on the largest store: re-ingesting one changed guide, against that guide's own
embedding time; and a 40-item ``coach eval`` when it takes a ``--corpus`` option. Results go
to ``bench/results/scale.{md,json,png}``. Every subprocess is killed on the way out; every
stage is bounded by ``--stage-timeout``.

    .venv/bin/python bench/bench_scale.py [--scales 1,5,10] [--questions 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from bench_api import (  # bench/bench_api.py
    free_port,
    memory_mb,
    percentile,
    server_env,
    stop_server,
)
from questions import QUESTIONS, REPO, SEEDS  # bench/questions.py
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from salted_copies import SaltedGuide, write_copies  # bench/salted_copies.py
from scale_report import TARGETS, write_results  # bench/scale_report.py

from coach.settings import Settings

CORPORA = REPO / "eval" / "corpora"
RESULTS = REPO / "bench" / "results"
COACH = Path(sys.executable).with_name("coach")
FOLLOW_UP = "Tell me more about that."
EVAL_ITEMS = 40
POLL_SECONDS = 0.05


class StageFailed(RuntimeError):
    """A stage did not finish (timeout, error exit, bad output); the message says which."""


@dataclass
class Question:
    text: str
    kind: str  # heading (meant as a first touch), follow-up, repeat, fixed
    follow: bool = False  # asked in the previous question's session


@dataclass
class ChatTiming:
    ms: float
    kind: str
    first_touch: bool  # no chunk it cites was cited by an earlier answer
    refused: bool


@dataclass
class ScaleResult:
    scale: int
    guides: int = 0
    chunks: int = 0
    unsalted_chunks: int = 0
    ingest_s: float = 0.0
    ingest_wall_s: float = 0.0
    ingest_chunks_per_s: float = 0.0
    onnx_sample: int = 0
    onnx_chunks_per_s: float = 0.0
    ingest_vs_onnx: float = 0.0
    ready_s: float = 0.0
    questions: int = 0
    errors: int = 0
    refused: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    first_answer_ms: float = 0.0
    first_touches: int = 0
    first_touch_p50_ms: float = 0.0
    first_touch_p95_ms: float = 0.0
    later_p50_ms: float = 0.0
    peak_rss_mb: float = 0.0
    load_before: float = 0.0  # the machine's 1-minute load average when the scale started
    error_kinds: dict[str, int] = field(default_factory=dict)


# Corpora and commands ----------------------------------------------------------------------


def corpus_guides(corpus: Path) -> Path:
    """The guides folder of ``eval/corpora/<name>``: what corpus.toml names, else guides/."""
    import tomllib

    guides = corpus / "guides"
    toml = corpus / "corpus.toml"
    if toml.is_file():
        with suppress(OSError, tomllib.TOMLDecodeError):
            named = tomllib.loads(toml.read_text("utf-8")).get("guides", "guides")
            guides = corpus / str(named)
    return guides


def bundled_corpora(corpora: Path = CORPORA) -> list[Path]:
    """``seeds/`` and the guides folder of each ``eval/corpora/<name>``, each folder once."""
    folders = [SEEDS]
    for corpus in sorted(corpora.iterdir()) if corpora.is_dir() else []:
        guides = corpus_guides(corpus)
        if guides.is_dir() and all(guides.resolve() != f.resolve() for f in folders):
            folders.append(guides)
    return folders


def coach_env(data_dir: Path) -> dict[str, str]:
    env = server_env(data_dir)
    env["COLUMNS"] = "10000"  # rich must not wrap the JSON it prints
    return env


def run_coach(args: Sequence[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    """The stdout of ``coach ARGS``; :class:`StageFailed` on an error or a timeout (killed)."""
    try:
        done = subprocess.run(
            [str(COACH), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise StageFailed(f"coach {' '.join(args)} took over {timeout:g} s (killed)") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-2000:]
        raise StageFailed(f"coach {' '.join(args)} exited with {done.returncode}: {tail}")
    return done.stdout


def ingest(target: Path, data_dir: Path, cwd: Path, timeout: float) -> tuple[dict[str, Any], float]:
    """The ingest report (``coach ingest --json``) and the command's wall-clock seconds."""
    started = time.perf_counter()
    out = run_coach(["ingest", str(target), "--json"], coach_env(data_dir), cwd, timeout)
    wall = time.perf_counter() - started
    start = out.rfind("\n{") + 1  # the report is the last object printed; lines before it aside
    try:
        report, _ = json.JSONDecoder().raw_decode(out[start:])
    except json.JSONDecodeError as exc:
        raise StageFailed(f"coach ingest --json printed no JSON ({exc}): {out[-500:]}") from None
    if not isinstance(report, dict) or "chunks_total" not in report:
        raise StageFailed(f"coach ingest --json printed no ingest report: {out[-500:]}")
    return report, wall


# Embedding throughput ----------------------------------------------------------------------


def chunk_texts(folder: Path, settings: Settings) -> list[str]:
    """What ingestion embeds for each chunk of the guides in ``folder``."""
    from salted_copies import guide_files

    from ingest.chunker import chunk_guide
    from ingest.loader import load_guide

    return [
        chunk.embedding_text()
        for path in guide_files(folder)
        for chunk in chunk_guide(load_guide(path), settings)
    ]


def spread_sample(texts: Sequence[str], size: int) -> list[str]:
    """``size`` texts spread evenly over ``texts`` (every guide and copy represented)."""
    if len(texts) <= size:
        return list(texts)
    step = len(texts) / size
    return [texts[int(n * step)] for n in range(size)]


class RawOnnx:
    """The model as onnxruntime runs it, with nothing of the coach around it."""

    def __init__(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from coach.embeddings import MAX_TOKENS, local_model_files

        model, tokenizer_file = local_model_files()
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, batch: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def rate(self, texts: list[str], batch_size: int, timeout: float) -> tuple[float, int]:
        """Texts per second over ``texts``, sorted by length and batched as ingestion does."""
        self.embed(texts[:batch_size])  # first run allocates; not timed
        ordered = sorted(texts, key=len)
        done, started = 0, time.perf_counter()
        for start in range(0, len(ordered), batch_size):
            self.embed(ordered[start : start + batch_size])
            done = min(start + batch_size, len(ordered))
            if time.perf_counter() - started > timeout:
                break
        return done / (time.perf_counter() - started), done


def embedding_seconds(texts: list[str], settings: Settings) -> float:
    """Seconds the configured embedding provider takes for ``texts`` (model loaded first)."""
    from coach.embeddings import make_embeddings

    embeddings = make_embeddings(settings)
    embeddings.embed_documents(texts[:1])
    size = settings.embedding_batch_size
    ordered = sorted(texts, key=len)
    started = time.perf_counter()
    for start in range(0, len(ordered), size):
        embeddings.embed_documents(ordered[start : start + size])
    return time.perf_counter() - started


# The server ---------------------------------------------------------------------------------


@contextmanager
def serving(data_dir: Path, workdir: Path, timeout: float) -> Iterator[tuple[str, int, float]]:
    """``coach serve`` on a free loopback port: its URL, pid and seconds to the first ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        started = time.monotonic()
        server = subprocess.Popen(
            [str(COACH), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=coach_env(data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            ready = wait_ready(url, server, started, timeout, log_path)
            yield url, server.pid, ready
        finally:
            stop_server(server)


def wait_ready(
    url: str, server: subprocess.Popen[bytes], started: float, timeout: float, log: Path
) -> float:
    """Seconds from spawning to the first 200 from ``/readyz``."""
    with httpx.Client(timeout=2) as client:
        while time.monotonic() - started < timeout:
            if server.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise StageFailed(f"coach serve exited with {server.returncode}: {tail}")
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(POLL_SECONDS)
    raise StageFailed(f"coach serve was not ready within {timeout:g} s")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM); psutil's current RSS where /proc has none."""
    if Path(f"/proc/{pid}/status").is_file():
        return memory_mb(pid, "VmHWM")
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        return 0.0
    return float(psutil.Process(pid).memory_info().rss) / 2**20


# Chat ---------------------------------------------------------------------------------------


def heading_questions(guides: Sequence[SaltedGuide], rng: random.Random) -> list[str]:
    """One question per (copy, section heading), shuffled across copies and guides."""
    asked = [
        f"What does {guide.title} say about {section}?"
        for guide in guides
        for section in dict.fromkeys(guide.sections)
        if section and section != guide.title
    ]
    rng.shuffle(asked)
    return asked


def plan_questions(guides: Sequence[SaltedGuide], count: int, seed: int = 0) -> list[Question]:
    """``count`` questions: mostly new headings, with follow-ups, repeats and the fixed set."""
    rng = random.Random(seed)
    fresh = iter(heading_questions(guides, rng))
    pattern = ("heading", "heading", "follow-up", "heading", "repeat", "fixed")
    plan: list[Question] = []
    asked: list[str] = []
    for n in range(count):
        kind = pattern[n % len(pattern)]
        if kind == "follow-up" and plan:
            plan.append(Question(FOLLOW_UP, kind, follow=True))
            continue
        if kind == "repeat" and asked:
            plan.append(Question(rng.choice(asked), kind))
            continue
        text = next(fresh, None) if kind != "fixed" else None
        if text is None:
            plan.append(Question(QUESTIONS[n % len(QUESTIONS)], "fixed"))
            continue
        asked.append(text)
        plan.append(Question(text, "heading"))
    return plan


def chat(
    url: str, plan: Sequence[Question], timeout: float, progress: Progress, task: Any
) -> tuple[list[ChatTiming], dict[str, int]]:
    """Ask ``plan`` in order over HTTP, one at a time; the timings and errors by kind."""
    timings: list[ChatTiming] = []
    errors: dict[str, int] = {}
    cited: set[str] = set()
    session: str | None = None
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=60) as client:
        for question in plan:
            if time.monotonic() > deadline:
                errors["stage timeout"] = errors.get("stage timeout", 0) + 1
                break
            body = {"message": question.text, "session_id": session if question.follow else None}
            started = time.perf_counter()
            try:
                response = client.post("/api/chat", json=body)
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                answer = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                kind = type(exc).__name__
                errors[kind] = errors.get(kind, 0) + 1
                session = None
                progress.advance(task)
                continue
            session = answer.get("session_id")
            ids = {c.get("chunk_id") for c in answer.get("citations", [])} - {None}
            first = bool(ids) and not ids & cited
            cited |= ids
            timings.append(ChatTiming(elapsed, question.kind, first, bool(answer.get("refused"))))
            progress.advance(task)
    return timings, errors


def latency_figures(result: ScaleResult, timings: list[ChatTiming]) -> None:
    def pct(values: list[float], q: float) -> float:
        return round(percentile(sorted(values), q), 1)

    everything = [t.ms for t in timings]
    first = [t.ms for t in timings if t.first_touch]
    later = [t.ms for t in timings if not t.first_touch]
    result.questions = len(timings)
    result.refused = sum(t.refused for t in timings)
    result.p50_ms, result.p95_ms = pct(everything, 50), pct(everything, 95)
    result.max_ms = round(max(everything, default=0.0), 1)
    result.first_answer_ms = round(everything[0], 1) if everything else 0.0
    result.first_touches = len(first)
    result.first_touch_p50_ms, result.first_touch_p95_ms = pct(first, 50), pct(first, 95)
    result.later_p50_ms = pct(later, 50)


# Stages -------------------------------------------------------------------------------------


@dataclass
class Store:
    """A measured scale's store, kept for the stages that need the largest one."""

    data_dir: Path
    guides_dir: Path
    workdir: Path
    guides: list[SaltedGuide]


def measure_scale(
    scale: int, folders: list[Path], root: Path, args: argparse.Namespace, progress: Progress
) -> tuple[ScaleResult, Store]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    result = ScaleResult(scale=scale, load_before=round(os.getloadavg()[0], 2))
    workdir = root / f"scale-{scale:02d}"
    store = Store(workdir / ".coach", workdir / "guides", workdir, [])
    label = f"{scale}×"

    task = progress.add_task(f"{label} writing salted copies", total=None)
    store.guides = write_copies(folders, scale, store.guides_dir, settings)
    result.guides = len(store.guides)
    result.unsalted_chunks = sum(g.unsalted for g in store.guides)

    progress.update(task, description=f"{label} ingesting {result.guides} guides")
    report, wall = ingest(store.guides_dir, store.data_dir, workdir, args.stage_timeout)
    result.chunks = int(report["chunks_total"])
    result.ingest_s = round(float(report["seconds"]), 2)
    result.ingest_wall_s = round(wall, 2)
    result.ingest_chunks_per_s = round(result.chunks / max(result.ingest_s, 1e-9), 1)

    progress.update(task, description=f"{label} raw ONNX on {args.onnx_sample} chunk texts")
    sample = spread_sample(chunk_texts(store.guides_dir, settings), args.onnx_sample)
    rate, done = RawOnnx().rate(sample, settings.embedding_batch_size, args.stage_timeout)
    result.onnx_sample = done
    result.onnx_chunks_per_s = round(rate, 1)
    result.ingest_vs_onnx = round(result.ingest_chunks_per_s / rate, 2)

    progress.update(task, description=f"{label} starting coach serve")
    with serving(store.data_dir, workdir, args.stage_timeout) as (url, pid, ready):
        result.ready_s = round(ready, 2)
        plan = plan_questions(store.guides, args.questions)
        progress.update(task, description=f"{label} chat over HTTP", total=len(plan))
        timings, result.error_kinds = chat(url, plan, args.stage_timeout, progress, task)
        result.errors = sum(result.error_kinds.values())
        result.peak_rss_mb = round(peak_rss_mb(pid), 1)
    latency_figures(result, timings)
    progress.remove_task(task)
    return result, store


def changed_guide(store: Store) -> Path:
    """The largest original guide, edited: one sentence appended (its last chunk changes)."""
    biggest = max((g for g in store.guides if g.copy == 1), key=lambda g: g.chunks)
    path = store.guides_dir / biggest.name
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(f"{text}\n\nThis sentence was added to measure re-ingestion.\n", "utf-8")
    return path


def measure_reingest(store: Store, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    path = changed_guide(store)
    report, wall = ingest(path, store.data_dir, store.workdir, args.stage_timeout)
    from ingest.chunker import chunk_guide
    from ingest.loader import load_guide

    texts = [c.embedding_text() for c in chunk_guide(load_guide(path), settings)]
    own = embedding_seconds(texts, settings)
    seconds = float(report["seconds"])
    return {
        "guide": path.name,
        "store_chunks": int(report.get("stored", 0)),
        "guide_chunks": len(texts),
        "changed_chunks": int(report.get("added", 0)) + int(report.get("updated", 0)),
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "guide_embedding_seconds": round(own, 2),
        "target_seconds": round(TARGETS["reingest_overhead_s"] + own, 2),
    }


def eval_corpus(settings: Settings) -> tuple[str, int, int] | None:
    """Of the corpora with at least 40 golden items, the one with the most chunks: its name,
    items and chunks (the target is 40 items on about 400 chunks)."""
    best: tuple[str, int, int] | None = None
    for golden in sorted(CORPORA.glob("*/golden.jsonl")) if CORPORA.is_dir() else []:
        items = sum(1 for line in golden.read_text("utf-8").splitlines() if line.strip())
        guides = corpus_guides(golden.parent)
        if items < EVAL_ITEMS or not guides.is_dir():
            continue
        chunks = len(chunk_texts(guides, settings))
        if best is None or chunks > best[2]:
            best = (golden.parent.name, items, chunks)
    return best


def measure_eval(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``coach eval --corpus`` timed on 40 items or so, when the option exists."""
    env = coach_env(root / "eval" / ".coach")
    usage = run_coach(["eval", "--help"], env, REPO, 60)
    if "--corpus" not in usage:
        return {"skipped": "coach eval has no --corpus option on this code"}
    chosen = eval_corpus(Settings(_env_file=None))  # type: ignore[call-arg]
    if chosen is None:
        return {"skipped": f"no corpus in {CORPORA} has {EVAL_ITEMS} golden items"}
    name, items, chunks = chosen
    out = root / "eval" / "out"
    command = ["eval", "--corpus", name, "--out", str(out)]
    command += ["--no-baseline"] if "--no-baseline" in usage else []
    command += ["--split", "all"] if "--split" in usage else []
    command += ["--limit", str(EVAL_ITEMS)] if "--limit" in usage else []
    started = time.perf_counter()
    run_coach(command, env, REPO, args.stage_timeout)
    seconds = time.perf_counter() - started
    ran = eval_items(out) or items
    return {
        "corpus": name,
        "chunks": chunks,
        "items": ran,
        "seconds": round(seconds, 1),
        "seconds_per_item": round(seconds / ran, 2),
        "command": "coach " + " ".join(c for c in command if not c.startswith(str(root))),
    }


def eval_items(out: Path) -> int | None:
    """How many items the coach answered, from the run's results.jsonl files."""
    counts = []
    for path in out.rglob("results.jsonl"):
        lines = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        counts.append(sum(1 for r in lines if r.get("system", "coach") == "coach"))
    return max(counts, default=0) or None


# Main ---------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
            timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return done.stdout.strip() or "?"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,5,10", help="copies of the corpora, e.g. 1,2")
    parser.add_argument("--questions", type=int, default=60, help="chat questions per scale")
    parser.add_argument("--onnx-sample", type=int, default=256, help="chunk texts for raw ONNX")
    parser.add_argument("--stage-timeout", type=float, default=1800, help="seconds per stage")
    parser.add_argument("--no-eval", action="store_true", help="skip the coach eval timing")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where results are written")
    args = parser.parse_args(argv)
    try:
        args.scales = sorted({int(s) for s in args.scales.split(",") if s.strip()})
    except ValueError:
        parser.error("--scales takes whole numbers separated by commas, e.g. 1,5,10")
    if not args.scales or min(args.scales) < 1 or max(args.scales) > 50:
        parser.error("--scales: each scale must be between 1 and 50")
    if not 1 <= args.questions <= 1000:
        parser.error("--questions must be between 1 and 1000")
    if args.onnx_sample < 8 or args.stage_timeout <= 0:
        parser.error("--onnx-sample must be at least 8 and --stage-timeout positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in list(os.environ):  # measured in process as in the servers: defaults, offline
        if name.startswith(("COACH_", "OPENAI_")) or name == "CHROMA_URL":
            del os.environ[name]
    console = Console()
    if not COACH.is_file():
        console.print(f"[red]No coach command at {COACH}[/]: run make setup")
        return 1
    folders = bundled_corpora()
    console.print("[bold]Career Coach — scale benchmark[/]")
    console.print("Corpora: " + ", ".join(str(f.relative_to(REPO)) for f in folders))
    console.print(
        f"Scales {', '.join(f'{s}×' for s in args.scales)}: renamed, salted copies — every "
        "chunk differs from the other copies', but [bold]the copies share their sentences[/]."
    )
    load_before = os.getloadavg()[0]
    results: list[ScaleResult] = []
    extra: dict[str, Any] = {}
    failed: str | None = None
    root = Path(tempfile.mkdtemp(prefix="coach-scale-"))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            store: Store | None = None
            for scale in args.scales:
                if store is not None:
                    shutil.rmtree(store.workdir, ignore_errors=True)  # only the largest is kept
                result, store = measure_scale(scale, folders, root, args, progress)
                results.append(result)
                console.print(
                    f"  {scale}×: {result.chunks:,} chunks · ingest {result.ingest_s:g} s · "
                    f"ready {result.ready_s:g} s · chat p50 {result.p50_ms:g} ms, "
                    f"p95 {result.p95_ms:g} ms · peak RSS {result.peak_rss_mb:,.0f} MB"
                )
            if store is not None:
                task = progress.add_task("re-ingesting one changed guide", total=None)
                extra["reingest"] = measure_reingest(store, args)
                progress.remove_task(task)
            if not args.no_eval:
                task = progress.add_task(f"coach eval ({EVAL_ITEMS} items)", total=None)
                extra["eval"] = measure_eval(root, args)
                progress.remove_task(task)
    except StageFailed as exc:
        failed = str(exc)
        console.print(f"[red]Stage failed:[/] {exc}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    extra["date"] = time.strftime("%Y-%m-%d %H:%M")
    extra["commit"] = git_commit()
    extra["corpora"] = [str(f.relative_to(REPO)) for f in folders]
    extra["load_before"] = round(load_before, 2)
    extra["cpus"] = os.cpu_count()
    extra["failed"] = failed
    extra["chat_mix"] = (
        "one client; per 6 questions: 3 new headings, 1 follow-up, 1 repeat, 1 fixed"
    )
    if results:
        paths = write_results([asdict(r) for r in results], extra, args.out, console)
        console.print("Wrote " + ", ".join(str(p) for p in paths))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
