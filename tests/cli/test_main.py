"""The `coach` command end to end, as a user runs it (real process, real store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import SEEDS, run_cli

run = run_cli


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir the module's CLI calls share (ingested by the first of them)."""
    return tmp_path_factory.mktemp("cli") / ".coach"


def test_ask_ingests_on_first_use_and_prints_json(cli_data: Path):
    result = run("ask", "What do AI Documentation Engineers earn?", "--json", data_dir=cli_data)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) >= {"session_id", "answer", "citations", "refused", "mode"}
    assert not answer["refused"] and answer["mode"] == "extractive"
    assert "$90,000" in answer["answer"]
    assert answer["citations"][0]["source"] == "ai-documentation-engineer-transition-guide.txt"


def test_ingest_twice_writes_nothing_the_second_time(cli_data: Path):
    result = run("ingest", "--json", data_dir=cli_data)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["added"] == summary["updated"] == summary["removed"] == 0
    assert summary["unchanged"] == summary["chunks_total"] > 0


def test_ask_continues_a_session(cli_data: Path):
    first = json.loads(
        run(
            "ask",
            "I'm a backend developer thinking about becoming an AI Solutions Architect",
            "--json",
            data_dir=cli_data,
        ).stdout
    )
    second = run(
        "ask",
        "What salary could I expect after the switch?",
        "--session",
        first["session_id"],
        data_dir=cli_data,
    )
    assert second.returncode == 0, second.stderr
    assert "$160,000" in second.stdout or "$150,000" in second.stdout
    assert "Sources" in second.stdout and "Solutions Architect" in second.stdout


def test_chat_commands(cli_data: Path):
    script = "How long does the transition take?\n/sources\n/new\n/bogus\n/quit\n"
    result = run("chat", data_dir=cli_data, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "coach>" in result.stdout
    assert "New conversation." in result.stdout
    assert "Unknown command" in result.stdout
    assert result.stdout.count("[1]") >= 2  # in the answer and in /sources


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("ask", "   "), {}, "empty"),
        (("ask", "hi", "--session", "nope"), {}, "Unknown session"),
        (("ingest", "/no/such/path"), {}, "/no/such/path"),
        (("ask", "hi"), {"COACH_TOP_K": "lots"}, "COACH_TOP_K"),
        (("ask", "hi"), {"COACH_GENERATOR": "magic"}, "generator"),
    ],
)
def test_errors_are_one_clear_line(cli_data: Path, args, env, message):
    result = run(*args, data_dir=cli_data, **env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert message.lower() in result.stderr.lower()
    assert result.stderr.strip().startswith("Error:")


def test_help_lists_every_setting(tmp_path: Path):
    result = run("--help", data_dir=tmp_path / ".coach")
    assert result.returncode == 0
    for env in (
        "COACH_DATA_DIR",
        "CHROMA_URL",
        "COACH_DATABASE_URL",
        "OPENAI_API_KEY",
        "COACH_TOP_K",
    ):
        assert env in result.stdout


def test_ingest_reports_bad_guides_and_keeps_going(tmp_path: Path):
    guides = tmp_path / "guides"
    shutil.copytree(SEEDS, guides)
    (guides / "empty.md").write_text("")
    (guides / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    result = run("ingest", str(guides), "--json", data_dir=tmp_path / ".coach")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["files"] == 5 and summary["added"] > 0
    failed = " ".join(e["path"] for e in summary["errors"])
    assert "empty.md" in failed and "binary.txt" in failed
