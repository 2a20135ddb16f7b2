"""The arithmetic and the file layout shared by the fitted logistic models (scorer, judge)."""

from __future__ import annotations

from typing import Any

import numpy as np


def logistic(
    x: np.ndarray, coef: np.ndarray, intercept: float, mean: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """P(positive) for each row of ``x`` (or for ``x`` itself), standardised then weighted."""
    z = ((x - mean) / scale) @ coef + intercept
    return 1.0 / (1.0 + np.exp(-z))


def weights_to_dict(
    coef: np.ndarray, intercept: float, mean: np.ndarray, scale: np.ndarray
) -> dict[str, Any]:
    """The weights as a committed model file stores them (rounded to 6 places)."""
    return {
        "coef": [round(float(x), 6) for x in coef],
        "intercept": round(intercept, 6),
        "mean": [round(float(x), 6) for x in mean],
        "scale": [round(float(x), 6) for x in scale],
    }


def weights_from_dict(data: dict[str, Any]) -> dict[str, Any]:
    """``coef``, ``intercept``, ``mean`` and ``scale`` read back from a model file."""
    return {
        "coef": np.asarray(data["coef"], dtype=np.float64),
        "intercept": float(data["intercept"]),
        "mean": np.asarray(data["mean"], dtype=np.float64),
        "scale": np.asarray(data["scale"], dtype=np.float64),
    }


WEIGHT_KEYS = frozenset({"coef", "intercept", "mean", "scale"})
