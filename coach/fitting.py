"""Fitting on the dev halves of every corpus, and reporting on guides a model never saw."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar


class Split(Protocol):
    split: str


T = TypeVar("T", bound=Split)
M = TypeVar("M")
Report = Callable[[str, M, list[T]], dict[str, Any]]


def fit_and_report(
    data: dict[str, list[T]], fit: Callable[[list[T]], M], report: Report[M, T] | None
) -> tuple[M, list[dict[str, Any]]]:
    """The model fitted on every corpus's dev half, and (with ``report``) each corpus's test
    half scored by a model fitted on the other corpora only, then by that full model."""
    model = fit([x for found in data.values() for x in found if x.split == "dev"])
    rows: list[dict[str, Any]] = []
    if report is not None:
        for name, found in data.items():
            others = [x for n, f in data.items() if n != name for x in f if x.split == "dev"]
            test = [x for x in found if x.split == "test"]
            rows.append({**report(name, fit(others), test), "fitted_on": "other corpora"})
            rows.append({**report(name, model, test), "fitted_on": "all dev halves"})
        for row in rows:
            print(json.dumps(row))
    return model, rows
