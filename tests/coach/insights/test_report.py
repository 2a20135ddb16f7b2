"""The report over a scripted history in a real SQLite store, with the real embeddings."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.history import HistoryStore, MessageRow
from coach.insights.build import build_report
from coach.insights.export import CSV_COLUMNS, unanswered_csv
from coach.insights.models import InsightsReport
from coach.insights.vectors import QuestionVectors
from coach.schema import Citation
from coach.settings import Settings
from coach.store import GuideStore
from tests.coach.insights.script import (
    CHANNELS,
    LOW_EVIDENCE,
    NOW,
    UNCOVERED,
    Scripted,
    write_history,
)

SCHEMA = Path(__file__).resolve().parents[3] / "coach" / "insights" / "report.schema.json"
History = tuple[HistoryStore, Scripted, QuestionVectors, Settings]


def citations_of(store: GuideStore) -> list[Citation]:
    """One citation per stored section, as an answer would carry it."""
    seen = {}
    for chunk in store.all_chunks():
        seen.setdefault((chunk.source, chunk.section), chunk)
    return [
        Citation(
            id=1,
            source=c.source,
            title=c.title,
            section=c.section,
            snippet="…",
            chunk_id=c.chunk_id,
        )
        for c in seen.values()
    ]


@pytest.fixture(scope="module")
def scripted(
    tmp_path_factory: pytest.TempPathFactory,
    seeded_store: GuideStore,
    embeddings: OnnxMiniLMEmbeddings,
) -> History:
    where = tmp_path_factory.mktemp("insights")
    history = HistoryStore(f"sqlite:///{where / 'history.db'}")
    script = write_history(history, citations_of(seeded_store))
    vectors = QuestionVectors(embeddings, where / "vectors.npz")
    return history, script, vectors, Settings(data_dir=where)


@pytest.fixture(scope="module")
def report(scripted: History, seeded_store: GuideStore) -> InsightsReport:
    history, _, vectors, settings = scripted
    return build_report(history, vectors, settings, seeded_store, now=NOW)


def test_the_history_is_large_enough(report: InsightsReport) -> None:
    assert report.totals.questions >= 200
    assert report.totals.outcomes["not_covered"] == sum(2 * len(q) for q in UNCOVERED.values())
    assert report.totals.outcomes["off_topic"] > 0 and report.totals.outcomes["injection"] > 0


def test_each_uncovered_topic_is_one_group(report: InsightsReport, scripted: History) -> None:
    topic_of = scripted[1].topic_of
    per_topic = Counter(topic_of.values())
    grouped = 0
    in_groups: list[Counter[str]] = [
        Counter(topic_of[q.text] for q in g.questions) for g in report.unanswered_groups
    ]
    for topic, asked in per_topic.items():
        best = max(in_groups, key=lambda c: c[topic])
        assert abs(best[topic] - asked) <= 1, topic
        assert best.most_common(1)[0][0] == topic
        grouped += best[topic]
    assert grouped / sum(per_topic.values()) >= 0.9
    sizes = [sum(c.values()) for c in in_groups]
    purity = sum(c.most_common(1)[0][1] for c in in_groups) / sum(sizes)
    assert purity >= 0.9
    assert [g.count for g in report.unanswered_groups] == sorted(sizes, reverse=True)
    retirement = max(report.unanswered_groups, key=lambda g: g.low_evidence)
    assert retirement.low_evidence == len(LOW_EVIDENCE)


def test_labels_use_the_questions_own_words(report: InsightsReport) -> None:
    for group in report.unanswered_groups:
        words = set(re.findall(r"\w+", " ".join(q.text for q in group.questions).lower()))
        assert group.terms, group
        for term in group.terms:
            assert set(term.split()) <= words, (term, group.label)
        assert len(group.examples) == min(3, group.count)
        assert group.first_seen <= group.last_seen
    labels = " ".join(g.label for g in report.unanswered_groups[:4])
    assert all(word in labels for word in ("visa", "leave"))


def test_each_group_names_its_closest_guide(
    report: InsightsReport, seeded_store: GuideStore
) -> None:
    sources = {c.source for c in seeded_store.all_chunks()}
    for group in report.unanswered_groups:
        assert group.closest_guide is not None and group.closest_guide.source in sources


def test_disliked_answers_are_grouped_by_cited_section(
    report: InsightsReport, scripted: History
) -> None:
    worst = report.disliked.by_section[0]
    assert (worst.source, worst.section) == scripted[1].disliked_section
    assert worst.count == 12 and "Too vague, no numbers." in worst.comments
    assert len(report.disliked.answers) == 12
    assert all(a.comment and a.cited and a.question for a in report.disliked.answers)


def test_coverage_and_volume(report: InsightsReport, seeded_store: GuideStore) -> None:
    coverage = report.coverage
    cited = {(s.source, s.section) for s in coverage.sections}
    never = {(s.source, s.section) for s in coverage.never_cited_sections}
    stored = {(c.source, c.section) for c in seeded_store.all_chunks()}
    assert cited | never == stored and not cited & never
    assert coverage.guides[0].citations >= coverage.guides[-1].citations
    for week in coverage.weekly:
        assert sum(week.shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert {v.channel for v in report.volume} == set(CHANNELS)
    assert len({v.day for v in report.volume}) >= 10
    assert sum(v.questions for v in report.volume) == report.totals.questions


def test_no_session_id_leaves_the_report(report: InsightsReport, scripted: History) -> None:
    text = report.model_dump_json()
    assert not any(session in text for session in scripted[1].sessions)


def test_retention_purges_old_text(report: InsightsReport, scripted: History) -> None:
    history, script, _, _ = scripted
    assert report.period.purged == 1
    assert script.old_question not in report.model_dump_json()
    with history.engine.connect() as db:
        stored = db.scalars(select(MessageRow.content).where(MessageRow.role == "user")).all()
    assert script.old_question not in stored and "" in stored


def test_deleting_a_session_removes_its_questions(
    scripted: History, seeded_store: GuideStore
) -> None:
    history, script, vectors, settings = scripted
    session = script.sessions[1]
    asked = [t.content for t in history.get_session(session).messages if t.role == "user"]
    history.delete_session(session)
    text = build_report(history, vectors, settings, seeded_store, now=NOW).model_dump_json()
    assert asked and not any(json.dumps(q) in text for q in asked)


def test_the_json_shape_is_the_documented_one(report: InsightsReport) -> None:
    """A change to the shape is a deliberate change of report.schema.json (and the README)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert InsightsReport.model_json_schema() == schema
    again = InsightsReport.model_validate_json(report.model_dump_json())
    assert again == report
    assert set(json.loads(report.model_dump_json())) == set(schema["properties"])


def test_the_csv_lists_every_unanswered_question(report: InsightsReport) -> None:
    lines = unanswered_csv(report).strip().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) - 1 == report.totals.unanswered
