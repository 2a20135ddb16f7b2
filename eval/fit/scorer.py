"""Fit the statement scorer on the dev halves of the evaluation corpora.

    python -m eval.fit.scorer            # fit on every corpus, write the model
    python -m eval.fit.scorer --report   # also leave-one-corpus-out figures

A unit of the retrieved chunks is a positive for a question when it contains one of the
question's key facts (verbatim, normalised). The model is a logistic regression over
``features.FEATURES``; ``keep`` and ``floor`` are chosen on the same dev items. With
``--report`` every corpus is also scored by a model fitted on the *other* corpora only, on
its test half, so each figure comes from guides the model never saw. Beside them, the
``ceiling`` (the fact recall the best ``max_statements`` units could reach) and ``in_reach``
(the share of those facts the scorer ranks within ``max_statements``) tell a budget that is
too small from an order that is wrong.
"""

from __future__ import annotations

import json
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coach.generators.features import FEATURES, Candidate
from coach.generators.scorer import MODEL_PATH, StatementScorer, standing_in
from eval.facts import fact_in, normalise
from eval.fit.common import corpus_dirs, fit_and_report, model_info, parse_args
from ingest.pipeline import ingest_into

KEEP_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8)
STATEMENT_COST = 0.01  # fact recall a statement must buy to be worth a reader's time
FLOOR_MARGIN = 0.5
TOLERANCE = 0.01  # value (fact recall less statement cost) within which keeps count as equal


def facts_of(text: str, key_facts: list[list[str]]) -> frozenset[int]:
    """The indexes of the key facts ``text`` holds."""
    flat = normalise(text)
    return frozenset(n for n, fact in enumerate(key_facts) if fact_in(tuple(fact), flat))


def facts_in(text: str, key_facts: list[list[str]]) -> int:
    return len(facts_of(text, key_facts))


@dataclass
class Item:
    """One question's candidates, with labels, as the scorer sees them."""

    corpus: str
    split: str
    answerable: bool
    key_facts: list[list[str]]
    rows: np.ndarray
    labels: np.ndarray
    part_rows: list[np.ndarray] = field(default_factory=list)  # per ask of a compound question
    candidates: list[Candidate] = field(default_factory=list)
    context_facts: int = 0


def collect(corpus_dir: Path) -> list[Item]:
    """Ingest a corpus into a temporary store and gather every golden item's candidates."""
    from coach.factory import build
    from coach.schema import Turn
    from coach.settings import Settings

    config = tomllib.loads((corpus_dir / "corpus.toml").read_text(encoding="utf-8"))
    guides = (corpus_dir / config.get("guides", "guides")).resolve()
    items: list[Item] = []
    with tempfile.TemporaryDirectory() as tmp, standing_in(StatementScorer.neutral()):
        settings = Settings(_env_file=None, data_dir=Path(tmp))
        parts = build(settings)
        ingest_into(parts, [guides])
        coach = parts.coach
        generator = coach.generator
        generator.scorer = StatementScorer.neutral()  # type: ignore[attr-defined]
        for line in (corpus_dir / "golden.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            history = [Turn(**t) for t in record.get("history", [])]
            queries, standalone = coach.queries_for(record["question"], history)
            retrieval = coach.retriever.retrieve(queries)
            found = generator.candidates(standalone, retrieval.context, history)  # type: ignore[attr-defined]
            key_facts = record.get("key_facts") or []
            rows = np.stack([c.features for c in found]) if found else np.zeros((0, len(FEATURES)))
            asks = len(found[0].part_features) if found else 0
            part_rows = [np.stack([c.part_features[j] for c in found]) for j in range(asks)]
            labels = np.array([facts_in(c.unit.text, key_facts) > 0 for c in found])
            context = " ".join(r.chunk.text for r in retrieval.context)
            items.append(
                Item(
                    corpus=corpus_dir.name,
                    split=record.get("split", "dev"),
                    answerable=bool(record.get("answerable", True)),
                    key_facts=key_facts,
                    rows=rows,
                    part_rows=part_rows,
                    labels=labels,
                    candidates=found,
                    context_facts=facts_in(context, key_facts),
                )
            )
    return items


def fit(items: list[Item]) -> StatementScorer:
    """A logistic regression on the labelled candidates of answerable items, with ``keep``
    chosen across corpora and ``floor`` on every item."""
    usable = [i for i in items if i.answerable and i.key_facts and len(i.rows)]
    scorer = fit_weights(usable)
    keep = choose_keep(scorer, usable)
    floor = choose_floor(scorer, items)
    return StatementScorer(
        coef=scorer.coef,
        intercept=scorer.intercept,
        mean=scorer.mean,
        scale=scorer.scale,
        keep=keep,
        floor=floor,
    )


def fit_weights(usable: list[Item]) -> StatementScorer:
    """The logistic regression alone (``keep`` and ``floor`` left at their defaults)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([i.rows for i in usable])
    y = np.concatenate([i.labels for i in usable])
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 1e-9, scaler.scale_, 1.0)
    model = LogisticRegression(C=1.0, max_iter=2000).fit((x - scaler.mean_) / scale, y)
    return StatementScorer(
        coef=model.coef_[0], intercept=float(model.intercept_[0]), mean=scaler.mean_, scale=scale
    )


def selected_text(scorer: StatementScorer, item: Item) -> tuple[str, int]:
    """What the generator's selection would quote for the item, and how many statements."""
    from coach.generators.extractive import select_units

    probs = scorer.unit_scores(item.rows, item.part_rows)
    for c, p in zip(item.candidates, probs, strict=True):
        c.score = float(p)
    chosen = select_units(item.candidates, scorer, scorer.max_statements)
    return " ".join(c.unit.display for c in chosen), len(chosen)


def fact_recall(scorer: StatementScorer, items: list[Item]) -> tuple[float, float, float]:
    """Fact recall of the selections, retention against the context, mean statements."""
    found = total = in_context = statements = 0
    for item in items:
        text, n = selected_text(scorer, item)
        found += facts_in(text, item.key_facts)
        total += len(item.key_facts)
        in_context += item.context_facts
        statements += n
    return found / max(total, 1), found / max(in_context, 1), statements / max(len(items), 1)


def choose_keep(scorer: StatementScorer, items: list[Item]) -> float:
    """The lowest ``keep`` whose worth to a reader is within ``TOLERANCE`` of the best, on
    guides the weights were not fitted on.

    With several corpora, each corpus's items are scored by weights fitted on the others
    (leave one corpus out) and the values are summed; with one, ``scorer`` scores them. The
    value is flat near its best and falls off steeply above it, so among near-equal choices
    the one that drops the fewest units is the safe one.
    """
    corpora = sorted({i.corpus for i in items})
    folds = (
        [
            (fit_weights([i for i in items if i.corpus != c]), [i for i in items if i.corpus == c])
            for c in corpora
        ]
        if len(corpora) > 1
        else [(scorer, items)]
    )
    values = {}
    for keep in KEEP_GRID:
        value = 0.0
        for weights, held_out in folds:
            trial = StatementScorer(
                weights.coef, weights.intercept, weights.mean, weights.scale, keep=keep, floor=0.0
            )
            recall, _, statements = fact_recall(trial, held_out)
            value += (recall - STATEMENT_COST * statements) * len(held_out)
        values[keep] = value / max(1, len(items))
    best = max(values.values())
    return min(keep for keep, value in values.items() if value >= best - TOLERANCE)


def choose_floor(scorer: StatementScorer, items: list[Item]) -> float:
    """Half the lowest best-unit probability of an answerable dev item.

    Retrieval's relevance floor and the coverage judge decline what the guides don't cover;
    on the dev halves this floor declines nothing they let through, so it is only a safety
    net against quoting units that carry nothing, and its wide margin keeps it from
    declining answerable questions one dev item's luck would put under it.
    """
    best = sorted(
        float(scorer.unit_scores(i.rows, i.part_rows).max())
        for i in items
        if i.answerable and len(i.rows)
    )
    if not best:
        return 0.0
    return round(best[0] * FLOOR_MARGIN, 4)


def _covers(item: Item) -> list[frozenset[int]]:
    """The key facts each of the item's units shows, in candidate order."""
    return [facts_of(c.unit.display, item.key_facts) for c in item.candidates]


def ceiling(item: Item, limit: int) -> int:
    """Key facts that ``limit`` of the item's units can hold at best: a greedy cover, so at
    least this many (and exactly the context's count when it reaches it)."""
    covers = _covers(item)
    held: frozenset[int] = frozenset()
    for _ in range(limit):
        gain = max(covers, key=lambda facts: len(facts - held), default=frozenset())
        if not gain - held:
            break
        held |= gain
    return len(held)


def in_reach(scorer: StatementScorer, item: Item, limit: int) -> tuple[int, int]:
    """(key facts some unit holds, of them those whose best-scored unit ranks in the top
    ``limit``): how much of the ceiling the scorer's order alone puts within the budget."""
    probs = scorer.unit_scores(item.rows, item.part_rows)
    order = np.argsort(-probs, kind="stable")
    rank = {int(i): r for r, i in enumerate(order)}
    covers = _covers(item)
    held = reached = 0
    for n in range(len(item.key_facts)):
        ranks = [rank[i] for i, facts in enumerate(covers) if n in facts]
        if ranks:
            held += 1
            reached += min(ranks) < limit
    return held, reached


def auc(scorer: StatementScorer, items: list[Item]) -> float:
    from sklearn.metrics import roc_auc_score

    usable = [i for i in items if i.answerable and i.key_facts and len(i.rows)]
    y = np.concatenate([i.labels for i in usable])
    p = np.concatenate([scorer.probabilities(i.rows) for i in usable])
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def report_row(name: str, scorer: StatementScorer, items: list[Item]) -> dict[str, Any]:
    usable = [i for i in items if i.answerable and i.key_facts]
    recall, retention, statements = fact_recall(scorer, usable)
    limit = scorer.max_statements
    facts = max(1, sum(len(i.key_facts) for i in usable))
    reach = [in_reach(scorer, i, limit) for i in usable]
    return {
        "corpus": name,
        "items": len(usable),
        "unit_auc": round(auc(scorer, usable), 3),
        "fact_recall": round(recall, 3),
        "retention": round(retention, 3),
        "statements": round(statements, 2),
        "ceiling": round(sum(ceiling(i, limit) for i in usable) / facts, 3),
        "in_reach": round(sum(r for _, r in reach) / max(1, sum(h for h, _ in reach)), 3),
    }


def main() -> None:
    args = parse_args(__doc__, MODEL_PATH)
    data = {d.name: collect(d) for d in corpus_dirs(args.corpora)}
    scorer, rows = fit_and_report(data, fit, report_row if args.report else None)
    info = model_info(data, rows)
    model = StatementScorer(
        scorer.coef,
        scorer.intercept,
        scorer.mean,
        scorer.scale,
        scorer.keep,
        scorer.floor,
        info=info,
    )
    args.out.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"Wrote {args.out} (keep={model.keep}, floor={model.floor})")


if __name__ == "__main__":
    main()
