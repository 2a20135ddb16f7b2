"""The gate: thresholds, NaN, skipped judge metrics, and its command-line entry."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from coach.errors import InputError
from eval.gate import DEFAULT_THRESHOLDS, Bound, check, load_thresholds, main
from eval.metrics import NAN, NOT_RUN

COMMITTED = Path(__file__).resolve().parents[2] / "eval" / "baseline" / "summary.json"


def summary(**metrics: Any) -> dict[str, Any]:
    return {"systems": {"coach": {"metrics": metrics}, "baseline": {"metrics": {}}}}


BOUNDS = [Bound("hit_rate", 0.9, "min"), Bound("latency_p95_ms", 1000, "max")]


def test_passes_when_every_metric_meets_its_threshold() -> None:
    result = check(summary(hit_rate=0.95, latency_p95_ms=800.0, mrr=0.1), BOUNDS)
    assert result.ok
    assert len(result.passed) == 2


def test_fails_under_a_minimum_and_over_a_maximum() -> None:
    result = check(summary(hit_rate=0.85, latency_p95_ms=1200.0), BOUNDS)
    assert not result.ok
    assert result.failures == [
        "hit_rate = 0.85, needs ≥ 0.9",
        "latency_p95_ms = 1200, needs ≤ 1000",
    ]


@pytest.mark.parametrize("nan", [NAN, math.nan])
def test_any_nan_fails_even_without_a_threshold(nan: Any) -> None:
    result = check(summary(hit_rate=0.95, latency_p95_ms=10.0, faithfulness=nan), BOUNDS)
    assert result.failures == ["faithfulness is NaN"]
    result = check(summary(hit_rate=nan, latency_p95_ms=10.0), BOUNDS)
    assert result.failures == ["hit_rate is NaN"]


def test_not_run_and_missing_metrics() -> None:
    bounds = [Bound("faithfulness", 0.8, "min"), Bound("mrr", 0.5, "min")]
    result = check(summary(faithfulness=NOT_RUN), bounds)
    assert result.skipped == ["faithfulness was not run"]
    assert result.failures == ["mrr is 'missing', expected a number"]
    assert not check({"systems": {}}, bounds).ok


def test_committed_thresholds_load() -> None:
    bounds = load_thresholds(DEFAULT_THRESHOLDS)
    names = {b.metric for b in bounds}
    assert {"hit_rate", "mrr", "refuses_unanswerable", "citation_validity"} <= names
    assert any(b.kind == "max" and b.metric == "latency_p95_ms" for b in bounds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[min]\nhit_rat = 0.9\n", "unknown metric 'hit_rat'"),
        ("[least]\nhit_rate = 0.9\n", "use \\[min\\] and \\[max\\]"),
        ("[min]\nhit_rate = 'high'\n", "must be a number"),
        ("[min\n", "invalid TOML"),
    ],
)
def test_bad_thresholds_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_thresholds(path)


def test_main_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[min]\nhit_rate = 0.9\n")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(summary(hit_rate=0.95)))
    bad.write_text(json.dumps(summary(hit_rate=0.5)))
    args = ["--thresholds", str(thresholds), "--summary"]
    assert main([*args, str(good)]) == 0
    assert main([*args, str(bad)]) == 1
    assert "hit_rate = 0.5, needs ≥ 0.9" in capsys.readouterr().out
    assert main([*args, str(tmp_path / "missing.json")]) == 2


def test_the_committed_summary_passes_the_gate() -> None:
    """eval/baseline/summary.json is a real run: it must meet today's thresholds."""
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    result = check(committed, load_thresholds(DEFAULT_THRESHOLDS))
    assert result.ok, result.failures
    assert committed["golden"]["items"] >= 40
    assert set(committed["systems"]) == {"coach", "baseline"}
