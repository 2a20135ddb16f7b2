"""Choosing the scorer's thresholds on labelled dev items."""

from __future__ import annotations

import numpy as np

from coach.generators.features import FEATURES
from coach.generators.scorer import StatementScorer
from eval.fit.scorer import Item, ceiling, choose_floor, in_reach


def _item(best_logit: float, answerable: bool = True, corpus: str = "a") -> Item:
    rows = np.zeros((3, len(FEATURES)))
    rows[:, 0] = [best_logit, best_logit - 1, best_logit - 2]
    return Item(corpus, "dev", answerable, [["x"]], rows, np.array([True, False, False]))


def test_the_floor_declines_no_answerable_dev_item() -> None:
    coef = np.zeros(len(FEATURES))
    coef[0] = 1.0
    scorer = StatementScorer(coef, 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)))
    items = [_item(x) for x in (-3.0, -1.0, 0.5, 2.0)] + [_item(-6.0, answerable=False)]
    floor = choose_floor(scorer, items)
    bests = [float(scorer.unit_scores(i.rows, i.part_rows).max()) for i in items if i.answerable]
    assert 0 < floor < min(bests)
    assert floor > float(scorer.unit_scores(items[-1].rows).max())  # the unanswerable one


def test_an_asks_better_score_counts_for_the_floor() -> None:
    coef = np.zeros(len(FEATURES))
    coef[0] = 1.0
    scorer = StatementScorer(coef, 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)))
    item = _item(-4.0)
    alone = choose_floor(scorer, [item])
    item.part_rows = [item.rows + 2.0]
    assert choose_floor(scorer, [item]) > alone


def test_a_refit_can_run_while_the_committed_model_is_of_other_features() -> None:
    """collect() ingests (and checks starter questions) under a stand-in scorer."""
    from coach.generators.scorer import default_scorer, standing_in

    committed = default_scorer()
    neutral = StatementScorer.neutral()
    with standing_in(neutral):
        assert default_scorer() is neutral
    assert default_scorer() is committed


def _unit_item(texts: list[str], key_facts: list[list[str]], logits: list[float]) -> Item:
    from coach.generators.features import Candidate
    from coach.units.split import Unit
    from tests.support import hand_chunk

    chunk = hand_chunk("g.md", "G", "", " ".join(texts), 0)
    rows = np.zeros((len(texts), len(FEATURES)))
    rows[:, 0] = logits
    found = [
        Candidate(Unit(t, "sentence", n, n), chunk, 0, np.zeros(3, dtype=np.float32))
        for n, t in enumerate(texts)
    ]
    labels = np.array([any(a in t for f in key_facts for a in f) for t in texts])
    return Item("a", "test", True, key_facts, rows, labels, candidates=found)


def test_the_ceiling_counts_the_facts_the_best_units_can_hold() -> None:
    facts = [["Terraform"], ["3-6 months"], ["Kubernetes"]]
    item = _unit_item(
        ["Learn Terraform and Kubernetes.", "Plan for 3-6 months.", "Kubernetes again."],
        facts,
        [0.0, 0.0, 0.0],
    )
    assert ceiling(item, 1) == 2  # the unit holding two facts first
    assert ceiling(item, 2) == 3
    assert ceiling(item, 8) == 3  # stops when nothing more can be covered


def test_in_reach_counts_facts_whose_best_unit_the_order_puts_within_the_budget() -> None:
    coef = np.zeros(len(FEATURES))
    coef[0] = 1.0
    scorer = StatementScorer(coef, 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)))
    facts = [["Terraform"], ["3-6 months"], ["no such fact"]]
    item = _unit_item(
        ["Learn Terraform.", "Something else.", "Plan for 3-6 months."], facts, [2.0, 1.0, -1.0]
    )
    assert in_reach(scorer, item, 1) == (2, 1)  # "3-6 months" ranks third
    assert in_reach(scorer, item, 3) == (2, 2)
