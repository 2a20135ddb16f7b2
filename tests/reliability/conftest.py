"""Fixtures of the reliability suite: the API tests' servers, and conversations to protect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import serve  # noqa: F401  (the live-server fixture, shared)
from tests.api.live_server import QUESTION, Serve, Served
from tests.api.slack.conftest import slack_api, slack_app  # noqa: F401  (Slack, shared)
from tests.coach.conftest import postgres_url  # noqa: F401  (a real PostgreSQL, shared)


@pytest.fixture(scope="module")
def api(serve: Serve) -> Iterator[Served]:  # noqa: F811
    """This module's server, with default settings (no rate limit)."""
    with serve() as served:
        yield served


@pytest.fixture(scope="module")
def conversation(api: Served) -> str:
    """A session with two exchanges, checked intact after every bad request and fault."""
    session_id = api.ask(QUESTION)["session_id"]
    api.ask("What skills transfer from backend development?", session_id)
    return session_id
