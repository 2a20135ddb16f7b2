"""The fitted statement scorer: a logistic regression over ``features.FEATURES``.

Its weights and the selection thresholds live in ``scorer_model.json``, written by
``python -m eval.fit.scorer`` from the dev halves of the evaluation corpora.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from coach.errors import ConfigError
from coach.generators.features import FEATURES
from coach.logistic import WEIGHT_KEYS, logistic, weights_from_dict, weights_to_dict

MODEL_FILE = "scorer_model.json"
MODEL_PATH = Path(__file__).with_name(MODEL_FILE)  # where eval.fit writes it


@dataclass(frozen=True)
class StatementScorer:
    """P(unit carries a key fact of the question) and the thresholds that use it."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    keep: float = 0.5  # a unit is quoted when its probability is at least keep × the best
    floor: float = 0.05  # below this best probability nothing answers: refuse
    max_statements: int = 8
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def neutral(cls) -> StatementScorer:
        """Every unit alike (for gathering features before any model is fitted)."""
        n = len(FEATURES)
        return cls(coef=np.zeros(n), intercept=0.0, mean=np.zeros(n), scale=np.ones(n))

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        return logistic(rows, self.coef, self.intercept, self.mean, self.scale)

    def unit_scores(self, rows: np.ndarray, part_rows: Sequence[np.ndarray] = ()) -> np.ndarray:
        """Each unit's probability: for the whole question, or for its best-answered ask."""
        scores = self.probabilities(rows)
        for part in part_rows:
            scores = np.maximum(scores, self.probabilities(part))
        return scores

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            **weights_to_dict(self.coef, self.intercept, self.mean, self.scale),
            "keep": self.keep,
            "floor": self.floor,
            "max_statements": self.max_statements,
            **self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatementScorer:
        if list(data.get("features", [])) != list(FEATURES):
            raise ConfigError(
                f"{MODEL_FILE} was fitted on other features; refit it with "
                "`python -m eval.fit.scorer`."
            )
        extra = {
            k: v
            for k, v in data.items()
            if k not in WEIGHT_KEYS | {"features", "keep", "floor", "max_statements"}
        }
        return cls(
            **weights_from_dict(data),
            keep=float(data["keep"]),
            floor=float(data["floor"]),
            max_statements=int(data.get("max_statements", 8)),
            info=extra,
        )


_STAND_IN: list[StatementScorer] = []


def default_scorer() -> StatementScorer:
    """The committed model (or the stand-in of a fit in progress)."""
    return _STAND_IN[-1] if _STAND_IN else _committed()


@cache
def _committed() -> StatementScorer:
    text = (files("coach") / "generators" / MODEL_FILE).read_text(encoding="utf-8")
    return StatementScorer.from_dict(json.loads(text))


@contextmanager
def standing_in(scorer: StatementScorer) -> Iterator[None]:
    """Use ``scorer`` wherever the committed model would be (while refitting it, the
    committed one may be of other features)."""
    _STAND_IN.append(scorer)
    try:
        yield
    finally:
        _STAND_IN.pop()
