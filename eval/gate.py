"""The quality gate: each corpus's coach metrics against its tables in eval/thresholds.toml.

A metric under its minimum (or over its maximum) fails, and so does any NaN; so does a
corpus without thresholds. Metrics that were not run (the LLM judge without a judge model)
are skipped and said so.

    coach eval --gate                              # every corpus, test split, then gate
    coach eval --gate --summary S.json             # gate an existing (combined or single) summary
    coach eval --gate --write-baseline             # run, commit-ready baselines in eval/baseline/
                                                   # and thresholds for corpora that have none
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from coach.errors import InputError
from eval.metrics import NAN, NOT_RUN, SPECS, is_number

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")
BASELINES_DIR = Path(__file__).with_name("baseline")  # eval/baseline/<corpus>/
# The metrics --write-baseline sets thresholds for, just under the measured values.
GATED_MIN = (
    "fact_recall",
    "context_fact_recall",
    "retention",
    "hit_rate",
    "source_recall_at_k",
    "mrr",
    "citation_validity",
    "cites_expected_source",
    "refusal_accuracy",
    "refuses_unanswerable",
    "answers_answerable",
    "rouge_l",
)
GATED_MAX = ("latency_p50_ms", "latency_p95_ms")
MIN_MARGIN = 0.02  # a min threshold sits this far under the measured value (rounded down)
LATENCY_FLOOR_MS = {"latency_p50_ms": 1500.0, "latency_p95_ms": 5000.0}  # a shared 2-core box


@dataclass(frozen=True)
class Bound:
    """A limit on one metric."""

    metric: str
    limit: float
    kind: str  # "min" or "max"

    def passes(self, value: float) -> bool:
        return value >= self.limit if self.kind == "min" else value <= self.limit

    def describe(self) -> str:
        return f"{'≥' if self.kind == 'min' else '≤'} {self.limit:g}"


Thresholds = dict[str, list[Bound]]  # corpus name -> its bounds


@dataclass
class GateResult:
    """What the gate found."""

    failures: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def print(self, console: Console) -> None:
        for line in self.skipped:
            console.print(f"[dim]skipped: {escape(line)}[/]")
        for line in self.failures:
            console.print(f"[bold red]FAIL[/] {escape(line)}")
        verdict = "[bold green]Gate passed[/]" if self.ok else "[bold red]Gate failed[/]"
        console.print(f"{verdict}: {len(self.passed)} passed, {len(self.failures)} failed.")


def _bounds(table: Any, where: str) -> list[Bound]:
    """The bounds of one corpus's ``{"min": {...}, "max": {...}}`` table."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected [{where}.min] and [{where}.max] tables.")
    bounds = []
    for kind, limits in table.items():
        if kind not in ("min", "max") or not isinstance(limits, dict):
            raise InputError(f"{where}: unexpected '{kind}'; use [{where}.min] and [{where}.max].")
        for metric, limit in limits.items():
            if metric not in SPECS:
                raise InputError(f"{where}: unknown metric '{metric}' in [{where}.{kind}].")
            if not isinstance(limit, int | float) or isinstance(limit, bool):
                raise InputError(f"{where}: [{where}.{kind}] {metric} must be a number.")
            bounds.append(Bound(metric, float(limit), kind))
    return bounds


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> Thresholds:
    """One ``[<corpus>.min]`` / ``[<corpus>.max]`` pair of tables per corpus."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"Thresholds file not found: {path}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc}).") from exc
    if "min" in data or "max" in data:
        raise InputError(
            f"{path}: thresholds are per corpus; "
            "rename [min]/[max] to [<corpus>.min]/[<corpus>.max]."
        )
    return {corpus: _bounds(table, corpus) for corpus, table in data.items()}


def _is_nan(value: Any) -> bool:
    return value == NAN or (isinstance(value, float) and math.isnan(value))


def check(summary: dict[str, Any], bounds: Sequence[Bound], system: str = "coach") -> GateResult:
    """Compare ``system``'s metrics in ``summary`` with ``bounds``; every NaN fails too."""
    result = GateResult()
    try:
        metrics: dict[str, Any] = summary["systems"][system]["metrics"]
    except (KeyError, TypeError):
        result.failures.append(f"the summary has no metrics for '{system}'")
        return result
    for name, value in metrics.items():
        if _is_nan(value):
            result.failures.append(f"{name} is NaN")
    for bound in bounds:
        value = metrics.get(bound.metric, "missing")
        if _is_nan(value):
            continue  # already reported
        if value == NOT_RUN:
            result.skipped.append(f"{bound.metric} was not run")
        elif value is None:
            result.skipped.append(f"{bound.metric} had no items to measure")
        elif not isinstance(value, int | float) or isinstance(value, bool):
            result.failures.append(f"{bound.metric} is {value!r}, expected a number")
        elif bound.passes(float(value)):
            result.passed.append(f"{bound.metric} = {value:g} ({bound.describe()})")
        else:
            result.failures.append(f"{bound.metric} = {value:g}, needs {bound.describe()}")
    return result


def check_corpora(combined: dict[str, Any], thresholds: Thresholds) -> GateResult:
    """Every corpus of a combined summary against its own bounds (missing bounds fail)."""
    result = GateResult()
    corpora = combined.get("corpora")
    if not isinstance(corpora, dict) or not corpora:
        result.failures.append("the summary holds no corpus")
        return result
    for name, summary in corpora.items():
        bounds = thresholds.get(name)
        if bounds is None:
            result.failures.append(
                f"{name}: no thresholds; add [{name}.min] and [{name}.max] to "
                "eval/thresholds.toml (coach eval --gate --write-baseline proposes them)"
            )
            continue
        one = check(summary, bounds)
        result.failures += [f"{name}: {line}" for line in one.failures]
        result.passed += [f"{name}: {line}" for line in one.passed]
        result.skipped += [f"{name}: {line}" for line in one.skipped]
    return result


def _floor(value: float, places: int = 2) -> float:
    return math.floor(value * 10**places) / 10**places


def propose_thresholds(summary: dict[str, Any]) -> str:
    """TOML tables for one corpus: just under its coach's numbers, latency generous."""
    name = summary.get("corpus") or "corpus"
    metrics = summary["systems"]["coach"]["metrics"]
    lines = [f"[{name}.min]"]
    for metric in GATED_MIN:
        value = metrics.get(metric)
        if is_number(value):
            lines.append(f"{metric} = {max(0.0, _floor(float(value) - MIN_MARGIN)):g}")
    lines += ["", f"[{name}.max]"]
    for metric in GATED_MAX:
        value = metrics.get(metric)
        if is_number(value):
            limit = max(LATENCY_FLOOR_MS[metric], 5 * float(value))
            lines.append(f"{metric} = {math.ceil(limit / 100) * 100}")
    return "\n".join(lines) + "\n"


def write_baselines(
    combined: dict[str, Any],
    out_dir: Path,
    thresholds_path: Path,
    console: Console,
    baselines_dir: Path | None = None,
) -> None:
    """Copy each corpus's run into eval/baseline/<corpus>/; add thresholds where missing."""
    import shutil

    target_root = baselines_dir or BASELINES_DIR
    existing = load_thresholds(thresholds_path) if thresholds_path.is_file() else {}
    added = []
    for name, summary in combined["corpora"].items():
        target = target_root / name
        target.mkdir(parents=True, exist_ok=True)
        for file in ("summary.json", "results.jsonl", "report.md"):
            shutil.copyfile(out_dir / name / file, target / file)
        console.print(f"Baseline written: {target}/summary.json")
        if name not in existing:
            added.append(propose_thresholds(summary))
            console.print(f"Thresholds added for {name} (just under today's numbers).")
    if added:
        before = thresholds_path.read_text(encoding="utf-8") if thresholds_path.is_file() else ""
        text = before.rstrip("\n") + ("\n\n" if before.strip() else "") + "\n".join(added)
        thresholds_path.write_text(text, encoding="utf-8")


def read_summary(path: Path) -> dict[str, Any]:
    """A combined summary.json, or one corpus's (read as a combination of one)."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read summary {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a summary.json.")
    if "corpora" not in data:  # one corpus's summary
        data = {"corpora": {data.get("corpus") or "seeds": data}}
    return data
