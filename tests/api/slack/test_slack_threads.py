"""The thread ↔ session map and processed event ids, in the history database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, update

from api.slack import threads as threads_module
from api.slack.threads import SlackEventRow, SlackThreads, ThreadKey
from coach.history import HistoryStore


def store(tmp_path: Path) -> tuple[HistoryStore, SlackThreads]:
    history = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    return history, SlackThreads(history.engine)


def test_tables_live_beside_the_conversations(tmp_path: Path) -> None:
    history, _ = store(tmp_path)
    names = set(inspect(history.engine).get_table_names())
    assert {"sessions", "messages", "feedback", "slack_threads", "slack_events"} <= names


def test_a_thread_maps_to_one_session_and_can_be_rebound(tmp_path: Path) -> None:
    history, threads = store(tmp_path)
    key = ThreadKey("T1", "C1", "1700000000.000100")
    assert threads.session_for(key) is None
    first = history.create_session()
    threads.bind(key, first)
    assert threads.session_for(key) == first
    assert threads.session_for(ThreadKey("T1", "C2", key.thread_ts)) is None
    second = history.create_session()
    threads.bind(key, second)
    assert threads.session_for(key) == second
    # a second SlackThreads over the same database sees the same map (a restart)
    assert SlackThreads(history.engine).session_for(key) == second


def test_an_event_is_taken_once(tmp_path: Path) -> None:
    _, threads = store(tmp_path)
    assert threads.first_delivery("Ev1") is True
    assert threads.first_delivery("Ev1") is False
    assert threads.first_delivery("Ev2") is True
    assert sorted(threads.known_events()) == ["Ev1", "Ev2"]


def test_old_event_ids_are_forgotten(tmp_path: Path) -> None:
    history, threads = store(tmp_path)
    threads.first_delivery("EvOld")
    with history.engine.begin() as conn:
        old = threads_module._now() - threads_module.EVENT_MEMORY - timedelta(minutes=1)
        conn.execute(update(SlackEventRow).values(received_at=old))
    threads.first_delivery("EvNew")
    assert threads.known_events() == ["EvNew"]
