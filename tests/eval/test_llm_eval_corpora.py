"""The multi-corpus eval with the LLM generator, against a server with a weak model's habits.

Whatever the "model" writes (an invented figure, a refusal phrase before an answer, piled
markers, list numbers that look like citations), no answer may carry an unsupported
statement, no refusal a claim; the eval reports grounded rate, unsupported-statement rate
and refusal accuracy per corpus.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval.command import run_corpora
from eval.corpus import discover
from tests.openai_double.server import OpenAIServer
from tests.openai_double.support import INVENTED, habitual_reply, llm_settings_for

FIGURES = (
    "grounded_rate",
    "unsupported_statement_rate",
    "refusal_accuracy",
    "refuses_unanswerable",
    "answers_answerable",
    "fact_recall",
    "citation_validity",
    "latency_p50_ms",
)


@pytest.mark.timeout(900)  # every corpus's test half through the HTTP double, on 2 cores
def test_every_corpus_evaluates_with_the_llm_and_nothing_unsupported_reaches_an_answer(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    openai_server.responder = habitual_reply
    settings = llm_settings_for(openai_server, tmp_path / ".coach")
    corpora = discover()
    assert len(corpora) >= 3
    outcome = run_corpora(
        settings,
        corpora,
        tmp_path / "out",
        split="test",
        with_baseline=False,
        show_progress=False,
    )
    for corpus in corpora:
        metrics = outcome.summary["corpora"][corpus.name]["systems"]["coach"]["metrics"]
        for name in ("grounded_rate", "unsupported_statement_rate", "refusal_accuracy"):
            assert isinstance(metrics[name], float) and not math.isnan(metrics[name]), name
        assert metrics["unsupported_statement_rate"] == 0.0
        print(corpus.name, {k: metrics[k] for k in FIGURES})
        # a bare refusal is the model's choice; a refusal phrase before content is not
        assert metrics["answers_answerable"] >= 0.5
        rows = [
            json.loads(line)
            for line in (tmp_path / "out" / corpus.name / "results.jsonl").read_text().splitlines()
        ]
        llm = [r for r in rows if r["system"] == "coach" and r["mode"] == "llm"]
        assert llm, "the LLM answered some questions"
        for row in rows:
            assert INVENTED not in row["answer"]
            if row["refused"]:
                assert row["statements"] == [] and row["citations"] == []
            for statement in row["statements"]:
                assert statement["supported"] and statement["citations"]
    assert openai_server.chat_requests()
