"""One insights run: purge text past retention, read the period, compute the report."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from coach.embeddings import make_embeddings
from coach.history import HistoryStore, erase_text_before
from coach.insights.coverage import coverage, disliked, volume
from coach.insights.models import InsightsReport, Period, Totals
from coach.insights.records import OUTCOMES, Cited, read_questions
from coach.insights.unanswered import Nearest, is_unanswered, unanswered_groups
from coach.insights.vectors import QuestionVectors
from coach.schema import Chunk
from coach.settings import Settings
from coach.store import GuideStore


def store_nearest(store: GuideStore) -> Nearest:
    """The store's nearest chunk to a vector (None when the store is empty)."""

    def nearest(vector: np.ndarray) -> tuple[Chunk, float] | None:
        found = store.search(vector.tolist(), 1)
        return found[0] if found else None

    return nearest


def stored_sections(store: GuideStore) -> list[Cited]:
    """Every (guide, section) the store holds, in guide order."""
    return list(dict.fromkeys(Cited(c.source, c.title, c.section) for c in store.all_chunks()))


class Insights:
    """The report over one history and guide store, built once and asked for each run."""

    def __init__(
        self, settings: Settings, history: HistoryStore, store: GuideStore | None = None
    ) -> None:
        self.settings = settings
        self.history = history
        self.store = store
        embeddings = store.embeddings if store else make_embeddings(settings)
        self.vectors = QuestionVectors(embeddings, settings.data_dir / "insights" / "vectors.npz")

    def report(self, since: datetime | None = None, now: datetime | None = None) -> InsightsReport:
        return build_report(self.history, self.vectors, self.settings, self.store, since, now)


def build_report(
    history: HistoryStore,
    vectors: QuestionVectors,
    settings: Settings,
    store: GuideStore | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> InsightsReport:
    """The report from ``since`` (default: the retention window) to ``now``.

    Each run first blanks question text older than ``insights_retention_days``.
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=settings.insights_retention_days)
    purged = erase_text_before(history, cutoff)
    start = max(since, cutoff) if since else cutoff
    questions = [q for q in read_questions(history, start) if q.asked_at <= now]
    unanswered = [q for q in questions if is_unanswered(q, settings.insights_evidence_bar)]
    vectors.remember([(q.text, q.vector, q.vector_model) for q in unanswered])
    outcomes = Counter(q.outcome for q in questions)
    return InsightsReport(
        period=Period(
            since=start,
            until=now,
            retention_days=settings.insights_retention_days,
            purged=purged,
        ),
        totals=Totals(
            questions=len(questions),
            outcomes={o: outcomes[o] for o in OUTCOMES},
            unanswered=len(unanswered),
        ),
        unanswered_groups=unanswered_groups(
            unanswered,
            vectors.of,
            store_nearest(store) if store else None,
            settings.insights_group_distance,
        ),
        disliked=disliked(questions),
        coverage=coverage(questions, stored_sections(store) if store else []),
        volume=volume(questions),
    )
