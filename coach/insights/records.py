"""The period's questions, read from the history store, each with what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from coach.history import HistoryStore, QuestionRecord, questions_since

OUTCOMES = ("answered", "not_covered", "off_topic", "injection", "unanswered")
"""What became of a question; 'unanswered': no reply was stored (the answer failed)."""


class Cited(NamedTuple):
    """A guide section an answer cited."""

    source: str
    title: str
    section: str


@dataclass
class Asked:
    """One question and its reply. Carries no session id and no client address."""

    text: str
    asked_at: datetime
    channel: str
    outcome: str
    relevance: float | None = None
    answer: str = ""
    cited: list[Cited] = field(default_factory=list)
    rating: str | None = None
    comment: str | None = None
    vector: str | None = None  # as retrieval made it, packed (coach.packed_vector)
    vector_model: str | None = None


def _outcome(record: QuestionRecord) -> str:
    if not record.replied:
        return "unanswered"
    if not record.refused:
        return "answered"
    return record.reason if record.reason in OUTCOMES else "not_covered"


def _cited(record: QuestionRecord) -> list[Cited]:
    seen = dict.fromkeys(
        Cited(str(c.get("source", "")), str(c.get("title", "")), str(c.get("section", "")))
        for c in record.citations
    )
    return list(seen)


def read_questions(history: HistoryStore, since: datetime | None) -> list[Asked]:
    """The questions asked from ``since`` on (all when None), oldest first; purged (blank)
    questions are left out."""
    return [
        Asked(
            text=record.content,
            asked_at=record.created_at,
            channel=record.channel or "unknown",
            outcome=_outcome(record),
            relevance=record.relevance,
            answer=record.answer,
            cited=_cited(record),
            rating=record.rating,
            comment=record.comment,
            vector=record.vector,
            vector_model=record.vector_model,
        )
        for record in questions_since(history, since)
    ]
