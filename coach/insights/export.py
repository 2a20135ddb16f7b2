"""The report written out: JSON (the documented shape), CSV (the unanswered list)."""

from __future__ import annotations

import csv
import io

from coach.insights.models import InsightsReport

CSV_COLUMNS = ("group", "group_size", "question", "asked_at", "channel", "outcome", "closest_guide")


def _cell(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_json(report: InsightsReport) -> str:
    return report.model_dump_json(indent=2)


def unanswered_csv(report: InsightsReport) -> str:
    """One row per unanswered question, with its group, for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for group in report.unanswered_groups:
        closest = group.closest_guide
        where = f"{closest.title} > {closest.section}" if closest else ""
        for q in group.questions:
            writer.writerow(
                [
                    _cell(group.label),
                    group.count,
                    _cell(q.text),
                    q.asked_at.isoformat(),
                    q.channel,
                    q.outcome,
                    _cell(where),
                ]
            )
    return out.getvalue()
