"""What the Slack app remembers, in the history database: which coach session each Slack
thread is, and which events it has already taken (Slack redelivers when unsure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

EVENT_MEMORY = timedelta(days=1)  # Slack retries within minutes; older ids can go


def _now() -> datetime:
    return datetime.now(UTC)


class SlackBase(DeclarativeBase):
    pass


class SlackThreadRow(SlackBase):
    __tablename__ = "slack_threads"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SlackEventRow(SlackBase):
    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


def _width(column: object) -> int:
    length = getattr(getattr(column, "type", None), "length", None)
    assert isinstance(length, int)
    return length


# The widest id each column stores (PostgreSQL refuses longer ones): (where in a request, width)
ID_WIDTHS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("event_id",), _width(SlackEventRow.__table__.c.event_id)),
    (("team_id",), _width(SlackThreadRow.__table__.c.team_id)),
    (("event", "team"), _width(SlackThreadRow.__table__.c.team_id)),
    (("event", "channel"), _width(SlackThreadRow.__table__.c.channel_id)),
    (("event", "ts"), _width(SlackThreadRow.__table__.c.thread_ts)),
    (("event", "thread_ts"), _width(SlackThreadRow.__table__.c.thread_ts)),
    (("channel_id",), _width(SlackThreadRow.__table__.c.channel_id)),
)


def bad_id(body: object) -> str | None:
    """What is wrong with the ids of a Slack request that the tables store, or None."""
    if not isinstance(body, dict):
        return None
    for path, width in ID_WIDTHS:
        value: object = body
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            continue
        name = ".".join(path)
        if not isinstance(value, str):
            return f"{name} must be a string"
        if len(value) > width:
            return f"{name} is {len(value)} characters; Slack's are at most {width}"
    return None


@dataclass(frozen=True)
class ThreadKey:
    """A Slack thread: its workspace, channel and the ts of its first message."""

    team_id: str
    channel_id: str
    thread_ts: str


class SlackThreads:
    """Thread ↔ session map and processed event ids, beside the conversations."""

    def __init__(self, engine: Engine) -> None:
        SlackBase.metadata.create_all(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session_for(self, key: ThreadKey) -> str | None:
        """The coach session of a thread, if the coach has answered in it."""
        with self._sessions() as db:
            row = db.get(SlackThreadRow, (key.team_id, key.channel_id, key.thread_ts))
            return row.session_id if row else None

    def bind(self, key: ThreadKey, session_id: str) -> None:
        """Make ``session_id`` the thread's conversation (replacing a forgotten one)."""
        with self._sessions.begin() as db:
            row = db.get(SlackThreadRow, (key.team_id, key.channel_id, key.thread_ts))
            if row is None:
                db.add(
                    SlackThreadRow(
                        team_id=key.team_id,
                        channel_id=key.channel_id,
                        thread_ts=key.thread_ts,
                        session_id=session_id,
                        created_at=_now(),
                    )
                )
            else:
                row.session_id = session_id

    def first_delivery(self, event_id: str) -> bool:
        """True the first time ``event_id`` is seen; False for Slack's retries of it."""
        try:
            with self._sessions.begin() as db:
                db.add(SlackEventRow(event_id=event_id, received_at=_now()))
        except IntegrityError:
            return False
        self._forget_old_events()
        return True

    def _forget_old_events(self) -> None:
        with self._sessions.begin() as db:
            db.execute(
                delete(SlackEventRow).where(SlackEventRow.received_at < _now() - EVENT_MEMORY)
            )

    def known_events(self) -> list[str]:
        """Event ids on record (for checks and tests)."""
        with self._sessions() as db:
            return list(db.scalars(select(SlackEventRow.event_id)))
