"""Showing ingestion to people: the summary table (the progress bars are ``ingest.progress``)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.pipeline import IngestReport


def report_table(report: IngestReport) -> Table:
    """The run's numbers as a two-column table."""
    table = Table(title="Ingestion", show_header=False, title_justify="left")
    table.add_column("What")
    table.add_column("Count", justify="right")
    rows = [
        ("Guides ingested", str(report.files)),
        ("Chunks in these guides", str(report.chunks_total)),
        ("Added", str(report.added)),
        ("Updated", str(report.updated)),
        ("Removed", str(report.removed)),
        ("Unchanged", str(report.unchanged)),
        ("Chunks in the store", str(report.stored)),
        ("Seconds", f"{report.seconds:.2f}"),
    ]
    if report.reset:
        rows.insert(0, ("Store", "reset"))
    if report.flagged:
        rows.append(("Lines left out (addressed to an AI)", f"[yellow]{len(report.flagged)}[/]"))
    if report.errors:
        rows.append(("Skipped (not readable)", f"[red]{len(report.errors)}[/]"))
    for row in rows:
        table.add_row(*row)
    return table


def render_report(report: IngestReport, console: Console) -> None:
    """Print the summary table, then one line per line left out and per problem."""
    console.print(report_table(report))
    for item in report.flagged:
        console.print(
            f"[yellow]![/] {escape(item.path)}:{item.line}: left out — {escape(item.reason)}: "
            f"{escape(item.text)}"
        )
    for error in report.errors:
        console.print(f"[red]✗[/] skipped {escape(error.message)}")
    if report.ok and not (report.added or report.updated or report.removed or report.reset):
        console.print("[green]✓[/] Already up to date — nothing was written.")
