"""Browser fixtures: one headless Chromium per run, the real app over loopback per module.

The app is the one ``coach serve`` runs (``create_app``) over the session's seeded store and
a fresh SQLite history, served by ``tests.api.live_server``. Every test gets fresh browser
contexts (so fresh localStorage) that record dialogs, page errors and CSP violations; a test
fails at teardown if any showed up that it did not expect.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from api.app import create_app
from coach.settings import Settings
from coach.store import GuideStore
from tests.api.live_server import Served, live_server
from tests.browser.widget_page import DESKTOP, NewPage, ServeCoach, Watch
from tests.support import REPO, build_parts

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Answers come from the real retrieval and generator: allow for a slow CI machine.
expect.set_options(timeout=15_000)


def chromium_path() -> str | None:
    candidates = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by a module's tests.

    Not one per session: while Playwright's sync API is started, its asyncio loop counts as
    running in this thread, so ``asyncio.run`` (ragas, in tests/eval) would fail in every
    test collected after this directory. (A "package" fixture here is session-wide too: this
    directory has no __init__.py.) A launch costs well under a second.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (`make browser` installs Debian's)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """test-output/ at the repository root (git-ignored): screenshots for a human to look at."""
    folder = REPO / "test-output"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def serve_coach(
    seeded_settings: Settings, seeded_store: GuideStore, tmp_path_factory: pytest.TempPathFactory
) -> ServeCoach:
    """Start the real app on a loopback port: settings overridden by keyword, fresh history."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[Served]:
        settings = seeded_settings.model_copy(update={"rate_limit_per_minute": 0, **overrides})
        parts = build_parts(settings, seeded_store, tmp_path_factory.mktemp("web") / "history.db")
        app = create_app(settings, parts=parts)
        try:
            with live_server(app) as url, httpx.Client(base_url=url, timeout=60) as client:
                yield Served(url=url, settings=settings, parts=parts, client=client)
        finally:
            parts.history.engine.dispose()

    return start


@pytest.fixture(scope="module")
def server(serve_coach: ServeCoach) -> Iterator[Served]:
    """This module's coach, with default settings (no rate limit)."""
    with serve_coach() as served:
        yield served


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_page(browser: Browser, watch: Watch) -> Iterator[NewPage]:
    """Pages in fresh contexts (own localStorage), watched for dialogs, errors and CSP reports."""
    contexts = []

    def make(**options: Any) -> Page:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()
    watch.check()


@pytest.fixture
def page(new_page: NewPage, server: Served) -> Page:
    """The coach's page at desktop size, loaded and ready for a question."""
    opened = new_page()
    opened.goto(f"{server.url}/")
    expect(opened.get_by_test_id("composer")).to_be_enabled()
    return opened
