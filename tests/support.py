"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from langchain_core.embeddings import Embeddings

from coach.factory import Parts, assemble
from coach.history import HistoryStore
from coach.schema import Chunk
from coach.settings import Settings
from coach.store import GuideStore, make_chroma_client

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
NURSING = REPO / "tests" / "corpora" / "nursing"  # three guides of another field


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: defaults, a private data dir, the repo's seeds, no .env."""
    return Settings(_env_file=None, data_dir=data_dir, seeds_dir=SEEDS, **overrides)  # type: ignore[call-arg]


def build_parts(settings: Settings, store: GuideStore, db_path: Path) -> Parts:
    """A coach over ``store`` with its own conversation database."""
    return assemble(settings, store, HistoryStore(f"sqlite:///{db_path}"))


COACH = str(Path(sys.executable).parent / "coach")


def run_cli(
    *args: str, data_dir: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """The real `coach` command, with a private data dir and no outside configuration."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_", "SLACK_"))
    }
    environment.update(COACH_DATA_DIR=str(data_dir), COACH_SEEDS_DIR=str(SEEDS), **env)
    return subprocess.run(
        [COACH, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=240,
        cwd=data_dir.parent,
    )


def ingested_store(
    guides: Path, data_dir: Path, embeddings: Embeddings, **overrides: object
) -> tuple[Settings, GuideStore]:
    """A fresh Chroma store under ``data_dir`` with the guides at ``guides`` ingested."""
    from ingest.pipeline import run_ingest

    settings = make_settings(data_dir, **overrides)
    store = GuideStore(make_chroma_client(settings), settings.collection, embeddings)
    report = run_ingest([guides], store, settings)
    assert report.ok and report.chunks_total > 0, report.errors
    return settings, store


def hand_chunk(source: str, title: str, section: str, text: str, position: int = 0) -> Chunk:
    """A chunk made by hand (no store), with a real content hash and a stable id."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    return Chunk(
        chunk_id=f"{source}:{position}:{digest[:8]}",
        text=text,
        source=source,
        title=title,
        section=section,
        position=position,
        tokens=len(text.split()),
        content_hash=digest,
    )
