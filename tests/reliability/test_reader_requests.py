"""Guide lines that phish the reader are listed at ingest and kept out of answers (#23 D3),
unless the operator accepts them (``COACH_ACCEPT_READER_REQUESTS``)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.factory import assemble
from coach.history import HistoryStore
from coach.settings import Settings
from coach.store import GuideStore
from ingest.pipeline import IngestReport, run_ingest
from ingest.report import render_report
from tests.support import make_chroma_client, make_settings

GUIDES = Path(__file__).parent / "guides" / "requests"
PHISHING = ("hr@offers-portal.test", "processing fee", "onboarding.exe")
QUESTIONS = [
    "What should I do before I sign a job offer?",
    "How do I confirm my application?",
    "Where do I get the onboarding kit?",
    "Is there a fee to secure my start date?",
]


def ingested(
    tmp_path: Path, embeddings: OnnxMiniLMEmbeddings, **overrides: object
) -> tuple[Settings, GuideStore, IngestReport]:
    settings = make_settings(tmp_path / ".coach", **overrides)
    store = GuideStore(make_chroma_client(settings), settings.collection, embeddings)
    return settings, store, run_ingest([GUIDES], store, settings)


def answers(settings: Settings, store: GuideStore, db: Path) -> list[str]:
    history = HistoryStore(f"sqlite:///{db}")
    try:
        coach = assemble(settings, store, history).coach
        return [coach.ask(q).answer for q in QUESTIONS]
    finally:
        history.engine.dispose()


def test_phishing_lines_are_listed_and_never_quoted(
    tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    settings, store, report = ingested(tmp_path, embeddings)
    assert report.ok
    assert [(f.line, f.kind, f.kept) for f in report.flagged] == [
        (5, "request", False),
        (7, "request", False),
        (9, "request", False),
    ]
    console = Console(record=True, width=200)
    render_report(report, console)
    shown = console.export_text()
    assert "Lines left out (ask for credentials, payment, programs)" in shown
    assert "offers.md:5: left out — asks the reader for credentials" in shown
    assert all(p not in c.text for c in store.all_chunks() for p in PHISHING)
    replies = answers(settings, store, tmp_path / "history.db")
    assert any("base salary" in r for r in replies), "the guide still answers"
    assert all(p not in r for r in replies for p in PHISHING)
    assert report.to_dict()["flagged"][0]["kind"] == "request"


def test_an_operator_who_accepts_them_keeps_them_listed(
    tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    _, store, report = ingested(tmp_path, embeddings, accept_reader_requests=True)
    assert [(f.line, f.kept) for f in report.flagged] == [(5, True), (7, True), (9, True)]
    console = Console(record=True, width=200)
    render_report(report, console)
    shown = console.export_text()
    assert "Lines kept that ask for credentials, payment, programs" in shown
    assert "offers.md:7: kept (COACH_ACCEPT_READER_REQUESTS)" in shown
    assert any("processing fee" in c.text for c in store.all_chunks())


def test_accepting_them_later_reingests_the_guide(
    tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    settings, store, _ = ingested(tmp_path, embeddings)
    accepting = settings.model_copy(update={"accept_reader_requests": True})
    report = run_ingest([GUIDES], store, accepting)
    assert report.updated >= 1 and report.added == report.removed == 0  # counted in chunks
    assert any("processing fee" in c.text for c in store.all_chunks())
