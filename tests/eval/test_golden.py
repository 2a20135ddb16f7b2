"""The golden set loader, and the bundled golden set itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from coach.errors import InputError
from eval.golden import DEFAULT_GOLDEN, GoldenSet, check_sources, load_golden

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

GOOD = {
    "id": "x1",
    "question": "How long does the transition take?",
    "reference": "2-3 months.",
    "sources": ["backend-engineer-to-ai-engineer-roadmap.md"],
    "answerable": True,
}


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes: object) -> str:
    record = {**GOOD, **changes}
    return json.dumps({k: v for k, v in record.items() if v is not ...})


@pytest.fixture(scope="module")
def golden() -> GoldenSet:
    return load_golden(DEFAULT_GOLDEN)


# The bundled golden set --------------------------------------------------------------


def test_golden_set_is_valid_and_large_enough(golden: GoldenSet) -> None:
    assert len(golden.items) >= 40
    assert len({i.id for i in golden.items}) == len(golden.items)
    for item in golden.items:
        assert item.reference.strip(), item.id
        assert item.answerable == bool(item.sources), item.id


def test_every_source_is_a_seed_guide(golden: GoldenSet) -> None:
    guides = {p.name for p in SEEDS.iterdir()}
    assert golden.sources <= guides
    assert golden.sources == guides  # every guide is asked about
    check_sources(golden, guides)


def test_golden_set_covers_what_the_coach_must_handle(golden: GoldenSet) -> None:
    items = golden.items
    multi = [i for i in items if i.history and i.answerable]
    unanswerable = [i for i in items if not i.answerable]
    assert len(multi) >= 6
    assert len(unanswerable) >= 6
    assert all(i.sources == () for i in unanswerable)
    assert sum(len(i.sources) >= 2 for i in items) >= 5  # comparisons across guides
    kinds = Counter(i.kind for i in items)
    assert {"fact", "list", "comparison", "disagreement", "multi_turn", "refusal"} <= set(kinds)
    # Refusals include off-topic questions and attempts to override the instructions.
    assert any("ignore" in i.question.lower() for i in unanswerable)
    # The disagreement on timelines cites the three guides that give different figures.
    timeline = next(i for i in items if i.kind == "disagreement" and "long" in i.question)
    assert len(timeline.sources) == 3


def test_multi_turn_follow_ups_lean_on_their_history(golden: GoldenSet) -> None:
    for item in golden.items:
        if item.history:
            assert item.history[0].role == "user", item.id
            assert item.history[-1].role == "assistant", item.id


def test_references_quote_figures_found_in_their_guides(golden: GoldenSet) -> None:
    """Every dollar figure and percentage in a reference appears in one of its sources."""
    import re

    texts = {p.name: p.read_text(encoding="utf-8") for p in SEEDS.iterdir()}
    for item in golden.items:
        corpus = " ".join(texts[s] for s in item.sources)
        for figure in re.findall(r"\$\d+(?:,\d{3})*K?|\d+%", item.reference):
            assert figure in corpus, f"{item.id}: {figure}"


# The loader --------------------------------------------------------------------------


def test_loads_history_and_ignores_unknown_fields(tmp_path: Path) -> None:
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    path = write_lines(
        tmp_path / "g.jsonl", line(history=history, extra={"a": 1}), "", line(id="x2")
    )
    loaded = load_golden(path)
    assert [i.id for i in loaded.items] == ["x1", "x2"]
    assert loaded.items[0].history[1].content == "Hello"
    assert loaded.items[0].line == 1 and loaded.items[1].line == 3


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ('{"id": "x2", "question": ', "line 2: invalid JSON"),
        (line(question=...), "line 2 (item 'x1'): missing field 'question'"),
        (line(id="x2", answerable="yes"), "line 2 (item 'x2'): field 'answerable' must be bool"),
        (line(id="x2", sources="a.md"), "field 'sources' must be list"),
        (line(id="x2", question=3), "field 'question' must be str"),
        (line(id="x2", answerable=False), "answerable false must have sources []"),
        (line(id="x2", sources=[]), "answerable item needs at least one source"),
        (line(id="x2", history=[{"role": "bot", "content": "x"}]), "history turn 1"),
        (line(), "line 2: duplicate id 'x1' (first on line 1)"),
        ("[1, 2]", "line 2: expected a JSON object"),
    ],
)
def test_a_malformed_line_is_an_error_naming_it(tmp_path: Path, bad: str, message: str) -> None:
    path = write_lines(tmp_path / "g.jsonl", line(), bad)
    with pytest.raises(InputError) as caught:
        load_golden(path)
    assert message in str(caught.value)
    assert "g.jsonl" in str(caught.value)


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_golden(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="no items"):
        load_golden(write_lines(tmp_path / "empty.jsonl", ""))


def test_unknown_source_names_the_item(tmp_path: Path) -> None:
    loaded = load_golden(write_lines(tmp_path / "g.jsonl", line(sources=["nope.md"])))
    with pytest.raises(InputError, match=r"line 1 \(item 'x1'\): unknown source nope.md"):
        check_sources(loaded, {"a.md"})
