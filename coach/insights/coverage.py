"""Counts over the period: citations per guide and section, weekly outcomes, daily volume,
and the disliked answers by cited section."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from coach.insights.models import (
    CitedPlace,
    Coverage,
    DayVolume,
    Disliked,
    DislikedAnswer,
    Place,
    SectionComplaints,
    WeekShare,
)
from coach.insights.records import OUTCOMES, Asked, Cited


def _week(asked: Asked) -> str:
    year, week, _ = asked.asked_at.isocalendar()
    return f"{year}-W{week:02d}"


def _ranked(counts: Counter[Cited]) -> list[CitedPlace]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].source, kv[0].section))
    return [
        CitedPlace(source=p.source, title=p.title, section=p.section, citations=n)
        for p, n in ranked
    ]


def coverage(questions: list[Asked], guides: Iterable[Cited]) -> Coverage:
    """Most and least cited guides and sections, those never cited (of ``guides``: every
    stored section), and the share of each outcome week by week."""
    sections: Counter[Cited] = Counter()
    by_guide: Counter[Cited] = Counter()
    for asked in questions:
        for place in asked.cited:
            sections[place] += 1
        for guide in {Cited(p.source, p.title, "") for p in asked.cited}:
            by_guide[guide] += 1
    every = list(dict.fromkeys(guides))
    cited_sources = {p.source for p in by_guide}
    cited_sections = {(p.source, p.section) for p in sections}
    never_guides = dict.fromkeys(
        (p.source, p.title) for p in every if p.source not in cited_sources
    )
    never_sections = [
        Place(source=p.source, title=p.title, section=p.section)
        for p in every
        if (p.source, p.section) not in cited_sections
    ]
    weeks: dict[str, Counter[str]] = defaultdict(Counter)
    for asked in questions:
        weeks[_week(asked)][asked.outcome] += 1
    weekly = [
        WeekShare(
            week=week,
            questions=sum(counts.values()),
            shares={o: round(counts[o] / sum(counts.values()), 4) for o in OUTCOMES},
        )
        for week, counts in sorted(weeks.items())
    ]
    return Coverage(
        guides=_ranked(by_guide),
        sections=_ranked(sections),
        never_cited_guides=[Place(source=s, title=t) for s, t in never_guides],
        never_cited_sections=never_sections,
        weekly=weekly,
    )


def volume(questions: list[Asked]) -> list[DayVolume]:
    """Questions per day (UTC) and channel."""
    counts = Counter((asked.asked_at.date(), asked.channel) for asked in questions)
    return [
        DayVolume(day=day, channel=channel, questions=n)
        for (day, channel), n in sorted(counts.items())
    ]


def disliked(questions: list[Asked]) -> Disliked:
    """Thumbs-down answers, newest first, and the sections they cited by complaints."""
    down = sorted(
        (a for a in questions if a.rating == "down"), key=lambda a: a.asked_at, reverse=True
    )
    complaints: Counter[Cited] = Counter()
    comments: dict[Cited, list[str]] = defaultdict(list)
    for asked in down:
        for place in asked.cited:
            complaints[place] += 1
            if asked.comment:
                comments[place].append(asked.comment)
    ranked = sorted(complaints.items(), key=lambda kv: (-kv[1], kv[0].source, kv[0].section))
    return Disliked(
        answers=[
            DislikedAnswer(
                question=a.text,
                answer=a.answer,
                comment=a.comment,
                asked_at=a.asked_at,
                channel=a.channel,
                cited=[Place(source=p.source, title=p.title, section=p.section) for p in a.cited],
            )
            for a in down
        ],
        by_section=[
            SectionComplaints(
                source=p.source, title=p.title, section=p.section, count=n, comments=comments[p]
            )
            for p, n in ranked
        ],
    )
