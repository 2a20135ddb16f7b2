"""The coverage judge: declines questions written for other guides, answers the guides' own."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from coach.answerability import (
    EVIDENCE,
    AnswerabilityModel,
    default_answerability,
    unknown_names,
)
from coach.chain import Coach
from coach.errors import ConfigError
from coach.generators.features import Candidate
from coach.settings import Settings
from coach.store import GuideStore
from tests.support import build_parts


def test_names_are_capitalised_words_inside_a_sentence_that_no_guide_uses() -> None:
    question = "What does a data scientist earn in Berlin? Google pays well, says Berlin."
    assert unknown_names(question, ["berlin", "googl"]) == ["Berlin", "Berlin"]
    assert unknown_names("Berlin is far. How do I move?", ["berlin"]) == []  # first words
    assert unknown_names("What does a nurse earn in Ohio?", []) == []  # every word known


def test_the_committed_model_was_fitted_on_every_corpus() -> None:
    data = json.loads((files("coach") / "answerability_model.json").read_text(encoding="utf-8"))
    assert data["evidence"] == list(EVIDENCE)
    assert len(data["fitted_on"]) >= 3, "fit it with `python -m eval.fit.answerability`"
    assert all(n > 0 for n in data["fitted_on"].values())
    model = default_answerability()
    assert 0 < model.threshold < 1 and np.isfinite(model.coef).all()


def test_a_model_of_other_evidence_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"eval\.fit\.answerability"):
        AnswerabilityModel.from_dict({"evidence": ["similarity"], "coef": [1.0]})


@pytest.fixture
def nursing_coach(nursing: tuple[Settings, GuideStore], tmp_path: Path) -> Coach:
    settings, store = nursing
    return build_parts(settings, store, tmp_path / "history.db").coach


@pytest.mark.parametrize(
    "question",
    [
        "How do I become a pilot?",
        "What is the average salary of a data scientist in Berlin?",
        "How do I move from backend development into AI engineering?",
    ],
)
def test_questions_for_other_guides_are_declined(nursing_coach: Coach, question: str) -> None:
    assert nursing_coach.judge is not None  # the factory wires the judge into the chain
    answer = nursing_coach.ask(question)
    assert answer.refused and not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "How do I become a nurse practitioner?",
        "What does a travel nurse earn?",
        "How do I find travel nursing jobs?",
    ],
)
def test_the_guides_own_questions_are_answered(nursing_coach: Coach, question: str) -> None:
    answer = nursing_coach.ask(question)
    assert not answer.refused and answer.citations


def test_the_judge_and_the_answer_read_the_units_scored_once(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A judged question's units are scored once, by the chain, for both."""
    assert coach.candidates is not None
    scored: list[str] = []
    score = coach.candidates.score

    def counted(question: str, *args: object) -> list[Candidate]:
        scored.append(question)
        return score(question, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(coach.candidates, "score", counted)
    answer = coach.ask("What does an AI engineer earn in Berlin?")  # judged, then answered
    assert not answer.refused and answer.citations
    assert len(scored) == 1


def test_a_name_the_guides_lack_does_not_decline_what_they_cover(coach: Coach) -> None:
    """An employer's name in the question is not a topic: the rest of it is answered."""
    answer = coach.ask(
        "I work at Acme Corp as a backend developer. How do I become an AI engineer?"
    )
    assert not answer.refused and answer.citations


def test_the_fitted_bar_declines_no_answerable_item_it_was_fitted_on() -> None:
    from eval.fit.answerability import Asked, fit, report_row

    rng = np.random.default_rng(0)
    n = len(EVIDENCE)
    asked = [Asked("a", "a", "dev", True, rng.normal(1.0, 1.0, n)) for _ in range(30)] + [
        Asked("a", "b", "dev", False, rng.normal(-1.0, 1.0, n)) for _ in range(30)
    ]
    judge = fit(asked)
    assert all(judge.probability(a.x) >= judge.threshold for a in asked if a.answerable)
    row = report_row("a", judge, asked)
    assert row["answers_answerable"] == 1.0
    assert row["declines_other_corpora"] is not None and row["declines_other_corpora"] > 0.5
    assert row["declines_not_covered"] is None  # no own item it doesn't cover


def test_only_the_asks_words_count_as_unknown() -> None:
    from coach.answerability import judged, unknown_in_asks
    from coach.retrieval import Retrieval

    retrieval = Retrieval(context=[], best_similarity=0.5, unknown_terms=["acm", "berlin"])
    question = "I work at Acme. What does a data scientist earn in Berlin?"
    asks, missing = unknown_in_asks(question, retrieval)
    assert asks == "What does a data scientist earn in Berlin?" and missing == ["berlin"]
    assert judged(question, retrieval)
    assert not judged("I work at Acme. How do I become an AI engineer?", retrieval)


def test_an_answer_says_which_names_of_the_question_no_guide_mentions(coach: Coach) -> None:
    from coach.chain import Completed, Delta

    events = list(coach.stream("What does an AI engineer earn in Berlin?"))
    done = events[-1]
    assert isinstance(done, Completed)
    answer = done.answer
    assert not answer.refused and answer.citations
    assert answer.answer.startswith("My guides never mention Berlin")
    assert all("Berlin" not in s.text for s in answer.statements)  # the note is not a claim
    streamed = "".join(e.text for e in events if isinstance(e, Delta))
    assert streamed == answer.answer
    plain = coach.ask("What does an AI engineer earn?")
    assert "never mention" not in plain.answer
