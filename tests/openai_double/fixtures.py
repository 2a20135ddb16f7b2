"""Fixtures for every test that needs an LLM: the scripted OpenAI-compatible server and coaches
wired to it (registered for the whole suite through ``pytest_plugins`` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.chain import Coach
from coach.settings import Settings
from coach.store import GuideStore
from tests.openai_double.server import OpenAIServer
from tests.openai_double.support import grounded_reply, llm_coach_for, llm_settings_for


@pytest.fixture(scope="session")
def _server() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    yield server
    server.stop()


@pytest.fixture
def openai_server(_server: OpenAIServer) -> OpenAIServer:
    """The scripted server, with an empty script and no recorded requests."""
    _server.reset()
    _server.responder = grounded_reply
    return _server


@pytest.fixture
def llm_settings(openai_server: OpenAIServer, tmp_path: Path) -> Settings:
    return llm_settings_for(openai_server, tmp_path / ".coach")


@pytest.fixture
def llm_coach(llm_settings: Settings, seeded_store: GuideStore, tmp_path: Path) -> Iterator[Coach]:
    coach = llm_coach_for(llm_settings, seeded_store, tmp_path / "history.db")
    yield coach
    coach.history.engine.dispose()
