"""The scale benchmark's planning: which corpora it copies and which questions it asks."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support import REPO, SEEDS

sys.path.insert(0, str(REPO / "bench"))
from bench_scale import FOLLOW_UP, bundled_corpora, plan_questions
from salted_copies import SaltedGuide


def test_corpora_are_found_once_each(tmp_path: Path) -> None:
    """A corpus.toml's guides path wins over guides/; a folder already listed is not repeated."""
    (tmp_path / "alpha" / "guides").mkdir(parents=True)
    (tmp_path / "beta" / "pages").mkdir(parents=True)
    (tmp_path / "beta" / "corpus.toml").write_text('name = "beta"\nguides = "pages"\n')
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "corpus.toml").write_text(f'name = "seeds"\nguides = "{SEEDS}"\n')
    (tmp_path / "empty").mkdir()
    assert bundled_corpora(tmp_path) == [
        SEEDS,
        tmp_path / "alpha" / "guides",
        tmp_path / "beta" / "pages",
    ]


def test_plan_mixes_first_touches_follow_ups_and_repeats() -> None:
    guides = [
        SaltedGuide(f"g{n}.md", "", f"Guide {n}", 1, sections=[f"Part {k}" for k in range(5)])
        for n in range(4)
    ]
    plan = plan_questions(guides, 60)
    assert len(plan) == 60
    headings = [q.text for q in plan if q.kind == "heading"]
    assert len(headings) == len(set(headings)) == 20  # every section once, then fixed ones
    assert all(q.follow and q.text == FOLLOW_UP for q in plan if q.kind == "follow-up")
    assert sum(q.kind == "follow-up" for q in plan) == 10
    assert all(q.text in headings for q in plan if q.kind == "repeat")
    assert not any(q.follow for q in plan if q.kind != "follow-up")
