"""The library summary: built at ingest from the guides themselves, stored with the collection."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.factory import assemble
from coach.history import HistoryStore
from coach.library import LIBRARY_KEY, Library, read_library
from coach.settings import Settings
from coach.store import MODEL_KEY, RECIPE_KEY, GuideStore
from ingest.pipeline import run_ingest
from ingest.summary import (
    as_asked,
    load_library,
    short_title,
    starter_question,
    starters,
    summarise,
    topics,
)
from tests.support import NURSING, REPO, build_parts, hand_chunk, ingested_store

SEED_WORDS = ("backend", "solutions architect", "documentation engineer", "ai engineer")


def corpora() -> list[Path]:
    """Every corpus folder's guides (eval/corpora/*/corpus.toml), and the nursing test corpus."""
    found = []
    for toml in sorted((REPO / "eval" / "corpora").glob("*/corpus.toml")):
        spec = tomllib.loads(toml.read_text(encoding="utf-8"))
        found.append((toml.parent / spec["guides"]).resolve())
    return [*found, NURSING]


# Statistics over guides ------------------------------------------------------------------


def test_topics_are_title_phrases_their_guides_keep_using() -> None:
    body = "A school counselor helps pupils. " * 3 + "The school counselor plans lessons."
    guides = {
        "a.md": [hand_chunk("a.md", "School Counselor Handbook", "Role", body)],
        "b.md": [
            hand_chunk("b.md", "Art Teacher Basics", "Role", "An art teacher teaches art. " * 3)
        ],
    }
    found = topics(guides)
    assert found[:2] == ["School Counselor", "Art Teacher"]
    assert "Handbook" not in found and "Basics" not in found  # the text never uses them
    quiet = [
        hand_chunk("q.md", "Field Notes: Part One", "Intro", "Nothing repeats the title. " * 5)
    ]
    assert summarise(quiet).topics == ["Field Notes"]  # no phrase recurs: the title stands


def test_a_heading_reads_as_part_of_the_users_question() -> None:
    assert as_asked("Skills You'll Need to Learn", set()) == "skills I'll need to learn"
    assert as_asked("Your Learning Roadmap", set()) == "my learning roadmap"
    assert as_asked("Working With Python", {"python"}) == "working with Python"
    assert as_asked("AI Governance", set()) == "AI governance"
    assert short_title("From A to B: Your 6-Month Guide") == "From A to B"
    assert short_title("Interview Tips") == "Interview Tips"
    assert starter_question("“Pay”", "How to Negotiate Your Salary", set()) == (
        "How do I negotiate my salary?"
    )
    assert starter_question("“Pay”", "Is It Worth It?", set()) == "Is It Worth It?"
    assert starter_question("the Pay guide", "Raises", set()) == (
        "What does the Pay guide say about raises?"
    )


def test_starters_come_from_substantial_sections_and_must_be_answered() -> None:
    long = "Negotiation of salary offers needs data about salary ranges. " * 12
    guides = {
        "pay.md": [
            hand_chunk("pay.md", "Pay Guide", "Salary Negotiation", long, 0),
            hand_chunk("pay.md", "Pay Guide", "Tiny Section", "Tiny section text.", 1),
            hand_chunk("pay.md", "Pay Guide", "Reality Check", "Nothing here echoes it. " * 20, 2),
            hand_chunk("pay.md", "Pay Guide", "Pay", "Pay is paid. " * 20, 3),  # the title again
        ],
        "cv.md": [
            hand_chunk("cv.md", "CV Guide", "Writing a Resume", "A resume lists work. " * 20)
        ],
    }
    asked: list[str] = []

    def answers(question: str) -> bool:
        asked.append(question)
        return "resume" not in question

    chosen = starters(guides, answers)
    assert chosen == [  # a heading its text repeats first; a signpost after
        "What does “Pay Guide” say about salary negotiation?",
        "What does “Pay Guide” say about reality check?",
    ]
    assert any("resume" in q for q in asked)  # tried, refused, left out
    assert not any("tiny" in q for q in asked)  # too little text to ask about
    assert not any(q.endswith("about pay?") for q in asked)  # would ask the guide about itself


def test_an_unchanged_guide_keeps_its_entry_and_a_changed_one_is_renewed() -> None:
    one = [hand_chunk("a.md", "Guide A", "Part", "Text of guide A. " * 10)]
    two = [hand_chunk("b.md", "Guide B", "Part", "Text of guide B. " * 10)]
    first = summarise([*one, *two], now="2026-01-01T00:00:00+00:00")
    assert summarise([*one, *two], first, now="2026-02-01T00:00:00+00:00") is first
    changed = [hand_chunk("b.md", "Guide B", "Part", "New text of guide B. " * 10)]
    second = summarise([*one, *changed], first, now="2026-02-01T00:00:00+00:00")
    stamps = {g.source: g.ingested_at for g in second.guides}
    assert stamps == {"a.md": "2026-01-01T00:00:00+00:00", "b.md": "2026-02-01T00:00:00+00:00"}
    gone = summarise(one, second)
    assert [g.source for g in gone.guides] == ["a.md"]


# Built at ingest, stored with the collection ----------------------------------------------


def test_the_summary_is_stored_beside_the_embedding_model(
    nursing: tuple[Settings, GuideStore],
) -> None:
    _, store = nursing
    meta = store.client.get_collection(store.name).metadata or {}
    assert {MODEL_KEY, RECIPE_KEY, LIBRARY_KEY} <= set(meta)
    library = read_library(store)
    assert library is not None
    assert {g.source for g in library.guides} == {p.name for p in NURSING.glob("*.md")}
    travel = next(g for g in library.guides if g.source == "travel-nursing-guide.md")
    assert travel.title == "Travel Nursing Guide"
    assert travel.sections[:2] == [
        "Requirements for Travel Nurses",
        "Working with Staffing Agencies",
    ]
    assert travel.chunks >= 4 and travel.ingested_at.endswith("+00:00")


def test_the_coach_speaks_of_the_guides_it_holds_and_nothing_of_the_seeds(
    nursing: tuple[Settings, GuideStore], tmp_path: Path
) -> None:
    settings, store = nursing
    parts = build_parts(settings, store, tmp_path / "history.db")
    voice = parts.coach.voice
    texts = [voice.refusal(r) for r in ("not_covered", "off_topic", "injection")]
    texts += [voice.welcome, voice.channel_topic, voice.description, *voice.starters]
    for text in texts:
        assert "Nurse" in text or "Nursing" in text, text
        assert not any(word in text.lower() for word in SEED_WORDS), text
    assert f'ask "{voice.starters[0]}"' in voice.refusal("not_covered")
    covered = parts.coach.ask("What does a data scientist earn in Berlin?")
    assert covered.refused and covered.answer == voice.refusal("not_covered")
    off = parts.coach.ask("What's a good recipe for banana bread?")
    assert off.refused and off.answer == voice.refusal("off_topic")
    parts.history.engine.dispose()


def test_settings_name_the_coach_and_override_its_topic(
    nursing: tuple[Settings, GuideStore], tmp_path: Path
) -> None:
    settings, store = nursing
    custom = settings.model_copy(update={"coach_name": "Ward Mentor", "coach_topic": "nursing"})
    parts = build_parts(custom, store, tmp_path / "history.db")
    assert "as Ward Mentor, I answer" in parts.coach.voice.refusal("off_topic")
    assert parts.coach.voice.welcome.startswith("Ask anything about nursing.")
    assert parts.coach.voice.channel_topic.startswith("Nursing:")
    parts.history.engine.dispose()


def test_each_run_updates_the_summary_incrementally(
    tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    guides = tmp_path / "guides"
    shutil.copytree(NURSING, guides)
    settings, store = ingested_store(guides, tmp_path / ".coach", embeddings)
    first = read_library(store)
    assert first is not None and len(first.guides) == 3
    run_ingest([guides], store, settings)
    assert read_library(store) == first  # nothing changed: kept as it was

    (guides / "travel-nursing-guide.md").unlink()
    practitioner = guides / "nurse-practitioner-pathway.md"
    practitioner.write_text(practitioner.read_text() + "\n## Sources\n\nAsk a mentor.\n")
    run_ingest([guides], store, settings)
    after = read_library(store)
    assert after is not None
    stamps = {g.source: g.ingested_at for g in after.guides}
    before = {g.source: g.ingested_at for g in first.guides}
    assert set(stamps) == {"nurse-practitioner-pathway.md", "registered-nurse-career-guide.md"}
    nurse = "registered-nurse-career-guide.md"
    assert stamps[nurse] == before[nurse]  # unchanged guide, same entry
    assert "Sources" in next(g for g in after.guides if g.source == practitioner.name).sections
    assert not any("Travel" in q for q in after.starters)


def test_a_store_ingested_before_summaries_gets_one_on_first_load(
    tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    """With ingest's loader (what the CLI and the API pass); the coach alone only reads."""
    settings, store = ingested_store(NURSING, tmp_path / ".coach", embeddings)
    collection = store.client.get_collection(store.name)
    older = {k: v for k, v in (collection.metadata or {}).items() if k != LIBRARY_KEY}
    collection.modify(metadata=older)  # what the previous version left
    reopened = GuideStore(store.client, store.name, embeddings)
    assert read_library(reopened) is None
    reading = build_parts(settings, reopened, tmp_path / "reading.db")
    assert reading.coach.library == Library()  # the factory's default computes nothing
    reading.history.engine.dispose()
    history = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    parts = assemble(settings, reopened, history, library=load_library)
    library = parts.coach.library
    assert len(library.guides) == 3 and library.starters
    again = read_library(GuideStore(store.client, store.name, embeddings))
    assert again == library  # saved, so it is built once
    parts.history.engine.dispose()


def test_an_empty_store_has_an_empty_library(tmp_path: Path, embeddings: OnnxMiniLMEmbeddings):
    settings, store = ingested_store(NURSING, tmp_path / ".coach", embeddings)
    store.reset()
    parts = build_parts(settings, store, tmp_path / "history.db")
    assert parts.coach.library == Library()
    assert "career questions my guides answer" in parts.coach.voice.refusal("not_covered")
    parts.history.engine.dispose()


# Every starter question is answered, on every corpus --------------------------------------


@pytest.mark.parametrize("guides", corpora(), ids=lambda p: p.parent.name + "/" + p.name)
def test_every_starter_question_is_answered_with_citations(
    guides: Path, tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    settings, store = ingested_store(guides, tmp_path / ".coach", embeddings)
    parts = build_parts(settings, store, tmp_path / "history.db")
    questions = parts.coach.library.starters
    assert len(questions) >= 3, questions
    for question in questions:
        answer = parts.coach.ask(question)
        assert not answer.refused, (question, answer.answer)
        assert answer.citations, question
    parts.history.engine.dispose()
