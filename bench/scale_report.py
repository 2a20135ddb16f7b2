"""The scale benchmark's targets and outputs: a console table, scale.md, .json and .png."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# Issue 9's targets, on 2 cores, for a store of about 8,000 chunks.
TARGETS: dict[str, float] = {
    "chunks": 8000,
    "p50_ms": 40,
    "p95_ms": 100,
    "ready_s": 5,
    "rss_mb": 1536,
    "p50_growth": 1.7,
    "ingest_vs_onnx": 0.8,
    "reingest_overhead_s": 5,
    "eval_s": 60,
}

MEASURES = (  # (key, label): one row each, one column per scale
    ("guides", "guides"),
    ("chunks", "chunks"),
    ("ingest_s", "ingest s"),
    ("ingest_chunks_per_s", "ingest chunks/s"),
    ("onnx_chunks_per_s", "raw ONNX chunks/s"),
    ("ingest_vs_onnx", "ingest / ONNX"),
    ("ready_s", "ready s"),
    ("p50_ms", "chat p50 ms"),
    ("p95_ms", "chat p95 ms"),
    ("first_answer_ms", "first answer ms"),
    ("first_touch", "first touches p50 / p95 ms (count)"),
    ("later_p50_ms", "later p50 ms"),
    ("max_ms", "max ms"),
    ("peak_rss_mb", "peak RSS MB"),
    ("errors", "errors"),
    ("load_before", "load average before"),
)


def cell(row: dict[str, Any], key: str) -> str:
    if key == "first_touch":
        p50, p95 = row["first_touch_p50_ms"], row["first_touch_p95_ms"]
        return f"{p50:g} / {p95:g} ({row['first_touches']})"
    value = row[key]
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def checks(
    rows: Sequence[dict[str, Any]], extra: dict[str, Any]
) -> list[tuple[str, str, str, bool]]:
    """(target, wanted, measured, met) for the largest scale, growth, ingestion and the extras."""
    big, small = rows[-1], rows[0]
    at = f"at {big['chunks']:,} chunks"
    found = []
    for name, k, key, unit in (
        ("chat p50", "p50_ms", "p50_ms", "ms"),
        ("chat p95", "p95_ms", "p95_ms", "ms"),
        ("ready", "ready_s", "ready_s", "s"),
        ("peak RSS", "peak_rss_mb", "rss_mb", "MB"),
    ):
        wanted, measured = f"≤ {TARGETS[key]:g} {unit}", f"{big[k]:,.1f} {unit}"
        found.append((f"{name} {at}", wanted, measured, big[k] <= TARGETS[key]))
    if len(rows) > 1 and small["p50_ms"] > 0:
        growth = big["p50_ms"] / small["p50_ms"]
        found.append(
            (
                f"p50 growth {small['scale']}× → {big['scale']}×",
                f"≤ {TARGETS['p50_growth']:g}×",
                f"{growth:.2f}×",
                growth <= TARGETS["p50_growth"],
            )
        )
    worst = min(rows, key=lambda r: r["ingest_vs_onnx"])
    found.append(
        (
            "ingest / raw ONNX (worst scale)",
            f"≥ {TARGETS['ingest_vs_onnx']:g}×",
            f"{worst['ingest_vs_onnx']:g}× at {worst['scale']}×",
            worst["ingest_vs_onnx"] >= TARGETS["ingest_vs_onnx"],
        )
    )
    reingest = extra.get("reingest")
    if reingest:
        found.append(
            (
                f"re-ingest one changed guide in {reingest['store_chunks']:,} chunks",
                f"≤ {TARGETS['reingest_overhead_s']:g} s + its embedding "
                f"({reingest['guide_embedding_seconds']:g} s)",
                f"{reingest['seconds']:g} s",
                reingest["seconds"] <= reingest["target_seconds"],
            )
        )
    run = extra.get("eval") or {}
    if "seconds" in run:
        found.append(
            (
                f"coach eval, {run['items']} items, {run['corpus']} ({run['chunks']} chunks)",
                f"< {TARGETS['eval_s']:g} s for 40 items",
                f"{run['seconds']:g} s",
                run["seconds"] * 40 / max(run["items"], 1) < TARGETS["eval_s"],
            )
        )
    return found


def notes(rows: Sequence[dict[str, Any]], extra: dict[str, Any]) -> list[str]:
    """What a reader needs to read the figures right."""
    said = [
        "Copies are renamed and salted (a line naming the copy in every section and wherever a "
        "chunk would repeat another copy's), so no chunk is deduplicated — but the copies "
        "share their sentences: a cache keyed by sentence sees each sentence once per corpus.",
        f"Chat: {extra.get('chat_mix', '')}; a first touch is an answer none of whose cited "
        "chunks an earlier answer cited.",
        "Ingest seconds are those `coach ingest --json` reports (loading the model included, "
        "process start-up not); raw ONNX excludes loading.",
        f"Targets are stated for about {TARGETS['chunks']:,.0f} chunks; the largest store here "
        f"has {rows[-1]['chunks']:,}.",
    ]
    unsalted = max(r["unsalted_chunks"] for r in rows)
    if unsalted:
        said.append(f"{unsalted} chunks of the copies could not be salted (a single long line).")
    if extra.get("load_before", 0) > 0.5:
        said.append(
            f"The machine was busy before the run (load {extra['load_before']:g} on "
            f"{extra.get('cpus')} cores): the figures are pessimistic."
        )
    run = extra.get("eval") or {}
    if "skipped" in run:
        said.append(f"coach eval not timed: {run['skipped']}.")
    if extra.get("failed"):
        said.append(f"A stage failed, the figures are partial: {extra['failed']}")
    return said


def markdown(rows: Sequence[dict[str, Any]], extra: dict[str, Any]) -> str:
    lines = [
        "# Scale benchmark",
        "",
        f"{extra.get('date', '')}, commit {extra.get('commit', '?')}, {extra.get('cpus')} cores. "
        f"Corpora: {', '.join(extra.get('corpora', []))}.",
        "",
        "| measure | " + " | ".join(f"{r['scale']}×" for r in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    lines += [
        f"| {label} | " + " | ".join(cell(r, k) for r in rows) + " |" for k, label in MEASURES
    ]
    lines += ["", "| target | wanted | measured | |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {want} | {got} | {'met' if ok else '**missed**'} |"
        for name, want, got, ok in checks(rows, extra)
    ]
    reingest = extra.get("reingest")
    if reingest:
        lines += [
            "",
            f"Re-ingest: `{reingest['guide']}` ({reingest['guide_chunks']} chunks, "
            f"{reingest['changed_chunks']} changed) in a store of {reingest['store_chunks']:,}: "
            f"{reingest['seconds']:g} s in ingestion ({reingest['wall_seconds']:g} s for the whole "
            f"`coach ingest` command); embedding all its chunks alone takes "
            f"{reingest['guide_embedding_seconds']:g} s.",
        ]
    lines += ["", *(f"- {n}" for n in notes(rows, extra)), ""]
    return "\n".join(lines)


def chart(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Chat latency and start-up seconds against chunks, with the targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunks = [r["chunks"] for r in rows]
    fig, (latency, startup) = plt.subplots(1, 2, figsize=(11, 4.2))
    latency.plot(chunks, [r["p50_ms"] for r in rows], "o-", label="p50")
    latency.plot(chunks, [r["p95_ms"] for r in rows], "s-", label="p95")
    latency.plot(chunks, [r["first_touch_p95_ms"] for r in rows], "^--", label="first touches p95")
    latency.axhline(TARGETS["p50_ms"], color="C0", linestyle=":", label="p50 target")
    latency.axhline(TARGETS["p95_ms"], color="C1", linestyle=":", label="p95 target")
    latency.set(title="POST /api/chat latency", xlabel="chunks in the store", ylabel="ms")
    latency.legend()
    startup.plot(chunks, [r["ready_s"] for r in rows], "o-", color="C2", label="coach serve ready")
    startup.axhline(TARGETS["ready_s"], color="C2", linestyle=":", label="target")
    startup.set(title="Start-up: seconds to /readyz 200", xlabel="chunks in the store", ylabel="s")
    startup.set_ylim(bottom=0)
    startup.legend()
    for axes in (latency, startup):
        axes.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_results(
    rows: Sequence[dict[str, Any]], extra: dict[str, Any], out: Path, console: Console
) -> list[Path]:
    """Print the table and write scale.json, scale.md and scale.png under ``out``."""
    table = Table("measure", *(f"{r['scale']}×" for r in rows), title="Scale benchmark")
    for key, label in MEASURES:
        table.add_row(label, *(cell(r, key) for r in rows))
    console.print(table)
    verdicts = Table("target", "wanted", "measured", "")
    for name, want, got, ok in checks(rows, extra):
        verdicts.add_row(name, want, got, "met" if ok else "[red]missed[/]")
    console.print(verdicts)
    for note in notes(rows, extra):
        console.print(f"- {note}")

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "scale.json", out / "scale.md", out / "scale.png"]
    data = {"scales": list(rows), **extra, "targets": TARGETS}
    data["checks"] = [
        {"target": n, "wanted": w, "measured": g, "met": ok} for n, w, g, ok in checks(rows, extra)
    ]
    paths[0].write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(rows, extra), encoding="utf-8")
    chart(rows, paths[2])
    return paths
