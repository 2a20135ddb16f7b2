"""In Chromium, an answer quoting a guide's links is live only to the allowed origin (#23 D3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from api.app import create_app
from coach.embeddings import OnnxMiniLMEmbeddings
from tests.api.live_server import Served, live_server
from tests.browser.widget_page import NewPage, ask
from tests.support import REPO, build_parts, ingested_store

GUIDES = REPO / "tests" / "reliability" / "guides" / "links"
ALLOWED = "https://careers.example"


@contextmanager
def coach_over_links(data_dir: Path, embeddings: OnnxMiniLMEmbeddings) -> Iterator[Served]:
    settings, store = ingested_store(GUIDES, data_dir / ".coach", embeddings)
    settings = settings.model_copy(update={"rate_limit_per_minute": 0, "link_origins": [ALLOWED]})
    parts = build_parts(settings, store, data_dir / "history.db")
    try:
        with (
            live_server(create_app(settings, parts=parts)) as url,
            httpx.Client(base_url=url, timeout=60) as client,
        ):
            yield Served(url=url, settings=settings, parts=parts, client=client)
    finally:
        parts.history.engine.dispose()


@pytest.fixture(scope="module")
def links_server(
    tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxMiniLMEmbeddings
) -> Iterator[Served]:
    with coach_over_links(tmp_path_factory.mktemp("links"), embeddings) as served:
        yield served


def test_the_widget_links_only_to_the_allowed_origin(
    new_page: NewPage, links_server: Served
) -> None:
    page = new_page()
    page.goto(f"{links_server.url}/")
    reply = ask(page, "How should I format my resume?")
    answer = reply.get_by_test_id("answer")
    expect(answer).to_contain_text("the applicant portal (evil.test)")
    expect(answer.locator("a[href*='evil.test']")).to_have_count(0)
    allowed = answer.locator(f"a[href='{ALLOWED}/style']")
    expect(allowed).to_have_count(1)
    expect(allowed).to_have_attribute("target", "_blank")

    page.reload()  # rebuilt from the stored session: the same
    answer = page.get_by_test_id("answer").first
    expect(answer).to_contain_text("the applicant portal (evil.test)")
    expect(answer.locator("a[href*='evil.test']")).to_have_count(0)
