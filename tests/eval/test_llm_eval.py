"""The eval harness with the LLM generator, and ragas' LLM-judged metrics, on the test server.

This proves the wiring (requests reach the server, metrics come back as numbers), not the
scores: the server's answers are canned.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.command import run_eval
from eval.corpus import CORPORA_DIR
from eval.metrics import JUDGE_METRICS
from tests.openai_double.server import OpenAIServer
from tests.openai_double.support import llm_settings_for
from tests.support import run_cli


def small_golden(path: Path) -> Path:
    """Three items of the real golden set: a fact, a follow-up with history, an unanswerable."""
    seeds = (CORPORA_DIR / "seeds" / "golden.jsonl").read_text()
    items = [json.loads(line) for line in seeds.splitlines() if line.strip()]
    fact = next(i for i in items if i["answerable"] and not i.get("history"))
    follow_up = next(i for i in items if i["answerable"] and i.get("history"))
    unanswerable = next(i for i in items if not i["answerable"])
    path.write_text("".join(json.dumps(i) + "\n" for i in (fact, follow_up, unanswerable)))
    return path


def test_the_eval_runs_the_llm_coach_and_the_ragas_judge(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    settings = llm_settings_for(openai_server, tmp_path / ".coach", judge_model="judge-model")
    outcome = run_eval(
        settings,
        small_golden(tmp_path / "golden.jsonl"),
        tmp_path / "out",
        with_baseline=False,
        show_progress=False,
    )
    records = {r.item.id: r for r in outcome.records}
    answered = [r for r in records.values() if not r.refused]
    assert answered and all(r.mode == "llm" for r in answered)
    assert all(r.citations for r in answered)

    requests = openai_server.chat_requests()
    coach_calls = [r for r in requests if r.body["model"] == "gpt-4o-mini"]
    judge_calls = [r for r in requests if r.body["model"] == "judge-model"]
    assert any("standalone question" in r.system for r in coach_calls)  # the follow-up
    assert any("<guides>" in r.system for r in coach_calls)
    assert judge_calls and all("JSON Schema" in r.last_user for r in judge_calls)

    metrics = outcome.summary["systems"]["coach"]["metrics"]
    for name in JUDGE_METRICS:
        value = metrics[name]
        assert isinstance(value, float) and not math.isnan(value), (name, value)
    assert outcome.summary["judge"] == "judge-model"
    assert (tmp_path / "out" / "report.md").is_file()


def test_coach_eval_corpus_with_the_llm_generator(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    """`coach eval --corpus tiny --generator llm` answers through OPENAI_BASE_URL."""
    corpora = Path(__file__).resolve().parent / "corpora"
    out = tmp_path / "out"
    args = ["eval", "--corpus", "tiny", "--corpora-dir", str(corpora), "--generator", "llm"]
    result = run_cli(
        *args,
        "--no-baseline",
        "--out",
        str(out),
        data_dir=tmp_path / ".coach",
        OPENAI_BASE_URL=openai_server.base_url,
        OPENAI_API_KEY="sk-test",
        COACH_LLM_RETRIES="0",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "tiny" / "summary.json").read_text())
    coach = summary["systems"]["coach"]
    assert coach["config"]["generator"] == "llm"
    assert "llm answers" in coach["description"]
    lines = [json.loads(x) for x in (out / "tiny" / "results.jsonl").read_text().splitlines()]
    answered = [x for x in lines if not x["refused"]]
    assert answered and all(x["mode"] == "llm" for x in answered)
    assert any("<guides>" in r.system for r in openai_server.chat_requests())
    assert isinstance(coach["metrics"]["grounded_rate"], float)
    assert 0.0 <= coach["metrics"]["fact_recall"] <= 1.0
