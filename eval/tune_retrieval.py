"""Choose retrieval's k, per-guide cap and relevance floor on the dev halves of every corpus.

    python -m eval.tune_retrieval            # prints the grid and the chosen values

k and the cap: the smallest context whose key-fact recall (each corpus weighted alike) is
within ``TOLERANCE`` of the best. The floor, the penalty per unknown word and the bonus for
a distinctive match: the most unanswerable dev items refused while at least ``ANSWERED``
of the answerable ones are answered. The chosen values are the defaults in
``coach/settings.py``; the eval reports them on the test halves.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import tomllib
from pathlib import Path
from statistics import mean

from eval.facts import fact_in, normalise

CORPORA = Path(__file__).with_name("corpora")
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


def measure(
    corpus: Path,
) -> tuple[dict[tuple[int, int], float], list[tuple[bool, float, int, bool]]]:
    """Context fact recall per (k, cap) and, per dev item, what the floor decision sees."""
    from coach.factory import build
    from coach.schema import Turn
    from coach.settings import Settings

    config = tomllib.loads((corpus / "corpus.toml").read_text(encoding="utf-8"))
    guides = (corpus / config.get("guides", "guides")).resolve()
    dev = [i for i in _items(corpus) if i.get("split", "dev") == "dev"]
    recall: dict[tuple[int, int], float] = {}
    evidence: list[tuple[bool, float, int, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))
        parts = build(settings)
        parts.ingest([guides])
        coach = parts.coach
        asked = []
        for item in dev:
            history = [Turn(**t) for t in item.get("history", [])]
            asked.append((item, coach.queries_for(item["question"], history)[0]))
        for k, cap in itertools.product(K_GRID, CAP_GRID):
            settings.top_k, settings.max_per_guide = k, cap
            found = total = 0
            for item, queries in asked:
                if not item["answerable"]:
                    continue
                context = normalise(
                    " ".join(r.chunk.text for r in coach.retriever.retrieve(queries).context)
                )
                found += sum(fact_in(tuple(f), context) for f in item["key_facts"])
                total += len(item["key_facts"])
            recall[(k, cap)] = found / max(total, 1)
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
    measured = {c.name: measure(c) for c in corpora}
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
