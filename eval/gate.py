"""The quality gate: the coach's summary against eval/thresholds.toml.

A metric under its minimum (or over its maximum) fails, and so does any NaN. Metrics that
were not run (the LLM judge without a judge model) are skipped and said so.

    python -m eval.gate                      # run the eval on eval/golden.jsonl, then gate
    python -m eval.gate --summary S.json     # gate an existing summary
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from coach.errors import CoachError, InputError
from eval.metrics import NAN, NOT_RUN, SPECS

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")


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


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> list[Bound]:
    """``[min]`` and ``[max]`` tables of metric = limit; unknown metrics are an InputError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"Thresholds file not found: {path}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML ({exc}).") from exc
    bounds = []
    for kind, table in data.items():
        if kind not in ("min", "max") or not isinstance(table, dict):
            raise InputError(f"{path}: unexpected '{kind}'; use [min] and [max] tables.")
        for metric, limit in table.items():
            if metric not in SPECS:
                raise InputError(f"{path}: unknown metric '{metric}' in [{kind}].")
            if not isinstance(limit, int | float) or isinstance(limit, bool):
                raise InputError(f"{path}: [{kind}] {metric} must be a number.")
            bounds.append(Bound(metric, float(limit), kind))
    return bounds


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


def main(argv: Sequence[str] | None = None) -> int:
    """Gate a summary (or run the eval first); 0 when it passes, 1 when not, 2 on errors."""
    parser = argparse.ArgumentParser(prog="python -m eval.gate", description=__doc__)
    parser.add_argument("--summary", type=Path, help="A summary.json to check (no eval run).")
    parser.add_argument("--golden", type=Path, help="Golden set to run (default: the bundled).")
    parser.add_argument("--out", type=Path, help="Where the run writes its report.")
    parser.add_argument("--thresholds", type=Path, default=DEFAULT_THRESHOLDS)
    parser.add_argument("--quiet", action="store_true", help="No progress bar.")
    args = parser.parse_args(argv)
    console = Console()
    try:
        bounds = load_thresholds(args.thresholds)
        if args.summary:
            import json

            try:
                summary = json.loads(args.summary.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InputError(f"Cannot read summary {args.summary}: {exc}") from exc
        else:
            from coach.settings import Settings
            from eval.command import print_summary, run_eval

            outcome = run_eval(
                Settings(),  # read from the environment
                args.golden,
                args.out,
                show_progress=not args.quiet,
            )
            print_summary(outcome.summary)
            console.print(f"Report: {outcome.out_dir / 'report.html'}")
            summary = outcome.summary
    except CoachError as exc:
        Console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}")
        return 2
    result = check(summary, bounds)
    result.print(console)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
