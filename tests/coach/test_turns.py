"""One turn at a time per conversation, on SQLite and a real PostgreSQL, from several processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from coach.history import HistoryStore
from coach.turns import TurnInProgressError

PROCESSES = 4
TURNS = 5


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'h.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def take_turns(url: str, session_id: str, name: str, start: float) -> int:
    """``TURNS`` turns of one conversation, each retried until its turn is free; the refusals."""
    store = HistoryStore(url)
    refused = 0
    time.sleep(max(0.0, start - time.time()))  # every process starts at once
    for n in range(TURNS):
        while True:
            try:
                with store.turn(session_id):
                    store.add_message(session_id, "user", f"{name} asks {n}")
                    time.sleep(0.02)  # the answer is being computed
                    store.add_message(session_id, "assistant", f"{name} answers {n}")
                break
            except TurnInProgressError:
                refused += 1
                time.sleep(0.005)
    store.engine.dispose()
    return refused


def test_concurrent_turns_from_several_processes_alternate(url: str) -> None:
    store = HistoryStore(url)
    session_id = store.create_session()
    context = multiprocessing.get_context("spawn")
    start = time.time() + 3
    with context.Pool(PROCESSES) as pool:
        refused = pool.starmap(
            take_turns, [(url, session_id, f"p{i}", start) for i in range(PROCESSES)]
        )
    messages = store.get_session(session_id).messages
    assert len(messages) == 2 * PROCESSES * TURNS
    for question, answer in zip(messages[::2], messages[1::2], strict=True):
        assert question.role == "user" and answer.role == "assistant"
        assert answer.content == question.content.replace("asks", "answers")
    assert sum(refused) > 0  # they did collide
    store.engine.dispose()


def test_a_turn_excludes_its_session_only_and_ends_with_its_block(url: str) -> None:
    store = HistoryStore(url)
    first, second = store.create_session(), store.create_session()
    with store.turn(first):
        with pytest.raises(TurnInProgressError) as refused, store.turn(first):
            pass
        assert refused.value.status_code == 409
        with store.turn(second):
            pass
    with store.turn(first):
        pass
    store.engine.dispose()


def hold_forever(url: str, session_id: str, ready: multiprocessing.synchronize.Event) -> None:
    store = HistoryStore(url)
    with store.turn(session_id):
        ready.set()
        time.sleep(600)


def test_a_killed_process_leaves_no_session_locked(url: str) -> None:
    store = HistoryStore(url)
    session_id = store.create_session()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=hold_forever, args=(url, session_id, ready))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(TurnInProgressError), store.turn(session_id):
            pass
        os.kill(holder.pid or 0, signal.SIGKILL)
        holder.join(10)
        deadline = time.monotonic() + 10  # PostgreSQL notices the lost connection at once
        while True:
            try:
                with store.turn(session_id):
                    break
            except TurnInProgressError:
                assert time.monotonic() < deadline, "the dead process's lock was never released"
                time.sleep(0.1)
    finally:
        if holder.is_alive():
            holder.kill()
        store.engine.dispose()


def test_more_turns_at_once_than_the_store_pool_holds(url: str) -> None:
    """Each turn holds a lock connection and still reads and writes through the store."""
    store = HistoryStore(url)
    sessions = [store.create_session() for _ in range(24)]
    barrier = threading.Barrier(len(sessions))

    def turn(session_id: str) -> int:
        with store.turn(session_id):
            barrier.wait(30)  # every lock held at once
            store.add_message(session_id, "user", "q")
            store.add_message(session_id, "assistant", "a")
        return len(store.get_session(session_id).messages)

    with ThreadPoolExecutor(len(sessions)) as pool:
        assert list(pool.map(turn, sessions)) == [2] * len(sessions)
    store.engine.dispose()
