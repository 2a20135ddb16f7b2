"""The golden set loader, and the bundled golden set itself."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from coach.errors import InputError
from eval.corpus import CORPORA_DIR, KINDS
from eval.golden import GoldenSet, check_key_facts, check_sources, load_golden

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEEDS_GOLDEN = CORPORA_DIR / "seeds" / "golden.jsonl"

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
    return load_golden(SEEDS_GOLDEN)


# The seeds corpus's golden set --------------------------------------------------------


def test_golden_set_is_valid_and_large_enough(golden: GoldenSet) -> None:
    assert len(golden.items) >= 40
    assert len({i.id for i in golden.items}) == len(golden.items)
    for item in golden.items:
        assert item.reference.strip(), item.id
        assert item.answerable == bool(item.sources) == bool(item.key_facts), item.id
        assert all(1 <= len(a.split()) <= 8 for fact in item.key_facts for a in fact), item.id


def test_every_source_is_a_seed_guide(golden: GoldenSet) -> None:
    guides = {p.name for p in SEEDS.iterdir()}
    assert golden.sources <= guides
    assert golden.sources == guides  # every guide is asked about
    check_sources(golden, guides)


def test_golden_set_covers_every_kind(golden: GoldenSet) -> None:
    kinds = Counter(i.kind for i in golden.items)
    assert set(kinds) <= set(KINDS)
    wanted = {"fact": 10, "list": 8, "comparison": 5, "compound": 5, "follow_up": 5}
    wanted |= {"not_covered": 4, "off_topic": 2, "injection": 2}
    for kind, least in wanted.items():
        assert kinds[kind] >= least, kind
    for item in golden.items:
        assert bool(item.history) == (item.kind == "follow_up" or item.id == "q50"), item.id
        if item.kind == "comparison":
            assert len(item.sources) >= 2, item.id


def test_splits_are_halves_balanced_within_each_kind(golden: GoldenSet) -> None:
    splits = Counter(i.split for i in golden.items)
    assert splits["dev"] == splits["test"] == len(golden.items) // 2
    for kind in {i.kind for i in golden.items}:
        counts = Counter(i.split for i in golden.items if i.kind == kind)
        assert abs(counts["dev"] - counts["test"]) <= 1, kind
    assert len(golden.select("test").items) == len(golden.select("dev").items)
    assert len(golden.select("all").items) == len(golden.items)


def test_follow_ups_lean_on_their_history(golden: GoldenSet) -> None:
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
        (line(id="x2", key_facts=["Terraform"]), "field 'key_facts' must be a list of facts"),
        (line(id="x2", key_facts=[[]]), "field 'key_facts' must be a list of facts"),
        (line(id="x2", key_facts=[["a", 3]]), "field 'key_facts' must be a list of facts"),
        (line(id="x2", split="train"), 'field \'split\' must be "dev" or "test"'),
        (
            line(id="x2", answerable=False, sources=[], key_facts=[["a"]]),
            "answerable false must have key_facts []",
        ),
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


def test_key_facts_and_split_are_optional_and_parsed(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "g.jsonl",
        line(key_facts=[[" 2-3 months ", "two to three months"]], split="dev"),
        line(id="x2", split="test"),
        line(id="x3"),
    )
    loaded = load_golden(path)
    assert loaded.items[0].key_facts == (("2-3 months", "two to three months"),)
    assert loaded.items[2].key_facts == () and loaded.items[2].split is None
    assert [i.id for i in loaded.select("dev").items] == ["x1"]
    assert loaded.has_key_facts
    plain = load_golden(write_lines(tmp_path / "p.jsonl", line(), line(id="x2")))
    assert len(plain.select("test").items) == 2  # no split in the file: one split of all
    assert not plain.has_key_facts


def test_a_key_fact_missing_from_the_sources_names_the_item_and_the_fact(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "g.jsonl",
        line(key_facts=[["2–3 months"], ["Terraform", "TF"]]),
    )
    loaded = load_golden(path)
    texts = {GOOD["sources"][0]: "It takes **2-3 months** to become productive."}
    with pytest.raises(InputError) as caught:
        check_key_facts(loaded, texts)
    message = str(caught.value)
    assert "item 'x1'" in message and "'Terraform' / 'TF'" in message
    assert "2–3 months" not in message  # the dash-normalised fact was found
    texts[GOOD["sources"][0]] += " Terraform too."
    check_key_facts(loaded, texts)
