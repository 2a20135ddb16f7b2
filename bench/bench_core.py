"""Core benchmarks: ingestion of the seeds, embedding throughput, in-process `ask` latency.

Run with `make bench`. Every figure is a median over repeated runs in this one process; the
embedding figure is a ratio against the raw ONNX model on the same texts.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from questions import QUESTIONS, SEEDS  # bench/questions.py
from rich.console import Console
from rich.table import Table

from coach.embeddings import MAX_TOKENS, OnnxMiniLMEmbeddings, local_model_files
from coach.factory import build
from coach.settings import Settings
from ingest.pipeline import ingest_into

ROUNDS = 3


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def bench_ingest(console: Console) -> float:
    times = []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp), seeds_dir=SEEDS)  # type: ignore[call-arg]
            parts = build(settings)
            start = time.perf_counter()
            report = ingest_into(parts, [SEEDS])
            times.append(time.perf_counter() - start)
            assert report.ok, report.errors
    return statistics.median(times)


def raw_onnx(texts: list[str]) -> np.ndarray:
    """The model as its exporter runs it: onnxruntime + tokenizers, one text at a time."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    model, tokenizer_file = local_model_files()
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    out = []
    for text in texts:
        enc = tokenizer.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        pooled = hidden.mean(axis=1)
        out.append(pooled / np.linalg.norm(pooled))
    return np.concatenate(out)


def bench_embeddings(texts: list[str]) -> tuple[float, float]:
    pipeline = OnnxMiniLMEmbeddings()
    pipeline.embed_array(texts[:4])  # load once
    raw_onnx(texts[:2])
    pipe_t, raw_t = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        pipeline.embed_array(texts)
        pipe_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw_onnx(texts)
        raw_t.append(time.perf_counter() - start)
    n = len(texts)
    return n / statistics.median(pipe_t), n / statistics.median(raw_t)


def bench_ask(rounds: int = 8) -> tuple[list[float], list[float], int, float]:
    """Ask latencies with the coverage judge and, in alternate rounds of the same run,
    without it (each round asks every question once, so no answer follows its own twin)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), seeds_dir=SEEDS)  # type: ignore[call-arg]
        parts = build(settings)
        report = ingest_into(parts, [SEEDS])
        chunks = report.chunks_total
        start = time.perf_counter()
        parts.coach.warm_up()  # what `coach serve` does at start-up (api.app.warm_up)
        warm_s = time.perf_counter() - start
        judge = parts.coach.judge
        judged: list[float] = []
        unjudged: list[float] = []
        for r in range(rounds):
            parts.coach.judge = judge if r % 2 == 0 else None
            for question in QUESTIONS:
                start = time.perf_counter()
                parts.coach.ask(question)
                (judged if r % 2 == 0 else unjudged).append((time.perf_counter() - start) * 1000)
        parts.coach.judge = judge
        parts.history.engine.dispose()
    return judged, unjudged, chunks, warm_s


def main() -> None:
    console = Console()
    console.print("[bold]Career Coach — core benchmarks[/]")
    ingest_s = bench_ingest(console)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), seeds_dir=SEEDS)  # type: ignore[call-arg]
        parts = build(settings)
        ingest_into(parts, [SEEDS])
        texts = [c.text for c in parts.store.all_chunks()]
    pipe_rate, raw_rate = bench_embeddings(texts)
    latencies, unjudged, chunks, warm_s = bench_ask()
    table = Table("measure", "value", "target")
    table.add_row(
        f"ingest seeds from empty ({chunks} chunks, median of {ROUNDS})",
        f"{ingest_s:.2f} s",
        "< 5 s",
    )
    table.add_row("embedding: pipeline (batched)", f"{pipe_rate:.0f} texts/s", "")
    table.add_row("embedding: raw ONNX, one text per run", f"{raw_rate:.0f} texts/s", "")
    table.add_row("embedding ratio pipeline / raw", f"{pipe_rate / raw_rate:.2f}x", "≥ 1x")
    table.add_row(
        f"ask p50 ({len(latencies)} questions)", f"{percentile(latencies, 50):.1f} ms", "< 50 ms"
    )
    table.add_row("ask p95", f"{percentile(latencies, 95):.1f} ms", "")
    table.add_row(
        "ask p50 without the coverage judge (same run)",
        f"{percentile(unjudged, 50):.1f} ms",
        "",
    )
    table.add_row(
        "ask p50 ratio with / without the judge",
        f"{percentile(latencies, 50) / percentile(unjudged, 50):.2f}x",
        "≈ 1x",
    )
    table.add_row("start-up (model, stored units, keyword index)", f"{warm_s:.2f} s", "")
    console.print(table)


if __name__ == "__main__":
    main()
