"""The report for people at a terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coach.insights.models import InsightsReport

SHOWN = 10


def print_summary(report: InsightsReport, console: Console) -> None:
    """Totals, the largest unanswered groups, the most disliked sections, never-cited guides."""
    period, totals = report.period, report.totals
    console.print(
        f"[bold]Insights[/] {period.since:%Y-%m-%d} → {period.until:%Y-%m-%d}: "
        f"{totals.questions} questions, {totals.unanswered} unanswered "
        f"(text older than {period.retention_days} days purged: {period.purged} this run)"
    )
    outcomes = ", ".join(f"{k} {v}" for k, v in totals.outcomes.items())
    console.print(f"[dim]{escape(outcomes)}[/]")
    if report.unanswered_groups:
        table = Table("count", "group", "example", "closest guide", title="Unanswered, grouped")
        for group in report.unanswered_groups[:SHOWN]:
            closest = group.closest_guide
            table.add_row(
                str(group.count),
                escape(group.label),
                escape(group.examples[0] if group.examples else ""),
                escape(f"{closest.title} › {closest.section}" if closest else "—"),
            )
        console.print(table)
    if report.disliked.by_section:
        table = Table(
            "thumbs-down", "section", "latest comment", title="Disliked, by cited section"
        )
        for place in report.disliked.by_section[:SHOWN]:
            table.add_row(
                str(place.count),
                escape(f"{place.title} › {place.section}"),
                escape(place.comments[0] if place.comments else ""),
            )
        console.print(table)
    never = report.coverage.never_cited_guides
    if never:
        console.print("Never cited: " + ", ".join(escape(g.title) for g in never))
