"""The page introduces the coach from the guides it holds: topic, welcome text, starters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.app import create_app
from coach.settings import Settings
from coach.store import GuideStore
from tests.api.live_server import Served, live_server
from tests.browser.widget_page import NewPage, finished, messages
from tests.support import build_parts


@pytest.fixture(scope="module")
def nursing_server(
    nursing: tuple[Settings, GuideStore], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The real app over the three nursing guides (not the seeds)."""
    settings, store = nursing
    settings = settings.model_copy(update={"rate_limit_per_minute": 0, "coach_name": "Ward Mentor"})
    db: Path = tmp_path_factory.mktemp("web-nursing") / "history.db"
    parts = build_parts(settings, store, db)
    try:
        with live_server(create_app(settings, parts=parts)) as url, httpx.Client(base_url=url) as c:
            yield Served(url=url, settings=settings, parts=parts, client=c)
    finally:
        parts.history.engine.dispose()


@pytest.fixture
def nursing_page(new_page: NewPage, nursing_server: Served) -> Page:
    opened = new_page()
    opened.goto(f"{nursing_server.url}/")
    expect(opened.get_by_test_id("composer")).to_be_enabled()
    return opened


def test_the_page_speaks_of_the_guides_it_holds(nursing_page: Page, nursing_server: Served):
    voice = nursing_server.parts.coach.voice
    page = nursing_page
    expect(page.locator("#channel-topic")).to_have_text(voice.channel_topic)
    expect(page.locator("#intro-text")).to_have_text(voice.welcome)
    starters = page.get_by_test_id("starter")
    expect(starters).to_have_text(voice.starters)
    for text in (voice.channel_topic, voice.welcome):
        assert "Nurse" in text and "backend" not in text.lower()

    question = starters.nth(0).inner_text().strip()
    starters.nth(0).click()
    reply = messages(page, "assistant").nth(0)
    finished(reply)
    expect(messages(page, "user").nth(0)).to_contain_text(question)
    expect(reply.locator("a.cite").first).to_be_visible()  # answered, with citations
    expect(reply).to_contain_text("Ward Mentor")  # COACH_NAME signs the replies
    expect(starters.first).to_be_hidden()
