"""The report as one self-contained HTML page: Plotly charts, its JS inline, no requests."""

from __future__ import annotations

from collections import defaultdict
from html import escape

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from coach.insights.models import InsightsReport

TOP_GROUPS = 15
CHART_CONFIG = {"displaylogo": False, "responsive": True}

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.muted{color:#666}.chart{min-height:320px}
"""


def _volume_chart(report: InsightsReport) -> go.Figure:
    by_channel: dict[str, dict[str, int]] = defaultdict(dict)
    for row in report.volume:
        by_channel[row.channel][row.day.isoformat()] = row.questions
    figure = go.Figure(
        [
            go.Bar(name=channel, x=list(days), y=list(days.values()))
            for channel, days in sorted(by_channel.items())
        ]
    )
    figure.update_layout(barmode="stack", title="Questions per day and channel")
    return figure


def _refusal_chart(report: InsightsReport) -> go.Figure:
    weeks = [w.week for w in report.coverage.weekly]
    outcomes = list(report.totals.outcomes)
    figure = go.Figure(
        [
            go.Scatter(
                name=outcome,
                x=weeks,
                y=[w.shares.get(outcome, 0.0) for w in report.coverage.weekly],
                mode="lines+markers",
            )
            for outcome in outcomes
        ]
    )
    figure.update_layout(title="Share of questions per outcome, by week", yaxis_tickformat=".0%")
    return figure


def _groups_chart(report: InsightsReport) -> go.Figure:
    groups = report.unanswered_groups[:TOP_GROUPS][::-1]
    figure = go.Figure(
        go.Bar(
            x=[g.count for g in groups],
            y=[g.label or "(no words)" for g in groups],
            orientation="h",
        )
    )
    figure.update_layout(title="Top unanswered groups", margin={"l": 260})
    return figure


def _chart(figure: go.Figure, div_id: str) -> str:
    figure.update_layout(template="plotly_white", height=360)
    return figure.to_html(
        full_html=False, include_plotlyjs=False, div_id=div_id, config=CHART_CONFIG
    )


def _rows(cells: list[list[str]]) -> str:
    return "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in cells
    )


def _table(headers: list[str], cells: list[list[str]], empty: str) -> str:
    if not cells:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{_rows(cells)}</tbody></table>"


def render_html(report: InsightsReport, title: str = "Career Coach") -> str:
    """The whole page. Every text from the history is escaped; nothing is fetched."""
    period, totals = report.period, report.totals
    groups = _table(
        ["count", "group", "examples", "first seen", "last seen", "closest guide"],
        [
            [
                str(g.count),
                g.label,
                " | ".join(g.examples),
                f"{g.first_seen:%Y-%m-%d}",
                f"{g.last_seen:%Y-%m-%d}",
                f"{g.closest_guide.title} › {g.closest_guide.section}" if g.closest_guide else "—",
            ]
            for g in report.unanswered_groups
        ],
        "No unanswered questions in this period.",
    )
    disliked = _table(
        ["thumbs-down", "guide", "section", "comments"],
        [
            [str(s.count), s.title, s.section, " | ".join(s.comments)]
            for s in report.disliked.by_section
        ],
        "No thumbs-down in this period.",
    )
    cited = _table(
        ["citations", "guide", "section"],
        [[str(s.citations), s.title, s.section] for s in report.coverage.sections],
        "No answer cited a guide in this period.",
    )
    never = _table(
        ["guide", "section"],
        [[p.title, p.section] for p in report.coverage.never_cited_sections],
        "Every section was cited.",
    )
    outcomes = ", ".join(f"{k}: {v}" for k, v in totals.outcomes.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — insights</title><style>{STYLE}</style>
<script>{get_plotlyjs()}</script></head>
<body>
<h1>{escape(title)} — insights</h1>
<p>{period.since:%Y-%m-%d} to {period.until:%Y-%m-%d}: {totals.questions} questions,
{totals.unanswered} unanswered. <span class="muted">{escape(outcomes)}. Question text older
than {period.retention_days} days is purged.</span></p>
<div class="chart">{_chart(_volume_chart(report), "volume-chart")}</div>
<div class="chart">{_chart(_refusal_chart(report), "refusal-chart")}</div>
<div class="chart">{_chart(_groups_chart(report), "groups-chart")}</div>
<h2>Unanswered questions, grouped</h2>{groups}
<h2>Disliked answers, by cited section</h2>{disliked}
<h2>Most cited sections</h2>{cited}
<h2>Never cited</h2>{never}
</body></html>
"""
