"""The insights report for the people who keep the guides: JSON and an HTML page.

Always behind the API key when one is set; COACH_PUBLIC_ORIGINS never opens it (a public
page's visitors may ask, never read what others asked).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

import anyio
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import AnswerSlots, PartsDep
from api.models import error_responses
from coach.insights.build import Insights
from coach.insights.html import render_html
from coach.insights.models import InsightsReport

router = APIRouter(tags=["insights"])

# The page fetches nothing: its charts' JS and styles are inline, and nothing may connect.
PAGE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
SinceQuery = Annotated[
    date | None,
    Query(description="Start of the period, YYYY-MM-DD (UTC); default: the retention window."),
]


def _start(since: date | None) -> datetime | None:
    return datetime.combine(since, time(), tzinfo=UTC) if since else None


async def _report(parts: PartsDep, slots: AnswerSlots, since: date | None) -> InsightsReport:
    insights = Insights(parts.settings, parts.history, parts.store)
    return await anyio.to_thread.run_sync(insights.report, _start(since), limiter=slots)


@router.get(
    "/api/insights",
    response_model=InsightsReport,
    responses=error_responses(401, 422, 429, 503),
)
async def insights_json(
    parts: PartsDep, slots: AnswerSlots, since: SinceQuery = None
) -> InsightsReport:
    """What is asked, what goes unanswered (grouped), what is disliked, over a period.

    Never names a session or a client address. Each call first purges question text older
    than COACH_INSIGHTS_RETENTION_DAYS.
    """
    return await _report(parts, slots, since)


@router.get(
    "/insights",
    response_class=HTMLResponse,
    responses=error_responses(401, 422, 503),
    include_in_schema=False,
)
async def insights_page(
    parts: PartsDep, slots: AnswerSlots, since: SinceQuery = None
) -> HTMLResponse:
    """The report as a page with charts, self-contained."""
    report = await _report(parts, slots, since)
    page = render_html(report, parts.settings.coach_name)
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": PAGE_POLICY,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
