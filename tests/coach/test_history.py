"""The conversation store on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.errors import InputError, NotFoundError, StoreUnavailableError
from coach.history import HistoryStore
from coach.schema import Citation

CITE = Citation(id=1, source="a.md", title="A", section="S", snippet="text", chunk_id="c1")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HistoryStore]:
    """The same behaviour on SQLite (default) and a real PostgreSQL server."""
    if request.param == "sqlite":
        history = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}")
    else:
        history = HistoryStore(request.getfixturevalue("postgres_url"))
    yield history
    history.engine.dispose()


def test_turns_persist_with_citations_across_instances(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    first = HistoryStore(url)
    sid = first.create_session()
    first.add_message(sid, "user", "How long does it take?")
    mid = first.add_message(
        sid, "assistant", "2-3 months [1].", citations=[CITE], mode="extractive"
    )
    first.engine.dispose()
    again = HistoryStore(url).get_session(sid)
    assert [m.role for m in again.messages] == ["user", "assistant"]
    assert again.messages[1].id == mid
    assert again.messages[1].citations == [CITE]
    assert again.title == "How long does it take?"
    assert again.messages[0].created_at.tzinfo is not None


def test_recent_turns_are_oldest_first_and_limited(store: HistoryStore):
    sid = store.create_session()
    for i in range(6):
        store.add_message(sid, "user" if i % 2 == 0 else "assistant", f"turn {i}")
    recent = store.recent_turns(sid, limit=3)
    assert [t.content for t in recent] == ["turn 3", "turn 4", "turn 5"]


def test_feedback_is_stored_and_replaced(store: HistoryStore):
    sid = store.create_session()
    store.add_message(sid, "user", "q")
    mid = store.add_message(sid, "assistant", "a")
    store.add_feedback(sid, mid, "down", "too short")
    store.add_feedback(sid, mid, "up")
    assert store.get_session(sid).messages[1].feedback == "up"


def test_feedback_errors(store: HistoryStore):
    sid = store.create_session()
    uid = store.add_message(sid, "user", "q")
    mid = store.add_message(sid, "assistant", "a")
    other = store.create_session()
    with pytest.raises(NotFoundError):
        store.add_feedback(other, mid, "up")
    with pytest.raises(NotFoundError):  # a user's message has no reply to rate
        store.add_feedback(sid, uid, "up")
    with pytest.raises(InputError):
        store.add_feedback(sid, mid, "meh")


def test_delete_erases_everything_of_that_session_only(store: HistoryStore):
    keep, erase = store.create_session(), store.create_session()
    for sid in (keep, erase):
        store.add_message(sid, "user", "q")
        store.add_feedback(sid, store.add_message(sid, "assistant", "a"), "up")
    store.delete_session(erase)
    assert not store.exists(erase)
    assert len(store.get_session(keep).messages) == 2
    with pytest.raises(NotFoundError):
        store.get_session(erase)
    with pytest.raises(NotFoundError):
        store.delete_session(erase)
    with pytest.raises(NotFoundError):
        store.add_message(erase, "user", "late")


def test_ping_and_unreachable_database(store: HistoryStore, tmp_path: Path):
    assert store.ping()
    with pytest.raises(StoreUnavailableError, match="COACH_DATABASE_URL"):
        HistoryStore(f"sqlite:///{tmp_path / 'missing-dir' / 'h.db'}")


def test_postgres_database_url_serves_the_coach(postgres_url: str, parts):
    """COACH_DATABASE_URL pointing at PostgreSQL: a conversation round-trips through it."""
    from coach.factory import assemble

    pg = assemble(parts.settings, parts.store, HistoryStore(postgres_url))
    answer = pg.coach.ask("What do AI Documentation Engineers earn?")
    stored = pg.history.get_session(answer.session_id)
    assert [m.role for m in stored.messages] == ["user", "assistant"]
    assert stored.messages[1].citations == answer.citations
    pg.history.engine.dispose()


@pytest.mark.parametrize(("fsync", "synchronous"), [(True, 2), (False, 0)])
def test_sqlite_uses_a_rollback_journal(tmp_path: Path, fsync: bool, synchronous: int):
    """No WAL: no memory-mapped -shm to fault on, no -wal to hold acknowledged turns."""
    from sqlalchemy import text

    history = HistoryStore(f"sqlite:///{tmp_path / 'h.db'}", fsync=fsync)
    history.add_message(history.create_session(), "user", "kept")
    with history.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "delete"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == synchronous
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.db"]
    history.engine.dispose()
