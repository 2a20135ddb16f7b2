"""Fitting on the dev halves of every corpus, and reporting on guides a model never saw."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

CORPORA = Path(__file__).resolve().parents[1] / "corpora"


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


def parse_args(doc: str, model_file: Path) -> argparse.Namespace:
    """``--corpora``, ``--report`` and ``--out`` of a fitting script (``doc``: its docstring)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--report", action="store_true", help="leave-one-corpus-out figures")
    parser.add_argument("--out", type=Path, default=model_file)
    return parser.parse_args()


def corpus_dirs(root: Path, at_least: int = 1) -> list[Path]:
    """The corpus folders under ``root`` (each with a corpus.toml), sorted; too few is an error."""
    dirs = sorted(p.parent for p in root.glob("*/corpus.toml"))
    if len(dirs) < at_least:
        raise SystemExit(f"Need {at_least} or more corpora under {root} (each a corpus.toml).")
    return dirs


def model_info(data: dict[str, list[T]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What a committed model records of its fit: dev items per corpus and the report."""
    return {
        "version": 1,
        "fitted_on": {n: sum(x.split == "dev" for x in found) for n, found in data.items()},
        "leave_one_corpus_out": rows,
    }
