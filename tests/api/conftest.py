"""The real app over real HTTP: uvicorn on a free loopback port, driven with httpx.

Each test module gets its own server (``api``) over the session's seeded store and a fresh
SQLite history; ``serve`` starts more, with other settings, where a test needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from coach.settings import Settings
from coach.store import GuideStore, make_chroma_client
from tests.api.live_server import (
    Event,
    FailingGenerator,
    Serve,
    Served,
    live_server,
    parse_sse,
)
from tests.support import build_parts, make_settings


@pytest.fixture(scope="module")
def serve(
    seeded_settings: Settings, seeded_store: GuideStore, tmp_path_factory: pytest.TempPathFactory
) -> Serve:
    """Start a server: settings overridden by keyword, over the seeded store by default."""

    @contextmanager
    def start(
        store: GuideStore | None = None, headers: dict[str, str] | None = None, **overrides: Any
    ) -> Iterator[Served]:
        settings = seeded_settings.model_copy(update={"rate_limit_per_minute": 0, **overrides})
        db = tmp_path_factory.mktemp("api") / "history.db"
        parts = build_parts(settings, store or seeded_store, db)
        app = create_app(settings, parts=parts)
        try:
            with (
                live_server(app) as url,
                httpx.Client(base_url=url, timeout=60, headers=headers) as client,
            ):
                yield Served(url=url, settings=settings, parts=parts, client=client)
        finally:
            parts.history.engine.dispose()

    return start


@pytest.fixture(scope="module")
def api(serve: Serve) -> Iterator[Served]:
    """This module's server, with default settings (no rate limit)."""
    with serve() as served:
        yield served


@pytest.fixture
def stream_events(api: Served) -> Callable[..., tuple[httpx.Response, list[Event]]]:
    """POST /api/chat/stream on this module's server; the response and its parsed events."""

    def post(
        body: dict[str, Any], client: httpx.Client | None = None
    ) -> tuple[httpx.Response, list[Event]]:
        with (client or api.client).stream("POST", "/api/chat/stream", json=body) as response:
            raw = response.read().decode("utf-8")
        return response, parse_sse(raw) if response.status_code == 200 else []

    return post


@pytest.fixture
def failing_generator(api: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    """This module's coach crashes mid-answer for one test."""
    broken = FailingGenerator(api.parts.store.embeddings)
    monkeypatch.setattr(api.parts.coach, "generator", broken)


@pytest.fixture
def empty_store(tmp_path: Path, embeddings: Any) -> GuideStore:
    """A reachable guide store with nothing ingested."""
    settings = make_settings(tmp_path / "empty")
    return GuideStore(make_chroma_client(settings), settings.collection, embeddings)
