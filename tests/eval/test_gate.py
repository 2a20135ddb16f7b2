"""The gate: per-corpus thresholds, NaN, skipped judge metrics, baselines and its command line."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest

from coach.errors import InputError
from eval.command import baseline_summary_path
from eval.corpus import CORPORA_DIR, discover
from eval.gate import (
    BASELINES_DIR,
    DEFAULT_THRESHOLDS,
    Bound,
    check,
    check_corpora,
    load_thresholds,
    propose_thresholds,
    write_baselines,
)
from eval.metrics import NAN, NOT_RUN

TINY = Path(__file__).parent / "corpora"


def summary(corpus: str = "seeds", **metrics: Any) -> dict[str, Any]:
    return {
        "corpus": corpus,
        "systems": {"coach": {"metrics": metrics}, "baseline": {"metrics": {}}},
    }


def combined(*summaries: dict[str, Any]) -> dict[str, Any]:
    return {"corpora": {s["corpus"]: s for s in summaries}}


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


def test_each_corpus_is_gated_on_its_own_thresholds() -> None:
    thresholds = {"seeds": [Bound("fact_recall", 0.5, "min")], "tiny": BOUNDS}
    both = combined(
        summary("seeds", fact_recall=0.6),
        summary("tiny", hit_rate=0.5, latency_p95_ms=10.0),
    )
    result = check_corpora(both, thresholds)
    assert result.failures == ["tiny: hit_rate = 0.5, needs ≥ 0.9"]
    assert result.passed == [
        "seeds: fact_recall = 0.6 (≥ 0.5)",
        "tiny: latency_p95_ms = 10 (≤ 1000)",
    ]


def test_a_corpus_without_thresholds_fails_with_what_to_do() -> None:
    result = check_corpora(combined(summary("new", fact_recall=0.9)), {"seeds": BOUNDS})
    [failure] = result.failures
    assert failure.startswith("new: no thresholds; add [new.min] and [new.max]")
    assert "--write-baseline" in failure
    assert not check_corpora({"corpora": {}}, {}).ok


def test_committed_thresholds_cover_every_committed_corpus() -> None:
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)
    names = {b.metric for b in thresholds["seeds"]}
    gated = {"fact_recall", "context_fact_recall", "retention", "answers_answerable"}
    gated |= {"refuses_unanswerable", "citation_validity", "cites_expected_source"}
    assert gated <= names
    assert any(b.kind == "max" and b.metric == "latency_p50_ms" for b in thresholds["seeds"])
    for corpus in discover(CORPORA_DIR):
        assert corpus.name in thresholds, f"add [{corpus.name}.min] to eval/thresholds.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[seeds.min]\nhit_rat = 0.9\n", "unknown metric 'hit_rat'"),
        ("[seeds.least]\nhit_rate = 0.9\n", "use \\[seeds.min\\] and \\[seeds.max\\]"),
        ("[seeds.min]\nhit_rate = 'high'\n", "must be a number"),
        ("[min]\nhit_rate = 0.9\n", "thresholds are per corpus"),
        ("seeds = 3\n", "expected \\[seeds.min\\]"),
        ("[seeds.min\n", "invalid TOML"),
    ],
)
def test_bad_thresholds_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_thresholds(path)


def gate(*args: str) -> tuple[int, str]:
    """``coach eval --gate ARGS``: the exit code and what it printed."""
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["eval", "--gate", *args])
    return result.exit_code, result.output


def test_gate_exit_codes(tmp_path: Path) -> None:
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[seeds.min]\nhit_rate = 0.9\n")
    good, bad, single = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "one.json"
    good.write_text(json.dumps(combined(summary(hit_rate=0.95))))
    bad.write_text(json.dumps(combined(summary(hit_rate=0.5), summary("other", hit_rate=1.0))))
    single.write_text(json.dumps(summary(hit_rate=0.95)))  # one corpus's summary.json
    args = ["--thresholds", str(thresholds), "--summary"]
    assert gate(*args, str(good))[0] == 0
    assert gate(*args, str(single))[0] == 0
    code, out = gate(*args, str(bad))
    assert code == 1
    assert "seeds: hit_rate = 0.5, needs ≥ 0.9" in out
    assert "other: no thresholds" in " ".join(out.split())
    code, out = gate(*args, str(tmp_path / "missing.json"))
    assert code == 1 and "Cannot read summary" in out
    code, out = gate("--write-baseline", "--no-baseline")  # a baseline needs both systems
    assert code == 1 and "--write-baseline runs every system afresh" in out


def test_proposed_thresholds_sit_just_under_the_numbers() -> None:
    text = propose_thresholds(
        summary("new", fact_recall=0.8333, refusal_accuracy=1.0, mrr=None, latency_p50_ms=42.0)
    )
    data = tomllib.loads(text)
    assert data["new"]["min"] == {"fact_recall": 0.81, "refusal_accuracy": 0.98}
    assert data["new"]["max"] == {"latency_p50_ms": 1500}


def test_write_baseline_copies_the_run_and_adds_missing_thresholds(tmp_path: Path) -> None:
    out = tmp_path / "run"
    for name in ("seeds", "new"):
        (out / name).mkdir(parents=True)
        for file in ("summary.json", "results.jsonl", "report.md"):
            (out / name / file).write_text(f"{name} {file}")
    thresholds = tmp_path / "thresholds.toml"
    thresholds.write_text("[seeds.min]\nhit_rate = 0.9\n")
    both = combined(summary("seeds", hit_rate=0.95), summary("new", hit_rate=0.7))
    from rich.console import Console

    write_baselines(both, out, thresholds, Console(quiet=True), baselines_dir=tmp_path / "base")
    assert (tmp_path / "base" / "new" / "summary.json").read_text() == "new summary.json"
    assert (tmp_path / "base" / "seeds" / "report.md").read_text() == "seeds report.md"
    loaded = load_thresholds(thresholds)
    assert [b.limit for b in loaded["seeds"]] == [0.9]  # existing tables are kept as they are
    assert [(b.metric, b.limit) for b in loaded["new"]] == [("hit_rate", 0.68)]


def test_gate_runs_a_corpus_and_passes_or_fails_on_it(tmp_path: Path) -> None:
    """One real run of the tiny corpus; its summary then passes lax and fails strict bounds."""
    lax, strict = tmp_path / "lax.toml", tmp_path / "strict.toml"
    lax.write_text("[tiny.min]\nrefuses_unanswerable = 0.5\n\n[tiny.max]\nlatency_p50_ms = 60000\n")
    strict.write_text("[tiny.min]\nfact_recall = 1.01\n")
    out = tmp_path / "out"
    argv = ["--corpora-dir", str(TINY), "--out", str(out), "--no-baseline", "--quiet"]
    code, printed = gate(*argv, "--thresholds", str(lax))
    assert code == 0, printed
    assert "Gate passed: 2 passed, 0 failed." in printed
    code, printed = gate("--summary", str(out / "summary.json"), "--thresholds", str(strict))
    assert code == 1
    assert "tiny: fact_recall = " in printed


def test_the_committed_baselines_pass_the_gate() -> None:
    """eval/baseline/<corpus>/summary.json is a real test-split run: it meets the thresholds."""
    thresholds = load_thresholds(DEFAULT_THRESHOLDS)
    for corpus in discover(CORPORA_DIR):
        path = baseline_summary_path(corpus.name)
        assert path.is_file(), f"run coach eval --gate --write-baseline for {corpus.name}"
        committed = json.loads(path.read_text(encoding="utf-8"))
        result = check(committed, thresholds[corpus.name])
        assert result.ok, (corpus.name, result.failures)
        assert committed["golden"]["split"] == "test"
        assert set(committed["systems"]) == {"coach", "baseline"}
    assert BASELINES_DIR.is_dir()
