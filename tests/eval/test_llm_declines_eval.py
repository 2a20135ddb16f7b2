"""Issue 27's done-when: a model that declines everything costs no answer.

The scripted server declines every request with the prompt's refusal sentence, the
condense step's too. On a corpus's test half the LLM coach must then answer exactly the
questions the offline coach answers, with the offline answer, refuse every unanswerable
one, show no unsupported statement, and the eval must report the declines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coach.llm.statements import refusal_sentence
from coach.prompt_files import load_prompt
from eval.command import run_corpora
from eval.corpus import discover
from tests.openai_double.server import OpenAIServer, Recorded, Reply, schema_reply
from tests.openai_double.support import llm_settings_for
from tests.support import make_settings

CORPUS = "seeds"


def always_declines(request: Recorded) -> Reply:
    """A small model's habit at its worst: the refusal sentence, whatever it is asked."""
    judged = schema_reply(request.last_user)
    return judged if judged is not None else Reply(text=refusal_sentence())


def coach_rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / CORPUS / "results.jsonl").read_text().splitlines()
    rows = (json.loads(line) for line in lines)
    return {r["id"]: r for r in rows if r["system"] == "coach"}


def test_a_model_that_always_declines_answers_what_offline_answers_item_for_item(
    openai_server: OpenAIServer, tmp_path: Path
) -> None:
    openai_server.responder = always_declines
    corpora = [c for c in discover() if c.name == CORPUS]
    runs = {}
    for name, settings in (
        ("offline", make_settings(tmp_path / "offline" / ".coach")),
        ("llm", llm_settings_for(openai_server, tmp_path / "llm" / ".coach")),
    ):
        runs[name] = run_corpora(
            settings,
            corpora,
            tmp_path / name / "out",
            split="test",
            with_baseline=False,
            show_progress=False,
        )
    offline, llm = coach_rows(tmp_path / "offline" / "out"), coach_rows(tmp_path / "llm" / "out")
    assert offline.keys() == llm.keys() and any(r["history"] for r in offline.values())
    note = load_prompt("model_declined.txt") + "\n\n"
    for key, ours in llm.items():
        theirs = offline[key]
        assert ours["refused"] == theirs["refused"], key
        assert ours["standalone"] == theirs["standalone"], key  # the condense step declined
        if not ours["refused"]:
            assert ours["fallback_reason"] == "model_declined", key
            assert ours["answer"].replace(note, "", 1) == theirs["answer"], key
        assert all(s["supported"] for s in ours["statements"]), key
    assert openai_server.chat_requests()

    metrics = {
        n: r.summary["corpora"][CORPUS]["systems"]["coach"]["metrics"] for n, r in runs.items()
    }
    assert metrics["llm"]["answers_answerable"] == metrics["offline"]["answers_answerable"]
    assert metrics["llm"]["refuses_unanswerable"] == 1.0
    assert metrics["llm"]["unsupported_statement_rate"] in (0.0, None)
    answered = sum(not r["refused"] for r in llm.values())
    assert metrics["llm"]["declined"] == round(answered / len(llm), 4) > 0
    assert metrics["offline"]["declined"] == 0.0
