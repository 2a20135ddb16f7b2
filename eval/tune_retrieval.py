"""Choose retrieval's settings (follow-ups, fusion, k, cap, floor) on every corpus's dev half.

    python -m eval.tune_retrieval            # prints the grid and the chosen values

First, how much the coach's own earlier answers count when a follow-up is expanded with
words from the conversation: the weight whose follow-ups find the most key facts. Then the
fusion (vector weight, title boost, RRF constant, candidates per retriever): the one
with the best mean key-fact recall in the whole context and in its first ``RANKED`` chunks
(each corpus weighted alike): all the answer may read, and what it reads most. k and the
cap, under that fusion: the smallest context whose key-fact recall (each corpus weighted
alike) is within ``TOLERANCE`` of the best. The floor, the penalty per unknown word and
the bonus for a distinctive match: the most unanswerable dev items refused while at least
``ANSWERED`` of the answerable ones are answered. The chosen values are the defaults in
``coach/settings.py``; the eval reports them on the test halves.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from statistics import mean
from typing import Any

from eval.facts import fact_in, normalise
from ingest.pipeline import ingest_into

CORPORA = Path(__file__).with_name("corpora")
FUSION_GRID = tuple(
    itertools.product((1.0, 1.5, 2.0, 3.0), (0.0, 0.5, 1.0), (5, 10, 30, 60), (20, 40, 60))
)  # (vector_weight, title_weight, rrf_k, candidates)
FUSION_FIELDS = ("vector_weight", "title_weight", "rrf_k", "candidates")
RANKED = 6
ANSWER_WEIGHT_GRID = (0.0, 0.15, 0.3, 0.45, 0.6, 1.0)  # settings.history_answer_weight
K_GRID = (6, 8, 10, 12)
CAP_GRID = (3, 4, 6)
FLOOR_GRID = tuple(round(0.15 + 0.025 * i, 3) for i in range(13))
PENALTY_GRID = (0.0, 0.05, 0.1, 0.15, 0.2)
BONUS_GRID = (0.0, 0.06, 0.12)
TOLERANCE = 0.01
ANSWERED = 0.95


def _items(corpus: Path) -> list[dict]:
    lines = (corpus / "golden.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@contextmanager
def ingested(corpus: Path) -> Iterator[tuple[Any, Any, list[tuple[dict, list]]]]:
    """A corpus ingested into a temporary store: its settings, coach and dev questions with
    their queries (re-asked by ``ask`` when a setting they depend on changes)."""
    from coach.factory import build
    from coach.settings import Settings

    config = tomllib.loads((corpus / "corpus.toml").read_text(encoding="utf-8"))
    guides = (corpus / config.get("guides", "guides")).resolve()
    dev = [i for i in _items(corpus) if i.get("split", "dev") == "dev"]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))
        parts = build(settings)
        ingest_into(parts, [guides])
        asked: list[tuple[dict, list]] = [(item, []) for item in dev]
        ask(parts.coach, asked)
        yield settings, parts.coach, asked


def ask(coach: Any, asked: list[tuple[dict, list]]) -> None:
    """Recompute every item's retrieval queries in place (from its question and history)."""
    from coach.schema import Turn

    for item, queries in asked:
        history = [Turn(**t) for t in item.get("history", [])]
        queries[:] = coach.queries_for(item["question"], history)[0]


def follow_up_recall(settings: Any, coach: Any, asked: list) -> dict[float, float]:
    """Per weight of the coach's own answers in follow-up expansion: key-fact recall of the
    context of the dev items that have a history."""
    follow_ups = [(item, list(q)) for item, q in asked if item.get("history")]
    recall = {}
    for weight in ANSWER_WEIGHT_GRID:
        settings.history_answer_weight = weight
        ask(coach, follow_ups)
        recall[weight] = fact_recall(coach, follow_ups)[0]
    return recall


def fact_recall(coach: Any, asked: list[tuple[dict, list]]) -> tuple[float, float]:
    """Key facts of the answerable items found in the context, and in its first ``RANKED``
    chunks."""
    found = first = total = 0
    for item, queries in asked:
        if not item["answerable"]:
            continue
        hits = coach.retriever.retrieve(queries).context
        whole = normalise(" ".join(r.chunk.text for r in hits))
        top = normalise(" ".join(r.chunk.text for r in hits[:RANKED]))
        found += sum(fact_in(tuple(f), whole) for f in item["key_facts"])
        first += sum(fact_in(tuple(f), top) for f in item["key_facts"])
        total += len(item["key_facts"])
    return found / max(total, 1), first / max(total, 1)


def fusion_recall(settings: Any, coach: Any, asked: list) -> dict[tuple, float]:
    """Per fusion of the grid: the mean of key-fact recall in the whole context and in its
    first ``RANKED`` chunks (all the answer may read, and what it reads most)."""
    recall = {}
    for fusion in FUSION_GRID:
        for name, value in zip(FUSION_FIELDS, fusion, strict=True):
            setattr(settings, name, value)
        recall[fusion] = mean(fact_recall(coach, asked))
    return recall


def measure(
    settings: Any, coach: Any, asked: list
) -> tuple[dict[tuple[int, int], float], list[tuple[bool, float, int, bool]]]:
    """Context fact recall per (k, cap) and, per dev item, what the floor decision sees."""
    recall: dict[tuple[int, int], float] = {}
    saved = settings.top_k, settings.max_per_guide
    for k, cap in itertools.product(K_GRID, CAP_GRID):
        settings.top_k, settings.max_per_guide = k, cap
        recall[(k, cap)] = fact_recall(coach, asked)[0]
    settings.top_k, settings.max_per_guide = saved
    evidence = []
    for item, queries in asked:
        got = coach.retriever.retrieve(queries)
        evidence.append(
            (item["answerable"], got.best_similarity, len(got.unknown_topics), got.rare_hit)
        )
    return recall, evidence


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    corpora = sorted(p.parent for p in parser.parse_args().corpora.glob("*/corpus.toml"))
    with ExitStack() as stack:
        opened = {c.name: stack.enter_context(ingested(c)) for c in corpora}
        by_weight = [follow_up_recall(*run) for run in opened.values()]
        weights = {w: mean(r[w] for r in by_weight) for w in ANSWER_WEIGHT_GRID}
        weight = max(ANSWER_WEIGHT_GRID, key=lambda w: (weights[w], -w))  # ties: the smaller
        for settings, coach, asked in opened.values():
            settings.history_answer_weight = weight
            ask(coach, asked)
        print(
            f"chosen: history_answer_weight={weight} "
            f"(follow-ups' key facts in context {weights[weight]:.3f}; "
            + ", ".join(f"{w}: {v:.3f}" for w, v in weights.items())
            + ")"
        )
        by_corpus = [fusion_recall(*run) for run in opened.values()]
        fusions = {f: mean(r[f] for r in by_corpus) for f in FUSION_GRID}
        fusion = max(FUSION_GRID, key=lambda f: (fusions[f], -f[3]))  # ties: fewer candidates
        for settings, _, _ in opened.values():
            for name, value in zip(FUSION_FIELDS, fusion, strict=True):
                setattr(settings, name, value)
        measured = {name: measure(*run) for name, run in opened.items()}
    chosen = " ".join(f"{n}={v}" for n, v in zip(FUSION_FIELDS, fusion, strict=True))
    print(f"chosen: {chosen} (key facts in context and first {RANKED}: {fusions[fusion]:.3f})")
    grid = {
        key: mean(m[0][key] for m in measured.values())
        for key in itertools.product(K_GRID, CAP_GRID)
    }
    for (k, cap), value in sorted(grid.items()):
        print(f"k={k:<3} cap={cap:<2} context fact recall {value:.3f}")
    best = max(grid.values())
    k, cap = min((key for key, v in grid.items() if v >= best - TOLERANCE), key=lambda kc: kc)
    evidence = [e for m in measured.values() for e in m[1]]
    choice, score = None, (-1.0, -1.0)
    for floor, penalty, bonus in itertools.product(FLOOR_GRID, PENALTY_GRID, BONUS_GRID):
        answered = refused = 0
        for answerable, best_sim, unknown, rare in evidence:
            relevance = (
                best_sim - penalty * min(2, unknown) + (bonus if rare and not unknown else 0.0)
            )
            if answerable:
                answered += relevance >= floor
            else:
                refused += relevance < floor
        n_ans = sum(e[0] for e in evidence)
        rates = (answered / max(n_ans, 1), refused / max(len(evidence) - n_ans, 1))
        if rates[0] >= ANSWERED and (rates[1], rates[0]) > score:
            choice, score = (floor, penalty, bonus), (rates[1], rates[0])
    print(f"chosen: top_k={k} max_per_guide={cap} (context fact recall {grid[(k, cap)]:.3f})")
    if choice:
        print(
            f"chosen: relevance_floor={choice[0]} unknown_term_penalty={choice[1]} "
            f"keyword_bonus={choice[2]} (dev: answers {score[1]:.2f}, refuses {score[0]:.2f})"
        )


if __name__ == "__main__":
    main()
