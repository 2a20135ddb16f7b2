"""The report's shape: what ``coach insights --json`` and ``GET /api/insights`` return.

Stable: fields are only ever added (``schema_version`` goes up when one changes meaning).
Nothing here names a session or a client address.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

SCHEMA_VERSION = 1


class Place(BaseModel):
    """A guide, or a section of one."""

    source: str = Field(description="The guide's file.")
    title: str = Field(description="The guide's title.")
    section: str = Field("", description="The section's heading path; empty for a guide.")


class ClosestGuide(Place):
    similarity: float = Field(description="Cosine similarity of the group to its nearest chunk.")


class GroupedQuestion(BaseModel):
    text: str
    asked_at: datetime
    channel: str
    outcome: str = Field(description="not_covered, or answered (on low evidence).")


class UnansweredGroup(BaseModel):
    label: str = Field(description="The group's own top words, comma-separated.")
    terms: list[str] = Field(description="The words (or two-word phrases) of the label.")
    count: int = Field(description="Questions in the group.")
    examples: list[str] = Field(description="Up to three of its questions, most typical first.")
    first_seen: datetime
    last_seen: datetime
    refused: int = Field(description="Of them, declined as not covered by the guides.")
    low_evidence: int = Field(description="Of them, answered on evidence under the bar.")
    closest_guide: ClosestGuide | None = Field(description="The nearest guide and section.")
    questions: list[GroupedQuestion] = Field(description="Every question of the group.")


class DislikedAnswer(BaseModel):
    question: str
    answer: str
    comment: str | None
    asked_at: datetime
    channel: str
    cited: list[Place]


class SectionComplaints(Place):
    count: int = Field(description="Thumbs-down on answers citing this section.")
    comments: list[str]


class Disliked(BaseModel):
    answers: list[DislikedAnswer] = Field(description="Thumbs-down, newest first.")
    by_section: list[SectionComplaints] = Field(description="Most complained-about first.")


class CitedPlace(Place):
    citations: int = Field(description="Answers citing it in the period.")


class WeekShare(BaseModel):
    week: str = Field(description="ISO week, 2026-W49.")
    questions: int
    shares: dict[str, float] = Field(
        description="Share of the week's questions per outcome: answered, not_covered, "
        "off_topic, injection, unanswered (no reply stored)."
    )


class Coverage(BaseModel):
    guides: list[CitedPlace] = Field(description="Cited guides, most cited first.")
    sections: list[CitedPlace] = Field(description="Cited sections, most cited first.")
    never_cited_guides: list[Place]
    never_cited_sections: list[Place]
    weekly: list[WeekShare]


class DayVolume(BaseModel):
    day: date
    channel: str = Field(description="widget, api, v1, slack, cli, or unknown.")
    questions: int


class Period(BaseModel):
    since: datetime
    until: datetime
    retention_days: int = Field(description="Question text older than this is purged.")
    purged: int = Field(description="Questions whose text this run purged.")


class Totals(BaseModel):
    questions: int
    outcomes: dict[str, int] = Field(description="Questions per outcome.")
    unanswered: int = Field(description="Questions grouped below (not covered + low evidence).")


class InsightsReport(BaseModel):
    schema_version: int = SCHEMA_VERSION
    period: Period
    totals: Totals
    unanswered_groups: list[UnansweredGroup] = Field(description="Largest first.")
    disliked: Disliked
    coverage: Coverage
    volume: list[DayVolume] = Field(description="Questions per day and channel, oldest first.")
