"""Fixtures for the ingestion tests: a private copy of the seeds, a real Chroma store per test.

The real embedding model (``embeddings``, session-scoped in tests/conftest.py) sits behind a
recorder that notes what each run embeds and memoises vectors for the session, so the many
ingests here stay fast while every vector still comes from the real model.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.settings import Settings
from coach.store import GuideStore, make_chroma_client
from tests.ingest.fakes import RecordingEmbeddings
from tests.support import SEEDS, make_settings


@pytest.fixture(scope="session")
def vector_cache() -> dict[str, list[float]]:
    return {}


@pytest.fixture
def recorder(
    embeddings: OnnxMiniLMEmbeddings, vector_cache: dict[str, list[float]]
) -> RecordingEmbeddings:
    return RecordingEmbeddings(embeddings, vector_cache)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / ".coach")


@pytest.fixture
def store(settings: Settings, recorder: RecordingEmbeddings) -> GuideStore:
    """A real, empty Chroma store in this test's directory."""
    return GuideStore(make_chroma_client(settings), settings.collection, recorder)


@pytest.fixture
def store_with(store: GuideStore) -> Callable[[Embeddings], GuideStore]:
    """The same collection seen through other embeddings (a fault injector, another model)."""
    return lambda embeddings: GuideStore(store.client, store.name, embeddings)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of seeds/ that a test may edit."""
    return Path(shutil.copytree(SEEDS, tmp_path / "guides"))
