"""Fixtures of the LLM tests: the scripted OpenAI-compatible server and coaches wired to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.chain import Coach
from coach.schema import Retrieved
from coach.settings import Settings
from coach.store import GuideStore
from tests.llm.llm_support import grounded_reply, llm_coach_for, llm_settings_for, make_chunk
from tests.llm.openai_server import OpenAIServer


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


@pytest.fixture
def context() -> list[Retrieved]:
    """Four ranked excerpts about moving into AI engineering."""
    texts = [
        "Python is the language of AI engineering. Learn it first.",
        "Most engineers become productive in 3-6 months of focused study.",
        "Build a retrieval-augmented generation project for your portfolio.",
        "Vector databases such as Chroma store embeddings for search.",
    ]
    return [
        Retrieved(chunk=make_chunk(n, text, source=f"g{n}.md"), score=1.0 / n, similarity=0.8)
        for n, text in enumerate(texts, 1)
    ]
