"""Fit the coverage judge on the dev halves of the evaluation corpora.

    python -m eval.fit.answerability            # fit on every corpus, write the model
    python -m eval.fit.answerability --report   # also leave-one-corpus-out figures

Each corpus is ingested once and asked its own dev questions (answerable ones are the
positives, questions its guides don't cover the negatives) and the dev questions of every
other corpus (negatives: they were written for other guides). Only questions the judge
decides count: those whose asks use a word no guide of the corpus has. Off-topic questions and
prompt injections are left out: other rules decline those. The threshold is the lowest
probability of an answerable dev item, less a 10% margin, so no dev question the guides
answer is declined. With ``--report`` every corpus's test half is judged by a model fitted
on the other corpora only.
"""

from __future__ import annotations

import json
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coach.answerability import MODEL_PATH, AnswerabilityModel, evidence, judged
from eval.fit.common import corpus_dirs, fit_and_report, model_info, parse_args
from ingest.pipeline import ingest_into

DECLINED_ELSEWHERE = ("off_topic", "injection")
MARGIN = 0.9


@dataclass
class Asked:
    """One question put to one corpus, and what the judge would see."""

    corpus: str  # the guides asked
    owner: str  # the corpus the question was written for
    split: str
    answerable: bool  # by these guides
    x: np.ndarray
    judged: bool = True  # its asks use a word no guide has: the judge decides it

    def declined(self, judge: AnswerabilityModel) -> bool:
        return self.judged and judge.probability(self.x) < judge.threshold


def _golden(corpus_dir: Path) -> list[dict[str, Any]]:
    lines = (corpus_dir / "golden.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def collect(corpus_dir: Path, questions: dict[str, list[dict[str, Any]]]) -> list[Asked]:
    """Ingest ``corpus_dir`` into a temporary store and ask it every question."""
    from coach.factory import build
    from coach.generators.extractive import ExtractiveGenerator
    from coach.schema import Turn
    from coach.settings import Settings

    config = tomllib.loads((corpus_dir / "corpus.toml").read_text(encoding="utf-8"))
    guides = (corpus_dir / config.get("guides", "guides")).resolve()
    found: list[Asked] = []
    with tempfile.TemporaryDirectory() as tmp:
        parts = build(Settings(_env_file=None, data_dir=Path(tmp)))
        ingest_into(parts, [guides])
        coach = parts.coach
        generator = coach.generator
        assert isinstance(generator, ExtractiveGenerator)
        for owner, items in questions.items():
            for item in items:
                history = [Turn(**t) for t in item.get("history", [])]
                if item["kind"] in DECLINED_ELSEWHERE or (history and owner != corpus_dir.name):
                    continue  # another corpus's follow-up has no conversation here
                queries, standalone = coach.queries_for(item["question"], history)
                retrieval = coach.retriever.retrieve(queries)
                units = generator.candidates(standalone, retrieval.context, history)
                found.append(
                    Asked(
                        corpus=corpus_dir.name,
                        owner=owner,
                        split=item.get("split", "dev"),
                        answerable=owner == corpus_dir.name and bool(item["answerable"]),
                        x=evidence(standalone, retrieval, units),
                        judged=judged(standalone, retrieval),
                    )
                )
    return found


def fit(asked: list[Asked]) -> AnswerabilityModel:
    """A class-balanced logistic regression over the judged items of ``asked``, with the
    threshold that declines none of them that is answerable."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    asked = [a for a in asked if a.judged]
    x = np.stack([a.x for a in asked])
    y = np.array([a.answerable for a in asked])
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 1e-9, scaler.scale_, 1.0)
    model = LogisticRegression(C=0.3, class_weight="balanced", max_iter=3000)
    model.fit((x - scaler.mean_) / scale, y)
    judge = AnswerabilityModel(model.coef_[0], float(model.intercept_[0]), scaler.mean_, scale)
    lowest = min(judge.probability(a.x) for a in asked if a.answerable)
    return AnswerabilityModel(judge.coef, judge.intercept, judge.mean, judge.scale, lowest * MARGIN)


def report_row(name: str, judge: AnswerabilityModel, test: list[Asked]) -> dict[str, Any]:
    """How the judge decides on a corpus's test questions and on other corpora's (the ones
    it leaves alone count as answered; the relevance floor declines more)."""

    def rate(group: list[Asked], answered: bool) -> float | None:
        if not group:
            return None
        hits = sum((not a.declined(judge)) == answered for a in group)
        return round(hits / len(group), 3)

    own = [a for a in test if a.owner == name]
    return {
        "corpus": name,
        "answers_answerable": rate([a for a in own if a.answerable], True),
        "declines_not_covered": rate([a for a in own if not a.answerable], False),
        "declines_other_corpora": rate([a for a in test if a.owner != name], False),
    }


def main() -> None:
    args = parse_args(__doc__, MODEL_PATH)
    dirs = corpus_dirs(args.corpora, at_least=2)
    questions = {d.name: _golden(d) for d in dirs}
    asked = {d.name: collect(d, questions) for d in dirs}
    judge, rows = fit_and_report(asked, fit, report_row if args.report else None)
    info = model_info(asked, rows)
    model = AnswerabilityModel(
        judge.coef, judge.intercept, judge.mean, judge.scale, judge.threshold, info=info
    )
    args.out.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"Wrote {args.out} (threshold={model.threshold:.4f})")


if __name__ == "__main__":
    main()
