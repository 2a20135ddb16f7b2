"""Helpers of the reliability suite: real servers in subprocesses, and stored-data checks."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import COACH, SEEDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[Any], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the process exited with {proc.returncode} before listening")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {seconds} s")


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, with no persistence; killed afterwards."""
    exe = shutil.which("redis-server")
    assert exe, "redis-server is missing: run `make services`"
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, 20)
        yield f"redis://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def chroma_server(
    path: Path, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """A real Chroma server (`chroma run`) on loopback, storing under ``path``."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert exe, "the chroma CLI ships with chromadb"
    port = port or free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, 30)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop(proc)


def coach_env(data_dir: Path, **env: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))}
    environment.pop("CHROMA_URL", None)
    environment.update(COACH_DATA_DIR=str(data_dir), COACH_SEEDS_DIR=str(SEEDS), **env)
    return environment


@dataclass
class CoachProcess:
    """`coach serve` running in its own process, and a client for it."""

    proc: subprocess.Popen[Any]
    url: str
    data_dir: Path
    client: httpx.Client

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.db"


@contextmanager
def coach_serve(data_dir: Path, **env: str) -> Iterator[CoachProcess]:
    """The real `coach serve` (it ingests the seeds into its empty data dir at start)."""
    port = free_port()
    log = open(data_dir.parent / f"serve-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [COACH, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=coach_env(data_dir, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data_dir.parent,
    )
    try:
        wait_for_port(port, proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            yield CoachProcess(proc, f"http://127.0.0.1:{port}", data_dir, client)
    finally:
        stop(proc)
        log.close()


def stored_turns(db: Path) -> dict[str, list[tuple[int, str, str]]]:
    """Every session in a history file as (seq, role, content), read straight from SQLite."""
    with sqlite3.connect(db) as conn:
        sessions = {row[0]: [] for row in conn.execute("SELECT id FROM sessions")}
        for session_id, seq, role, content in conn.execute(
            "SELECT session_id, seq, role, content FROM messages ORDER BY session_id, seq"
        ):
            sessions[session_id].append((seq, role, content))
    return sessions


def assert_complete(turns: list[tuple[int, str, str]]) -> None:
    """Turns numbered 1..n with no gap, alternating user/assistant, none empty."""
    assert [seq for seq, _, _ in turns] == list(range(1, len(turns) + 1))
    roles = [role for _, role, _ in turns]
    assert roles == ["user", "assistant"] * (len(roles) // 2) + ["user"] * (len(roles) % 2)
    assert all(content.strip() for _, _, content in turns)


@contextmanager
def immutable(*paths: Path) -> Iterator[Callable[[], None]]:
    """``chattr +i`` on ``paths`` (no write, no new file, no deletion, even as root); yields a
    function that lifts it early (it is lifted at the end regardless)."""
    exe = shutil.which("chattr")
    if exe is None or os.geteuid() != 0:
        pytest.skip("chattr +i needs the chattr tool and root")
    names = [str(p) for p in paths if p.exists()]
    os.sync()  # clean pages: a write to a mapped page now faults (under WAL, -shm's: a SIGBUS)
    subprocess.run([exe, "+i", *names], check=True)
    lifted: list[bool] = []

    def lift() -> None:
        if not lifted:
            subprocess.run([exe, "-i", *names], check=True)
            lifted.append(True)

    try:
        yield lift
    finally:
        lift()


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers (a hung Chroma)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)  # the kernel completes each handshake; nothing ever reads
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
