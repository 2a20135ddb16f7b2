"""Choosing the scorer's thresholds on labelled dev items."""

from __future__ import annotations

import numpy as np

from coach.generators.features import FEATURES
from coach.generators.fit_scorer import Item, choose_floor
from coach.generators.scorer import StatementScorer


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
