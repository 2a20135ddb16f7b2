"""The corpus loader: discovery, corpus.toml, and the golden set checked against its guides."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from coach.errors import InputError
from eval.corpus import CORPORA_DIR, discover, load_corpus_golden, read_corpus, select

TINY = Path(__file__).parent / "corpora" / "tiny"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the tiny test corpus."""
    root = tmp_path / "corpora" / "tiny"
    shutil.copytree(TINY, root)
    return root


def rewrite(root: Path, item_id: str, **changes: object) -> None:
    path = root / "golden.jsonl"
    items = [json.loads(x) for x in path.read_text().splitlines()]
    for item in items:
        if item["id"] == item_id:
            item.update(changes)
    path.write_text("".join(json.dumps(i) + "\n" for i in items))


def test_the_bundled_corpora_load() -> None:
    corpora = discover(CORPORA_DIR)
    names = [c.name for c in corpora]
    assert "seeds" in names and names == sorted(names)
    seeds = select("seeds")[0]
    assert seeds.guides_dir == SEEDS.resolve()
    assert seeds.description
    for each in corpora:  # every committed corpus validates, key facts included
        golden = load_corpus_golden(each)
        assert len(golden.items) >= 40, each.name


def test_discovers_a_corpus_folder(corpus: Path) -> None:
    (corpus.parent / "notes").mkdir()  # a folder without corpus.toml is not a corpus
    [found] = discover(corpus.parent)
    assert found.name == "tiny"
    assert found.guides_dir == (corpus / "guides").resolve()
    assert found.golden_path == corpus / "golden.jsonl"
    golden = load_corpus_golden(found)
    assert len(golden.items) == 8
    assert {i.split for i in golden.items} == {"dev", "test"}
    assert len(golden.select("test").items) == 4


def test_select_by_name_or_all(corpus: Path) -> None:
    assert [c.name for c in select("all", corpus.parent)] == ["tiny"]
    with pytest.raises(InputError, match=r"Unknown corpus 'nope'; the corpora are: tiny"):
        select("nope", corpus.parent)
    with pytest.raises(InputError, match="No corpus in"):
        select("all", corpus / "guides")


def test_manifest_errors(corpus: Path) -> None:
    (corpus / "corpus.toml").write_text('name = "tiny"\nguides = "missing"\n')
    with pytest.raises(InputError, match=r"guides folder .*missing does not exist"):
        read_corpus(corpus)
    (corpus / "corpus.toml").write_text("name = [\n")
    with pytest.raises(InputError, match=r"corpus\.toml: cannot read it"):
        read_corpus(corpus)
    (corpus / "corpus.toml").write_text('name = "tiny"\n')
    (corpus / "golden.jsonl").unlink()
    with pytest.raises(InputError, match=r"has no golden\.jsonl"):
        read_corpus(corpus)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "trivia"}, "line 2 (item 't02'): kind 'trivia' is not one of fact, list"),
        ({"split": None}, "line 2 (item 't02'): missing field 'split'"),
        ({"key_facts": []}, "line 2 (item 't02'): an answerable item needs key_facts"),
        ({"sources": ["nowhere.md"]}, "line 2 (item 't02'): unknown source nowhere.md"),
        (
            {"key_facts": [["$55,000 to $70,000"], ["$90,000", "ninety thousand"]]},
            "line 2 (item 't02'): key fact '$90,000' / 'ninety thousand' appears in none",
        ),
    ],
)
def test_a_bad_item_is_an_error_naming_it(corpus: Path, changes: dict, message: str) -> None:
    rewrite(corpus, "t02", **changes)
    with pytest.raises(InputError) as caught:
        load_corpus_golden(read_corpus(corpus))
    assert message in str(caught.value)


def test_a_key_fact_must_come_from_the_items_own_sources(corpus: Path) -> None:
    """'storyboard' is in the portfolio guide, not in the guide item t02 names."""
    rewrite(corpus, "t02", key_facts=[["storyboard"]])
    with pytest.raises(InputError, match=r"item 't02'\): key fact 'storyboard'"):
        load_corpus_golden(read_corpus(corpus))


def test_unknown_fields_are_ignored(corpus: Path) -> None:
    rewrite(corpus, "t01", notes="written by hand", difficulty=3)
    golden = load_corpus_golden(read_corpus(corpus))
    assert golden.items[0].id == "t01"
