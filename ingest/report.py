"""Showing ingestion to people: the summary table (the progress bars are ``ingest.progress``)."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.injection import Kind
from ingest.pipeline import IngestReport

_FLAGGED_ROWS: dict[tuple[Kind, bool], str] = {
    ("injection", False): "Lines left out (addressed to an AI)",
    ("request", False): "Lines left out (ask for credentials, payment, programs)",
    ("request", True): "Lines kept that ask for credentials, payment, programs",
}


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
    counts = Counter((item.kind, item.kept) for item in report.flagged)
    for (kind, kept), label in _FLAGGED_ROWS.items():
        if counts[kind, kept]:
            rows.append((label, f"[yellow]{counts[kind, kept]}[/]"))
    if report.errors:
        rows.append(("Skipped (not readable)", f"[red]{len(report.errors)}[/]"))
    for row in rows:
        table.add_row(*row)
    return table


def render_report(report: IngestReport, console: Console) -> None:
    """Print the summary table, then one line per line left out and per problem."""
    console.print(report_table(report))
    for item in report.flagged:
        fate = "kept (COACH_ACCEPT_READER_REQUESTS)" if item.kept else "left out"
        console.print(
            f"[yellow]![/] {escape(item.path)}:{item.line}: {fate} — {escape(item.reason)}: "
            f"{escape(item.text)}"
        )
    for error in report.errors:
        console.print(f"[red]✗[/] skipped {escape(error.message)}")
    if report.ok and not (report.added or report.updated or report.removed or report.reset):
        console.print("[green]✓[/] Already up to date — nothing was written.")
