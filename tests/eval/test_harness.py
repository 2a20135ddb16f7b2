"""The harness end to end: history reaches retrieval, files are written, judge errors surface."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import typer
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from ragas.embeddings.base import LangchainEmbeddingsWrapper
from ragas.llms.base import LangchainLLMWrapper
from typer.testing import CliRunner

from coach.errors import ConfigError, GenerationError, InputError
from coach.factory import Parts
from eval.command import OUTPUT_FILES, eval_command, evaluate, write_outputs
from eval.corpus import CORPORA_DIR
from eval.gate import check, load_thresholds
from eval.golden import GoldenItem, GoldenSet, load_golden
from eval.harness import COACH, Record, SystemRun, run_coach, summarise_system
from eval.metrics import NAN, reciprocal_rank
from eval.plain_rag import guide_files
from eval.ragas_metrics import JudgeRagas, OfflineRagas, RagasCase, make_judge, score_cases
from tests.support import SEEDS, make_settings, run_cli

DOC = "ai-documentation-engineer-transition-guide.txt"
SEEDS_GOLDEN = CORPORA_DIR / "seeds" / "golden.jsonl"
TINY = Path(__file__).parent / "corpora"


@pytest.fixture(scope="module")
def golden() -> GoldenSet:
    return load_golden(SEEDS_GOLDEN)


def item_asking(golden: GoldenSet, words: str) -> GoldenItem:
    return next(i for i in golden.items if words in i.question)


def test_history_reaches_retrieval(parts: Parts, golden: GoldenSet) -> None:
    """'Which tools would I need to learn for it?' only means documentation tools in context."""
    item = item_asking(golden, "Which tools would I need to learn for it?")
    assert item.history and item.sources == (DOC,)
    with_history, without = run_coach(parts.coach, [item, replace(item, history=())])
    assert "documentation" in with_history.standalone.lower()
    assert without.standalone == item.question
    assert [c.chunk_id for c in with_history.context] != [c.chunk_id for c in without.context]
    assert with_history.context[0].source == DOC
    assert reciprocal_rank(with_history.retrieved_sources, item.sources) > reciprocal_rank(
        without.retrieved_sources, item.sources
    )


def test_each_item_gets_a_fresh_session(parts: Parts, golden: GoldenSet) -> None:
    before = parts.history.create_session()
    item = item_asking(golden, "What salary could I expect after the switch?")
    run_coach(parts.coach, [item])
    after = parts.history.create_session()
    assert before != after
    turns = parts.history.recent_turns(before)
    assert turns == []  # nothing leaked into another session


def small_golden(golden: GoldenSet, ids: tuple[str, ...]) -> GoldenSet:
    return GoldenSet(path=golden.path, items=[i for i in golden.items if i.id in ids])


def test_end_to_end_on_a_subset_writes_all_four_files(
    parts: Parts, golden: GoldenSet, tmp_path: Path, embeddings: Any
) -> None:
    """Coach and baseline, offline ragas and a (fake) judge through ragas' own wrappers."""
    kinds = ("fact", "comparison", "follow_up", "injection")
    ids = tuple(next(i.id for i in golden.items if i.kind == k) for k in kinds)
    subset = small_golden(golden, ids)
    judge = JudgeRagas(LangchainLLMWrapper(FakeJudgeChat()), LangchainEmbeddingsWrapper(embeddings))
    summary, records = evaluate(
        subset, parts, guide_files(SEEDS), judge=judge, judge_model="fake-judge"
    )
    paths = write_outputs(tmp_path / "run", summary, records, previous=None)
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == sorted(OUTPUT_FILES)
    assert set(paths) == set(OUTPUT_FILES)

    lines = [json.loads(x) for x in paths["results.jsonl"].read_text().splitlines()]
    assert len(lines) == 2 * len(ids)
    first = lines[0]
    for field in ("question", "answer", "citations", "retrieved", "refused", "mode", "latency_ms"):
        assert field in first
    assert {x["system"] for x in lines} == {"coach", "baseline"}

    stored = json.loads(paths["summary.json"].read_text())
    assert stored["golden"]["items"] == len(ids)
    for system in ("coach", "baseline"):
        metrics = stored["systems"][system]["metrics"]
        assert 0.0 <= metrics["hit_rate"] <= 1.0
        for name in ("faithfulness", "factual_correctness", "llm_context_recall"):
            assert metrics[name] == pytest.approx(1.0), (system, name)
        assert 0.0 < metrics["response_relevancy"] <= 1.0
        assert metrics["latency_p95_ms"] >= metrics["latency_p50_ms"] > 0
        assert isinstance(metrics["rouge_l"], float)
        for name in ("fact_recall", "context_fact_recall", "retention", "grounded_rate"):
            assert 0.0 <= metrics[name] <= 1.0, (system, name)
    assert set(stored["by_kind"]) == set(kinds)
    assert stored["by_kind"]["fact"]["coach"]["items"] == 1
    first_record = next(r for r in records if r.item.key_facts)
    total, in_answer, in_context = first_record.facts_found()
    assert first_record.scores["fact_recall"] == in_answer / total
    assert first_record.scores["context_fact_recall"] == in_context / total
    report = paths["report.md"].read_text()
    assert "| Metric | Coach | Baseline |" in report and "## Verdict" in report
    assert "| Fact recall |" in report and "## Items" in report
    html = paths["report.html"].read_text()
    assert "<svg" in html and "<table>" in html and "<script" not in html


def test_eval_command_runs_from_the_cli(tmp_path: Path, golden: GoldenSet) -> None:
    """--golden PATH: any golden file, over COACH_SEEDS_DIR, no baseline."""
    picked = [i for i in golden.items if i.kind in ("fact", "off_topic")][:2]
    source = SEEDS_GOLDEN.read_text().splitlines()
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(source[i.line - 1] for i in picked) + "\n")
    app = typer.Typer()
    app.command("eval")(eval_command)
    app.command("noop")(lambda: None)  # a group, so "eval" is a subcommand as in coach
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["eval", "--golden", str(path), "--out", str(out), "--no-baseline"]
    )
    assert result.exit_code == 0, result.output
    assert f"to {out}" in " ".join(result.output.split())
    assert all((out / name).is_file() for name in OUTPUT_FILES)
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["systems"]) == {"coach"}
    assert summary["systems"]["coach"]["metrics"]["faithfulness"] == "not run"
    assert "baseline was not run" in (out / "report.md").read_text()


def test_eval_corpus_end_to_end_through_the_cli(tmp_path: Path) -> None:
    """The real `coach eval --corpus`: a private ingest, both systems, every file, one split."""
    out = tmp_path / "out"
    args = ["eval", "--corpus", "tiny", "--corpora-dir", str(TINY), "--out", str(out)]
    result = run_cli(*args, data_dir=tmp_path / ".coach")
    assert result.returncode == 0, result.stderr
    assert "tiny: 4 items (test split)" in " ".join(result.stdout.split())
    assert not (tmp_path / ".coach" / "chroma").exists()  # the user's store is untouched
    assert all((out / "tiny" / name).is_file() for name in OUTPUT_FILES)
    combined = json.loads((out / "summary.json").read_text())
    assert combined["split"] == "test" and list(combined["corpora"]) == ["tiny"]
    summary = combined["corpora"]["tiny"]
    assert summary["corpus"] == "tiny" and summary["golden"]["items"] == 4
    assert summary["golden"]["key_facts"] == 3  # t02 has one fact, t04 two
    lines = [json.loads(x) for x in (out / "tiny" / "results.jsonl").read_text().splitlines()]
    assert {x["id"] for x in lines} == {"t02", "t04", "t06", "t08"}
    assert {x["system"] for x in lines} == {"coach", "baseline"}
    assert all(x["latency_ms"] > 0 and "statements" in x for x in lines)
    for system in ("coach", "baseline"):
        metrics = summary["systems"][system]["metrics"]
        for name in ("fact_recall", "context_fact_recall", "retention"):
            assert 0.0 <= metrics[name] <= 1.0, (system, name)
        assert metrics["refuses_unanswerable"] is not None
    assert summary["systems"]["coach"]["metrics"]["refuses_unanswerable"] == 1.0  # t06, t08
    assert set(summary["by_kind"]) == {"fact", "comparison", "not_covered", "injection"}
    report = (out / "report.md").read_text()
    assert "## tiny" in report and "### tiny by kind" in report and "| Fact recall |" in report


def test_eval_dev_split_and_bad_corpus_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["eval", "--corpus", "tiny", "--corpora-dir", str(TINY), "--no-baseline"]
    dev = ["--split", "dev", "--out", str(out), "--gate"]
    result = run_cli(*args, *dev, data_dir=tmp_path / ".coach")
    assert result.returncode == 1, result.stderr  # tiny has no tables in eval/thresholds.toml
    assert "tiny: no thresholds; add [tiny.min]" in " ".join(result.stdout.split())
    lines = [json.loads(x) for x in (out / "tiny" / "results.jsonl").read_text().splitlines()]
    assert {x["id"] for x in lines} == {"t01", "t03", "t05", "t07"}
    assert {x["system"] for x in lines} == {"coach"}
    wrong = run_cli("eval", "--corpus", "nope", "--corpora-dir", str(TINY), data_dir=tmp_path)
    assert wrong.returncode != 0
    assert "Unknown corpus 'nope'; the corpora are: tiny" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_eval_command_reports_a_malformed_golden_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(SEEDS_GOLDEN.read_text().splitlines()[0] + "\n{not json}\n")
    with pytest.raises(InputError, match=r"bad\.jsonl line 2: invalid JSON"):
        eval_command(golden=path, out=tmp_path / "out", baseline=False)
    assert not (tmp_path / "out").exists()


# The LLM judge -----------------------------------------------------------------------


def test_no_judge_without_a_model_and_a_clear_error_without_a_key(tmp_path: Path) -> None:
    assert make_judge(make_settings(tmp_path), None) is None  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_judge(make_settings(tmp_path, judge_model="gpt-4o-mini"), None)  # type: ignore[arg-type]


def test_judge_builds_ragas_wrappers_without_calling_out(tmp_path: Path, embeddings: Any) -> None:
    settings = make_settings(tmp_path, judge_model="gpt-4o-mini", openai_api_key="sk-test")
    judge = make_judge(settings, embeddings)
    assert judge is not None
    assert set(judge.metrics) == {
        "faithfulness",
        "response_relevancy",
        "factual_correctness",
        "llm_context_recall",
    }
    assert all(isinstance(m.llm, LangchainLLMWrapper) for m in judge.metrics.values())


class FakeJudgeChat(BaseChatModel):
    """A deterministic judge: answers each ragas prompt with JSON in its output schema.

    With ``statements=False`` it finds no statements in any answer, which makes ragas'
    Faithfulness NaN.
    """

    statements: bool = True

    @property
    def _llm_type(self) -> str:
        return "fake-judge"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **_: Any
    ) -> ChatResult:
        prompt = "\n".join(str(m.content) for m in messages)
        claim = "The transition takes 2-3 months."
        out: dict[str, Any]
        if '"verdict"' in prompt:
            out = {"statements": [{"statement": claim, "reason": "stated", "verdict": 1}]}
        elif '"attributed"' in prompt:
            out = {"classifications": [{"statement": claim, "reason": "r", "attributed": 1}]}
        elif '"noncommittal"' in prompt:
            out = {"question": "How long does the transition take?", "noncommittal": 0}
        elif '"claims"' in prompt:
            out = {"claims": [claim]}
        else:
            out = {"statements": [claim] if self.statements else []}
        message = AIMessage(content=json.dumps(out))
        return ChatResult(generations=[ChatGeneration(message=message)])


def test_a_real_ragas_nan_is_never_silent(embeddings: Any) -> None:
    """ragas Faithfulness is NaN when the answer holds no statements: summary and gate say so."""
    judge = JudgeRagas(
        LangchainLLMWrapper(FakeJudgeChat(statements=False)),
        LangchainEmbeddingsWrapper(embeddings),
    )
    scores = score_cases([CASE], OfflineRagas(), judge)["coach/q1"]
    assert math.isnan(scores["faithfulness"])
    item = GoldenItem("q1", "Q?", "R", ("a.md",), True)
    record = Record(COACH, item, "An answer [1].", [], [], False, "extractive", 5.0, "Q?")
    record.scores = dict(scores)
    summary = summarise_system(SystemRun(COACH, 6, "", [record], lambda s: []), judge_ran=True)
    assert summary["metrics"]["faithfulness"] == NAN
    assert summary["notes"]["faithfulness"] == "NaN on q1"
    assert (
        "faithfulness is NaN"
        in check({"systems": {"coach": summary}}, load_thresholds()["seeds"]).failures
    )
    assert json.loads(json.dumps(record.to_json()))["scores"]["faithfulness"] == NAN


class FakeMetric:
    """Stands in for a ragas LLM metric: returns a fixed score, or raises."""

    def __init__(self, value: float | Exception) -> None:
        self.value = value

    async def single_turn_ascore(self, sample: Any) -> float:
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def fake_judge(**metrics: FakeMetric) -> JudgeRagas:
    judge = JudgeRagas.__new__(JudgeRagas)
    judge.metrics = dict(metrics)
    return judge


CASE = RagasCase(
    "coach/q1",
    "How long?",
    "It takes 2-3 months [1].",
    "2-3 months.",
    False,
    ["c1"],
    ["2-3 months to become productive."],
    ["c1"],
    ["2-3 months to become productive."],
)


def test_a_judge_error_raises_with_its_context() -> None:
    judge = fake_judge(factual_correctness=FakeMetric(TimeoutError("judge timed out")))
    with pytest.raises(GenerationError, match=r"coach/q1 \(factual_correctness\).*timed out"):
        score_cases([CASE], OfflineRagas(), judge)
