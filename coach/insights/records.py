"""The period's questions, read from the history store, each with what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from coach.history import HistoryStore, TurnRecord, turns_since

OUTCOMES = ("answered", "not_covered", "off_topic", "injection", "unanswered")
"""What became of a question; 'unanswered': no reply was stored (the answer failed)."""


@dataclass(frozen=True)
class Cited:
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


def _outcome(reply: TurnRecord | None) -> str:
    if reply is None:
        return "unanswered"
    if not reply.refused:
        return "answered"
    reason = reply.meta.get("reason")
    return reason if reason in OUTCOMES else "not_covered"


def _cited(reply: TurnRecord | None) -> list[Cited]:
    seen = dict.fromkeys(
        Cited(str(c.get("source", "")), str(c.get("title", "")), str(c.get("section", "")))
        for c in (reply.citations if reply else [])
    )
    return list(seen)


def pair_questions(turns: list[TurnRecord]) -> list[Asked]:
    """Each user turn with the coach's reply right after it; purged (blank) questions skipped."""
    asked: list[Asked] = []
    for i, turn in enumerate(turns):
        if turn.role != "user" or not turn.content:
            continue
        after = turns[i + 1] if i + 1 < len(turns) else None
        reply = (
            after
            if after is not None
            and after.role == "assistant"
            and after.conversation == turn.conversation
            else None
        )
        meta = reply.meta if reply else {}
        channel = turn.meta.get("channel") or meta.get("channel") or "unknown"
        relevance = meta.get("relevance")
        asked.append(
            Asked(
                text=turn.content,
                asked_at=turn.created_at,
                channel=str(channel),
                outcome=_outcome(reply),
                relevance=float(relevance) if isinstance(relevance, int | float) else None,
                answer=reply.content if reply else "",
                cited=_cited(reply),
                rating=reply.rating if reply else None,
                comment=reply.comment if reply else None,
            )
        )
    return asked


def read_questions(history: HistoryStore, since: datetime | None) -> list[Asked]:
    """The questions asked from ``since`` on (all when None), oldest conversation first."""
    return pair_questions(turns_since(history, since))
