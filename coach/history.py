"""Conversation store: sessions, turns with their citations, and feedback (SQLAlchemy)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from coach.errors import InputError, NotFoundError, StoreUnavailableError
from coach.schema import Citation, Turn

TITLE_CHARS = 60


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite drops the time zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


@dataclass
class StoredMessage:
    """A turn as read back from the store."""

    id: str
    role: str
    content: str
    citations: list[Citation]
    refused: bool
    mode: str | None
    created_at: datetime
    feedback: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoredSession:
    id: str
    title: str
    created_at: datetime
    messages: list[StoredMessage]


def _enable_sqlite_foreign_keys(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; no fsync per commit
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


class HistoryStore:
    """Persists conversations in any SQLAlchemy database (SQLite by default)."""

    def __init__(self, url: str) -> None:
        try:
            if url.startswith("sqlite"):
                self.engine = create_engine(url, connect_args={"check_same_thread": False})
                _enable_sqlite_foreign_keys(self.engine)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
            Base.metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreUnavailableError(
                f"Cannot open the conversation database ({self._safe(url)}): {exc}. "
                "Check COACH_DATABASE_URL."
            ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite takes one writer at a time and makes the others sleep-poll; queueing writers
        # here is faster and keeps each session's message numbers in order.
        self._write_lock = threading.Lock()

    @staticmethod
    def _safe(url: str) -> str:
        """The URL without its password, for messages."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(url).render_as_string(hide_password=True)
        except Exception:
            return "<invalid URL>"

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A write transaction, one at a time in this process."""
        with self._write_lock, self._sessions.begin() as db:
            yield db

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def create_session(self) -> str:
        with self._writing() as db:
            row = SessionRow(id=_new_id(), title="", created_at=_now())
            db.add(row)
            return row.id

    def exists(self, session_id: str) -> bool:
        with self._sessions() as db:
            return db.get(SessionRow, session_id) is not None

    def add_message(
        self,
        session_id: str,
        role: str,
        content: str,
        citations: list[Citation] | None = None,
        refused: bool = False,
        mode: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> str:
        """Append a turn; returns its id."""
        with self._writing() as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFoundError(f"Unknown session '{session_id}'. Start a new conversation.")
            seq = db.scalar(
                select(func.coalesce(func.max(MessageRow.seq), 0)).where(
                    MessageRow.session_id == session_id
                )
            )
            if role == "user" and not session.title:
                session.title = " ".join(content.split())[:TITLE_CHARS]
            row = MessageRow(
                id=_new_id(),
                session_id=session_id,
                seq=int(seq or 0) + 1,
                role=role,
                content=content,
                citations=[c.model_dump() for c in citations or []],
                refused=refused,
                mode=mode,
                meta=meta or {},
                created_at=_now(),
            )
            db.add(row)
            return row.id

    def recent_turns(self, session_id: str, limit: int = 20) -> list[Turn]:
        """The last ``limit`` turns, oldest first."""
        with self._sessions() as db:
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == session_id)
                .order_by(MessageRow.seq.desc())
                .limit(limit)
            ).all()
        return [Turn.model_validate({"role": r.role, "content": r.content}) for r in reversed(rows)]

    def get_session(self, session_id: str) -> StoredSession:
        with self._sessions() as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFoundError(f"Unknown session '{session_id}'.")
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == session_id)
                .order_by(MessageRow.seq)
            ).all()
            ratings = dict(
                db.execute(
                    select(FeedbackRow.message_id, FeedbackRow.rating).where(
                        FeedbackRow.session_id == session_id
                    )
                ).all()
            )
        return StoredSession(
            id=session.id,
            title=session.title,
            created_at=_aware(session.created_at),
            messages=[
                StoredMessage(
                    id=r.id,
                    role=r.role,
                    content=r.content,
                    citations=[Citation.model_validate(c) for c in r.citations or []],
                    refused=r.refused,
                    mode=r.mode,
                    created_at=_aware(r.created_at),
                    feedback=ratings.get(r.id),
                    meta=r.meta or {},
                )
                for r in rows
            ],
        )

    def delete_session(self, session_id: str) -> None:
        """Erase a conversation, its turns and feedback."""
        with self._writing() as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFoundError(f"Unknown session '{session_id}'.")
            db.query(FeedbackRow).filter(FeedbackRow.session_id == session_id).delete()
            db.query(MessageRow).filter(MessageRow.session_id == session_id).delete()
            db.delete(session)

    def add_feedback(
        self, session_id: str, message_id: str, rating: str, comment: str | None = None
    ) -> None:
        """Record (or replace) the rating of an assistant message."""
        if rating not in ("up", "down"):
            raise InputError("rating must be 'up' or 'down'.")
        with self._writing() as db:
            message = db.get(MessageRow, message_id)
            if message is None or message.session_id != session_id:
                raise NotFoundError(
                    f"Message '{message_id}' is not part of session '{session_id}'."
                )
            if message.role != "assistant":
                raise InputError("Feedback applies to the coach's replies only.")
            existing = db.get(FeedbackRow, message_id)
            if existing is None:
                db.add(
                    FeedbackRow(
                        message_id=message_id,
                        session_id=session_id,
                        rating=rating,
                        comment=comment,
                        created_at=_now(),
                    )
                )
            else:
                existing.rating, existing.comment = rating, comment
