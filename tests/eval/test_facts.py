"""Key-fact metrics on hand-made answers: normalisation, recall, retention, grounding rates."""

from __future__ import annotations

import pytest

from coach.schema import Chunk, Statement
from eval.facts import count_facts, fact_in, missing_facts, normalise
from eval.golden import GoldenItem
from eval.harness import Record, aggregate, deterministic_scores

FACTS = (("3-6 months", "three to six months"), ("Terraform",), ("AWS Solutions Architect",))


def test_normalise_folds_case_dashes_quotes_markup_and_spaces() -> None:
    assert normalise("**Month 1–2:**  `Foundations`") == "month 1-2: foundations"
    assert normalise("Senior \u2014 $200K\u2013$280K") == "senior - $200k-$280k"
    assert normalise("\u2018Docs for Developers\u2019 and \u201cAI\u201d") == (
        "'docs for developers' and \"ai\""
    )
    assert normalise("a\n\tb   c") == "a b c"


def test_a_fact_matches_any_alternative_after_normalisation() -> None:
    text = normalise("It takes **Three to Six** months\n to learn TERRAFORM.")
    assert not fact_in(("3-6 months",), text)
    assert fact_in(("3-6 months", "three to six months"), text)
    assert fact_in(("Terraform",), text)
    assert fact_in(("3–6 months",), normalise("about 3-6 months"))  # en dash in the fact


def test_count_and_missing_facts_on_hand_made_answers() -> None:
    answer = "Plan on 3\u20136 months [1]. Learn *Terraform* early [2]."
    counted = count_facts(FACTS, answer)
    assert (counted.found, counted.total) == (2, 3)
    assert counted.recall == pytest.approx(2 / 3)
    assert missing_facts(FACTS, answer) == [("AWS Solutions Architect",)]
    assert count_facts((), answer).recall == 0.0


def record(answer: str, context: list[str], refused: bool = False, **extra: object) -> Record:
    item = GoldenItem("q1", "Q?", "R", ("a.md",), True, key_facts=FACTS)
    chunks = [Chunk(f"c{n}", text, "a.md", "T", "S", n, 1, "h") for n, text in enumerate(context)]
    return Record("coach", item, answer, [], chunks, refused, "extractive", 1.0, "Q?", **extra)


def test_fact_scores_of_one_answer() -> None:
    r = record(
        "It takes 3-6 months [1].",
        ["It takes 3-6 months.", "Use **Terraform** for infrastructure."],
    )
    scores = deterministic_scores(r, k=6)
    assert scores["fact_recall"] == pytest.approx(1 / 3)
    assert scores["context_fact_recall"] == pytest.approx(2 / 3)
    assert scores["retention"] == pytest.approx(1 / 2)


def test_retention_is_a_ratio_of_sums_and_skips_empty_contexts() -> None:
    one = record("3-6 months and Terraform.", ["3-6 months, Terraform, AWS Solutions Architect"])
    two = record("Nothing useful.", ["Terraform"])
    empty = record("Terraform", [])
    for r in (one, two, empty):
        r.scores = deterministic_scores(r, k=6)
    assert empty.scores["retention"] is None  # nothing retrieved: no ratio for the item
    # answers hold 2 + 0 + 1 facts; contexts 3 + 1 + 0: 3 / 4, not the mean of per-item ratios
    assert aggregate("retention", [one, two, empty]) == pytest.approx(3 / 4)
    assert aggregate("fact_recall", [one, two, empty]) == pytest.approx((2 / 3 + 0 + 1 / 3) / 3)


def test_grounded_and_unsupported_statement_rates() -> None:
    good = record(
        "A [1]. B [1].",
        ["x"],
        statements=[Statement(text="A", citations=[1]), Statement(text="B", citations=[1])],
    )
    bad = record(
        "C [1]. D.",
        ["x"],
        grounded=False,
        statements=[
            Statement(text="C", citations=[1]),
            Statement(text="D", citations=[], supported=False),
        ],
    )
    refused = record("I can't help with that.", [], refused=True, grounded=False)
    for r in (good, bad, refused):
        r.scores = deterministic_scores(r, k=6)
    assert "grounded_rate" not in refused.scores  # refusals are not answers
    assert aggregate("grounded_rate", [good, bad, refused]) == pytest.approx(0.5)
    assert aggregate("unsupported_statement_rate", [good, bad, refused]) == pytest.approx(1 / 4)
    assert aggregate("unsupported_statement_rate", [refused]) is None  # no statements at all
