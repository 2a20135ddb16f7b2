"""Shared fixtures: isolated settings, one embedding model, one ingested store per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.chain import Coach
from coach.embeddings import OnnxMiniLMEmbeddings
from coach.factory import Parts
from coach.settings import Settings
from coach.store import GuideStore, make_chroma_client
from tests.support import NURSING, SEEDS, build_parts, ingested_store, make_settings

# The OpenAI double's fixtures serve tests in several packages (coach, api, cli, eval).
pytest_plugins = ["tests.openai_double.fixtures"]

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's configuration or writes outside its tmp dir."""
    for name in list(os.environ):
        if name.startswith(("COACH_", "OPENAI_", "SLACK_")) or name == "CHROMA_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / ".coach"))
    monkeypatch.setenv("COACH_SEEDS_DIR", str(SEEDS))
    monkeypatch.chdir(tmp_path)  # no stray .env is read


@pytest.fixture(scope="session")
def embeddings() -> OnnxMiniLMEmbeddings:
    """The real offline embedding model, loaded once per test run."""
    return OnnxMiniLMEmbeddings()


@pytest.fixture(scope="session")
def seeded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("seeded") / ".coach")


@pytest.fixture(scope="session")
def seeded_store(seeded_settings: Settings, embeddings: OnnxMiniLMEmbeddings) -> GuideStore:
    """A real Chroma store with the five seed guides ingested (shared, read-only)."""
    from ingest.pipeline import run_ingest

    store = GuideStore(make_chroma_client(seeded_settings), seeded_settings.collection, embeddings)
    report = run_ingest([SEEDS], store, seeded_settings)
    assert report.ok and report.chunks_total > 0
    return store


@pytest.fixture(scope="session")
def nursing(
    tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxMiniLMEmbeddings
) -> tuple[Settings, GuideStore]:
    """Settings and a store holding the three nursing guides of tests/corpora (read-only)."""
    return ingested_store(NURSING, tmp_path_factory.mktemp("nursing") / ".coach", embeddings)


@pytest.fixture
def parts(seeded_settings: Settings, seeded_store: GuideStore, tmp_path: Path) -> Iterator[Parts]:
    """A coach over the seeded store with a fresh SQLite history."""
    built = build_parts(seeded_settings, seeded_store, tmp_path / "history.db")
    yield built
    built.history.engine.dispose()


@pytest.fixture
def coach(parts: Parts) -> Coach:
    return parts.coach
