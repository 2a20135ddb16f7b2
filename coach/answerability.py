"""Whether the guides answer a question at all: a fitted judge over retrieval's evidence.

Retrieval's relevance floor catches questions far from every guide. Questions that share
the guides' everyday words ("How do I become a pilot?" asked of nursing guides) get past it.
When a question's asks use a word no guide has, this judge looks at what the extractive
scorer found as well (how well the best units match, how many of the question's words they
carry, names no guide mentions) and declines when that looks like a question written for
other guides. Its weights live in ``answerability_model.json``, fitted by
``python -m eval.fit.answerability`` on the dev halves of the evaluation corpora, with the
other corpora's questions as the negatives.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from coach.errors import ConfigError
from coach.generators.features import FEATURES, Candidate
from coach.generators.parts import question_asks
from coach.keywords import names_in, terms
from coach.logistic import WEIGHT_KEYS, logistic, weights_from_dict, weights_to_dict
from coach.retrieval import GENERIC_WORDS, Retrieval

if TYPE_CHECKING:
    from coach.generators.candidates import ScoredContext

MODEL_FILE = "answerability_model.json"
MODEL_PATH = Path(__file__).with_name(MODEL_FILE)  # where eval.fit writes it

EVIDENCE = (
    "best_similarity",  # retrieval: the closest chunk's cosine similarity
    "relevance",  # retrieval: that similarity less the unknown-word penalty
    "unknown_terms",  # words of the question's asks that no guide uses (at most 3)
    "unknown_share",  # their share of the asks' topic words
    "unknown_names",  # of them, capitalised inside a sentence: names ("Berlin") no guide has
    "rare_hit",  # a distinctive question word was matched in the context
    "best_score",  # the scorer's probability for the best unit
    "top3_score",  # and the mean of the best three
    "best_overlap",  # the largest idf-weighted share of the question's words in one unit
    "best_label_overlap",  # the same in a unit's heading
    "best_phrase",  # the longest run of question words one unit has in order
    "best_matched",  # the most distinct question words one unit has
    "best_chunk_similarity",  # the closest chunk, as the scorer saw it
)
_COLUMNS = {
    name: FEATURES.index(column)
    for name, column in (
        ("best_overlap", "overlap"),
        ("best_label_overlap", "label_overlap"),
        ("best_phrase", "phrase_match"),
        ("best_matched", "matched_terms"),
        ("best_chunk_similarity", "chunk_similarity"),
    )
}


def topic_words(question: str) -> list[str]:
    """The question's words that could name a topic (as retrieval counts unknown words)."""
    return [t for t in terms(question) if t.isalpha() and t not in GENERIC_WORDS and len(t) >= 3]


def unknown_names(question: str, unknown: Sequence[str]) -> list[str]:
    """Capitalised words inside a sentence (not its first word) that no guide uses."""
    missing = set(unknown)
    return [name for name in names_in(question) if (terms(name) or [""])[0] in missing]


def unknown_in_asks(question: str, retrieval: Retrieval) -> tuple[str, list[str]]:
    """The question's asks, and the words of them no guide uses.

    Scene-setting sentences ("I work at Acme Corp.") don't count: a name there is the
    asker's, not the topic.
    """
    asks = " ".join(question_asks(question)) or question
    asked = set(terms(asks))
    return asks, [t for t in retrieval.unknown_terms if t in asked]


def evidence(question: str, retrieval: Retrieval, candidates: Sequence[Candidate]) -> np.ndarray:
    """The judge's inputs, in ``EVIDENCE`` order."""
    asks, missing = unknown_in_asks(question, retrieval)
    unknown = len(missing)
    scores = sorted((c.score for c in candidates), reverse=True) or [0.0]
    rows = (
        np.stack([c.features for c in candidates if c.features is not None]) if candidates else None
    )
    best = {
        name: float(rows[:, col].max()) if rows is not None else 0.0
        for name, col in _COLUMNS.items()
    }
    return np.array(
        [
            retrieval.best_similarity,
            retrieval.relevance,
            min(3, unknown),
            unknown / max(1, len(topic_words(asks))),
            min(2, len(unknown_names(asks, missing))),
            float(retrieval.rare_hit),
            scores[0],
            float(np.mean(scores[:3])),
            best["best_overlap"],
            best["best_label_overlap"],
            best["best_phrase"],
            best["best_matched"],
            best["best_chunk_similarity"],
        ],
        dtype=np.float64,
    )


def unmentioned(question: str, retrieval: Retrieval) -> list[str]:
    """The names the question asks about that no guide mentions ("Berlin"), each once."""
    asks, missing = unknown_in_asks(question, retrieval)
    return list(dict.fromkeys(unknown_names(asks, missing)))


def judged(question: str, retrieval: Retrieval) -> bool:
    """Whether the judge decides: the question's asks use a word no guide has."""
    return bool(unknown_in_asks(question, retrieval)[1])


@dataclass(frozen=True)
class AnswerabilityModel:
    """P(the guides answer the question) from ``EVIDENCE``, and the bar an answer must pass."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    def probability(self, x: np.ndarray) -> float:
        return float(logistic(x, self.coef, self.intercept, self.mean, self.scale))

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": list(EVIDENCE),
            **weights_to_dict(self.coef, self.intercept, self.mean, self.scale),
            "threshold": round(self.threshold, 6),
            **self.info,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerabilityModel:
        if list(data.get("evidence", [])) != list(EVIDENCE):
            raise ConfigError(
                f"{MODEL_FILE} was fitted on other evidence; refit it with "
                "`python -m eval.fit.answerability`."
            )
        known = WEIGHT_KEYS | {"evidence", "threshold"}
        return cls(
            **weights_from_dict(data),
            threshold=float(data["threshold"]),
            info={k: v for k, v in data.items() if k not in known},
        )


@cache
def default_answerability() -> AnswerabilityModel:
    """The committed model."""
    text = (files("coach") / MODEL_FILE).read_text(encoding="utf-8")
    return AnswerabilityModel.from_dict(json.loads(text))


class CoverageJudge:
    """Declines questions the guides don't answer, from retrieval and the scorer's evidence."""

    def __init__(self, model: AnswerabilityModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> AnswerabilityModel:
        if self._model is None:
            self._model = default_answerability()
        return self._model

    def probability(
        self, question: str, retrieval: Retrieval, candidates: Sequence[Candidate]
    ) -> float:
        return self.model.probability(evidence(question, retrieval, candidates))

    def answers(self, question: str, retrieval: Retrieval, context: ScoredContext) -> bool:
        """True unless the asks use words no guide has and the evidence is below the bar.

        A question in the guides' own words is left to the relevance floor: the judge
        would only second-guess the embedding model there ("What is RAG?"). ``context`` is
        retrieval's, with its units scored only when the judge reads them.
        """
        if not judged(question, retrieval):
            return True
        return self.probability(question, retrieval, context.candidates) >= self.model.threshold
