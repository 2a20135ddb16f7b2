"""The insights page in Chromium: its charts render, nothing is fetched, nothing fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from coach.insights.build import Insights
from coach.insights.html import render_html
from coach.schema import Citation
from tests.api.live_server import Served
from tests.browser.widget_page import NewPage, ServeCoach
from tests.coach.insights.script import write_history

KEY = "insights-browser-key"
CHARTS = ("volume-chart", "refusal-chart", "groups-chart")


@pytest.fixture(scope="module")
def keyed_server(serve_coach: ServeCoach) -> Iterator[Served]:
    with serve_coach(api_key=SecretStr(KEY)) as served:
        chunk = served.parts.store.all_chunks()[0]
        cited = Citation(
            id=1,
            source=chunk.source,
            title=chunk.title,
            section=chunk.section,
            snippet="…",
            chunk_id=chunk.chunk_id,
        )
        write_history(served.parts.history, [cited])
        yield served


def watched(page: Page) -> tuple[list[str], list[str]]:
    """The page's console errors and every URL it requests."""
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    return errors, requests


def charts_render(page: Page) -> None:
    for chart in CHARTS:
        expect(page.locator(f"#{chart} .main-svg").first).to_be_visible()
    expect(page.locator("#groups-chart .bars path").first).to_be_attached()
    expect(page.locator("#volume-chart .bars path").first).to_be_attached()
    expect(page.locator("#refusal-chart .scatterlayer .trace").first).to_be_attached()


def test_the_page_renders_its_charts_behind_the_key(
    new_page: NewPage, keyed_server: Served
) -> None:
    page = new_page(extra_http_headers={"Authorization": f"Bearer {KEY}"})
    errors, requests = watched(page)
    page.goto(f"{keyed_server.url}/insights")
    charts_render(page)
    expect(page.locator("table").first).to_contain_text("visa")
    assert errors == []
    assert requests == [f"{keyed_server.url}/insights"]


def test_the_page_without_the_key_is_refused(new_page: NewPage, keyed_server: Served) -> None:
    page = new_page()
    response = page.goto(f"{keyed_server.url}/insights")
    assert response is not None and response.status == 401


def test_the_report_file_makes_no_requests(
    new_page: NewPage, keyed_server: Served, tmp_path: Path
) -> None:
    parts = keyed_server.parts
    report = Insights(parts.settings, parts.history, parts.store).report()
    file = tmp_path / "insights.html"
    file.write_text(render_html(report), encoding="utf-8")
    page = new_page()
    errors, requests = watched(page)
    page.goto(file.as_uri())
    charts_render(page)
    assert errors == []
    assert requests == [file.as_uri()]
