"""Chunking: sections first, then tokens; verbatim text, complete metadata, stable ids."""

from __future__ import annotations

import hashlib
import re
from itertools import pairwise

import pytest
from pydantic import ValidationError

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.errors import ConfigError
from coach.settings import Settings
from coach.tokens import count_tokens
from ingest.chunker import TokenWindow, chunk_guide
from ingest.loader import Guide, load_guide, parse_guide
from tests.support import SEEDS

GUIDES = sorted(p.name for p in SEEDS.iterdir())
ENGINEER_GUIDE = "backend-developer-to-ai-engineer.txt"


def chunking(tokens: int, overlap: int = 0) -> Settings:
    return Settings(_env_file=None, chunk_tokens=tokens, chunk_overlap=overlap)  # type: ignore[call-arg]


def table_rows(text: str) -> list[str]:
    return [line for line in text.split("\n") if "|" in line]


@pytest.mark.parametrize("name", GUIDES)
@pytest.mark.parametrize(("tokens", "overlap"), [(300, 40), (64, 16), (40, 0)])
def test_chunks_are_verbatim_within_budget_and_fully_described(
    name: str, tokens: int, overlap: int
):
    guide = load_guide(SEEDS / name)
    chunks = chunk_guide(guide, chunking(tokens, overlap))
    sections = {s.name for s in guide.sections}
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.text.strip() and chunk.text in guide.text  # a passage citations can quote
        assert chunk.tokens == count_tokens(chunk.text) <= tokens
        assert chunk.content_hash == hashlib.sha256(chunk.text.encode()).hexdigest()
        assert re.fullmatch(r"[0-9a-f]{32}", chunk.chunk_id)
        assert (chunk.source, chunk.title) == (name, guide.title)
        assert chunk.section in sections
        assert set(chunk.metadata()) == {
            "source",
            "title",
            "section",
            "position",
            "tokens",
            "content_hash",
        }


@pytest.fixture(scope="module")
def minilm() -> OnnxMiniLMEmbeddings:
    return OnnxMiniLMEmbeddings()


@pytest.mark.parametrize("name", GUIDES)
def test_with_the_model_window_every_chunk_is_read_whole_by_the_embedding_model(
    name: str, minilm: OnnxMiniLMEmbeddings
):
    guide = load_guide(SEEDS / name)
    window = TokenWindow.of(minilm)
    assert window.size == 256
    chunks = chunk_guide(guide, Settings(_env_file=None), window)  # type: ignore[call-arg]
    for chunk in chunks:
        # title, section and text: every word-piece inside the model's 256
        assert minilm.count_tokens(chunk.embedding_text()) <= 256
        assert chunk.text in guide.text
    # sections that fit stay whole; none is lost
    assert [s.name for s in guide.sections] == list(dict.fromkeys(c.section for c in chunks))
    long = [s for s in guide.sections if minilm.count_tokens(s.text) > 256]
    assert len(chunks) > len(guide.sections) or not long


def test_a_table_is_never_split_inside_a_row_and_kept_whole_when_it_fits():
    guide = load_guide(SEEDS / ENGINEER_GUIDE)
    rows = table_rows(guide.text)
    assert len(rows) == 8
    section = next(s for s in guide.sections if s.name == "Skill Mapping Analysis")
    assert count_tokens(section.text) > 120  # so the section has to be split ...

    chunks = [c for c in chunk_guide(guide, chunking(120, 20)) if c.section == section.name]
    assert len(chunks) > 1
    # ... but the whole table stays in one chunk, with its heading and intro
    [with_table] = [c for c in chunks if table_rows(c.text)]
    assert table_rows(with_table.text) == rows
    assert with_table.text.startswith("Skill Mapping Analysis\nBackend developers bring")

    # A budget smaller than the table splits it between rows, never inside one.
    for chunk in chunk_guide(guide, chunking(40, 0)):
        for row in table_rows(chunk.text):
            assert row in rows


def test_a_markdown_table_and_list_each_stay_in_one_chunk():
    table = "\n".join(
        ["| Role | Salary | Demand |", "|---|---|---|"]
        + [f"| Role {i} | ${100 + i}K - ${150 + i}K | high |" for i in range(8)]
    )
    bullets = "\n".join(f"- Learn skill number {i} with a small project" for i in range(8))
    intro = "Salaries vary a lot by role and by region. " * 6
    text = f"# Pay Guide\n\n## Salaries\n\n{intro.strip()}\n\n{table}\n\nThen:\n\n{bullets}\n"
    guide = parse_guide(text, "pay.md")
    chunks = chunk_guide(guide, chunking(150, 20))
    assert len(chunks) >= 3
    assert sum(table in c.text for c in chunks) == 1
    assert sum(bullets in c.text for c in chunks) == 1
    assert all(c.section == "Salaries" for c in chunks)


def test_a_long_paragraph_is_split_between_sentences_with_overlap():
    sentences = [f"Sentence number {i} talks about learning path step {i}." for i in range(60)]
    guide = parse_guide("## Plan\n\n" + " ".join(sentences), "plan.md")
    chunks = chunk_guide(guide, chunking(64, 16))
    assert len(chunks) > 5
    assert chunks[0].text.startswith("## Plan\n\nSentence number 0")
    for chunk in chunks:
        assert chunk.text.endswith(".")
        assert chunk.text.split(" ", 1)[0] in ("##", "Sentence")  # starts a sentence
    overlapping = sum(1 for a, b in pairwise(chunks) if b.text.split(".")[0] in a.text)
    assert overlapping == len(chunks) - 1


@pytest.mark.parametrize("tokens", [64, 300])
def test_no_chunk_is_only_a_heading(tokens: int):
    for name in GUIDES:
        guide = load_guide(SEEDS / name)
        heads = {s.text[: s.body_offset].strip() for s in guide.sections}
        assert not [c.text for c in chunk_guide(guide, chunking(tokens, 8)) if c.text in heads]


def edited(guide: Guide, old: str, new: str) -> Guide:
    assert old in guide.text
    return parse_guide(guide.text.replace(old, new), guide.source)


def test_ids_are_stable_and_change_only_with_the_chunk():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    guide = load_guide(SEEDS / "backend-engineer-to-ai-engineer-roadmap.md")
    first = chunk_guide(guide, settings)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in chunk_guide(guide, settings)]

    changed = chunk_guide(edited(guide, "2-3 months to become", "3-4 months to become"), settings)
    differing = [n for n, (a, b) in enumerate(zip(first, changed, strict=True)) if a != b]
    assert [first[n].section for n in differing] == ["Timeline"]

    renamed = chunk_guide(parse_guide(guide.text, "renamed.md"), settings)
    assert not {c.chunk_id for c in renamed} & {c.chunk_id for c in first}


def test_a_new_title_changes_every_id():
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    guide = load_guide(SEEDS / "backend-engineer-to-ai-engineer-roadmap.md")
    retitled = edited(guide, "# From Backend Engineer", "# From Backend Developer")
    before = chunk_guide(guide, settings)
    after = chunk_guide(retitled, settings)
    assert all(a.chunk_id != b.chunk_id for a, b in zip(before, after, strict=True))
    assert {c.title for c in after} == {"From Backend Developer to AI Engineer"}


def test_an_overlap_as_large_as_the_chunk_is_a_config_error():
    with pytest.raises(ValidationError, match="COACH_CHUNK_OVERLAP"):
        chunking(64, 64)  # refused by the settings, before any work
    unchecked = Settings.model_construct(chunk_tokens=64, chunk_overlap=64)
    with pytest.raises(ConfigError, match="COACH_CHUNK_OVERLAP"):
        chunk_guide(load_guide(SEEDS / ENGINEER_GUIDE), unchecked)


def test_a_lead_in_stays_in_the_chunk_of_the_list_it_opens():
    """ "…cover the following topics:" ends no chunk: its list follows it into the next one."""
    prose = " ".join(f"Sentence {i} explains why regular meetings help." for i in range(9))
    items = "\n".join(f"- Topic {i}: talk about project number {i}." for i in range(6))
    text = f"## Meetings\n\n{prose}\n\nManagers cover the following topics:\n\n{items}\n"
    chunks = chunk_guide(parse_guide(text, "meetings.md"), chunking(110, 0))
    assert len(chunks) >= 2
    holder = [c for c in chunks if "the following topics:" in c.text]
    assert holder and all(items.split("\n")[0] in c.text for c in holder)
    assert not any(c.text.rstrip().endswith(":") for c in chunks)


def test_a_sentence_cut_by_a_chunk_edge_is_still_one_whole_unit() -> None:
    """Units come from the section's text: each chunk holds every sentence it overlaps, whole."""
    from coach.units.index import chunk_units
    from ingest.chunker import chunk_sections

    sentence = (
        "Ask for feedback often, e.g. after every project review, and write down what you "
        "heard so that you can look back on it when you plan the next quarter with your lead, "
        "your mentor and anyone else who has watched you work over the last six months."
    )
    text = f"# Growing\n\n## Feedback\n\n{' '.join([sentence] * 3)}\n"
    guide = parse_guide(text, "growing.md")
    placed = chunk_sections(guide, chunking(32, 0))
    assert len(placed) > 3  # the sentences are cut by the chunks' edges
    assert any(not chunk.text.rstrip().endswith(".") for chunk, _ in placed)
    for chunk, section in placed:
        assert section.text[section.offset :].startswith(chunk.text)
        units, spans = chunk_units(chunk, section)
        assert units and all(u.text == sentence for u in units)
        assert all(0 <= a < b <= len(chunk.text) for a, b in spans)
