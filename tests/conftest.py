"""Shared fixtures: isolated settings, one embedding model, one ingested store per run; the
markers (``slow``, ``browser``) that let ``make test-fast`` leave the long tests out."""

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

# Tests (a module, or a module's test with all its parameters) that take more than about 5 s
# on a 2-core machine, by `pytest --durations`: eval runs, real processes, schemathesis.
SLOW = frozenset(
    {
        "tests/api/test_health.py::test_the_app_builds_its_parts_and_ingests_the_seeds",
        "tests/cli/test_insights_cli.py::test_insights_writes_json_csv_and_html",
        "tests/cli/test_llm_cli.py::test_ask_streams_the_llm_answer",
        "tests/cli/test_main.py::test_ingest_reports_bad_guides_and_keeps_going",
        "tests/eval/test_harness.py::test_end_to_end_on_a_subset_writes_all_four_files",
        "tests/eval/test_harness.py::test_eval_command_runs_from_the_cli",
        "tests/eval/test_harness.py::test_eval_corpus_end_to_end_through_the_cli",
        "tests/eval/test_harness.py::test_eval_dev_split_and_bad_corpus_name",
        "tests/eval/test_llm_declines_eval.py",
        "tests/eval/test_llm_eval.py",
        "tests/eval/test_llm_eval_corpora.py",
        "tests/ingest/test_summary.py::test_every_starter_question_is_answered_with_citations",
        "tests/ingest/test_units.py::"
        "test_a_running_coach_answers_during_another_process_ingest_and_then_from_new_guides",
        "tests/reliability/test_faults.py::test_a_chroma_server_killed_mid_run",
        "tests/reliability/test_faults.py::test_a_deleted_history_file_is_recreated",
        "tests/reliability/test_faults.py::test_a_full_disk_is_a_503_that_saves_nothing_and_heals",
        "tests/reliability/test_faults.py::test_a_hanging_llm_server_falls_back_to_the_guides",
        "tests/reliability/test_faults.py::test_a_locked_history_database_is_a_503_then_recovers",
        "tests/reliability/test_faults.py::test_an_ingest_killed_mid_write_leaves_a_usable_store",
        "tests/reliability/test_faults.py::test_spoofed_forwarded_for_does_not_dodge_the_limit",
        "tests/reliability/test_schemathesis.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark by place, so a new test in a slow module or in tests/browser/ is marked too."""
    for item in items:
        test = item.nodeid.split("[")[0]
        if test.startswith("tests/browser/"):
            item.add_marker(pytest.mark.browser)
        if test in SLOW or test.split("::")[0] in SLOW:
            item.add_marker(pytest.mark.slow)


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
