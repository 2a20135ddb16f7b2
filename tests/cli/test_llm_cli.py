"""`coach ask` with the LLM generator: a real process talking to the scripted server."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.openai_double.server import OpenAIServer
from tests.openai_double.support import citing
from tests.support import run_cli


def run_coach(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, data_dir=data_dir, **env)


def test_ask_streams_the_llm_answer(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(
        citing(
            "You already have the engineering skills and just need to learn how they apply to "
            "AI [{how they apply to AI}]. An AI engineer is first and foremost an engineer "
            "[{first and foremost an engineer}].",
            piece_delay=0.01,
        )
    )
    result = run_coach(
        tmp_path / ".coach",
        "ask",
        "What should I learn first to become an AI engineer?",
        COACH_GENERATOR="llm",
        OPENAI_BASE_URL=openai_server.base_url,
        OPENAI_API_KEY="sk-test",
    )
    assert result.returncode == 0, result.stderr
    shown = " ".join(result.stdout.split())  # the terminal wraps lines
    assert "apply to AI [1]. An AI engineer is first and foremost an engineer [2]." in shown
    assert "Sources" in result.stdout
    (request,) = openai_server.chat_requests()
    assert request.headers["authorization"] == "Bearer sk-test"


def test_ask_without_a_key_says_what_to_set(tmp_path: Path) -> None:
    result = run_coach(tmp_path / ".coach", "ask", "Anything?", COACH_GENERATOR="llm")
    assert result.returncode != 0
    assert "OPENAI_API_KEY" in result.stderr and "Traceback" not in result.stderr
