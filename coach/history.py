"""Conversation store: sessions, turns with their citations, and feedback (SQLAlchemy)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
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
    type_coerce,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    aliased,
    mapped_column,
    sessionmaker,
)

from coach.errors import InputError, NotFoundError, StoreUnavailableError, echoed
from coach.schema import Citation, Turn
from coach.turns import turn_locks

TITLE_CHARS = 60
logger = logging.getLogger("coach")


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


class ProbeRow(Base):
    """One row rewritten by :meth:`HistoryStore.writable`: proof that writes reach the disk."""

    __tablename__ = "write_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


class HistoryWriteError(StoreUnavailableError):
    """A write failed (full disk, read-only files): nothing of it was stored."""


def _reason(exc: BaseException) -> str:
    """The database's own words: 'database or disk is full', 'attempt to write a readonly…'."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL, or None (another database, or SQLite in memory)."""
    try:
        parsed = make_url(url)
    except Exception:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else os.path.abspath(database)


def _identity(path: str | None) -> tuple[int, int] | None:
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st else None


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


def _configure_sqlite(engine: Engine, fsync: bool) -> None:
    """A rollback journal, not WAL: WAL keeps a memory-mapped ``-shm`` file (a write to it once
    the files turn immutable is a SIGBUS that kills the process) and a long-lived ``-wal``
    file (deleted, it takes every later commit with it). With a rollback journal each commit
    is in the database file when it returns (a restart reads it, even after ``kill -9``), and
    with ``fsync`` on the disk too (``synchronous=FULL``: it survives a power loss)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=DELETE")
        cursor.execute(f"PRAGMA synchronous={'FULL' if fsync else 'OFF'}")
        cursor.execute("PRAGMA mmap_size=0")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


class HistoryStore:
    """Persists conversations in any SQLAlchemy database (SQLite by default).

    Failures say what could not be read or written (503, nothing half-stored). A SQLite file
    deleted while the server runs is noticed before the next read or write and recreated
    (empty), so later turns are not written to a file nobody can open again.
    """

    def __init__(self, url: str, fsync: bool = False) -> None:
        self.url = url
        self.fsync = fsync
        self._file = sqlite_file(url)
        # SQLite takes one writer at a time and makes the others sleep-poll; queueing writers
        # here is faster and keeps each session's message numbers in order.
        self._write_lock = threading.RLock()
        self._readers = threading.Condition()
        self._reading_now = 0
        self._open()
        self._turns = turn_locks(url, self._file)

    def turn(self, session_id: str) -> AbstractContextManager[None]:
        """Held while one turn of ``session_id`` is answered and stored; a second turn of it
        meanwhile, from any thread or process, raises TurnInProgressError (a 409)."""
        return self._turns.hold(session_id)

    def _open(self, make_dir: bool = False) -> None:
        url = self.url
        try:
            if self._file and make_dir:  # the data dir itself was deleted
                os.makedirs(os.path.dirname(self._file), exist_ok=True)
            if url.startswith("sqlite"):
                engine = create_engine(url, connect_args={"check_same_thread": False})
                _configure_sqlite(engine, self.fsync)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            Base.metadata.create_all(engine)
        except (SQLAlchemyError, ImportError, OSError) as exc:
            raise StoreUnavailableError(
                f"Cannot open the conversation database ({self._safe(url)}): {exc}. "
                "Check COACH_DATABASE_URL."
            ) from exc
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._file_id = _identity(self._file)

    def _check_file(self) -> None:
        """Recreate a SQLite file that was deleted (or replaced) under us."""
        if self._file is None or _identity(self._file) == self._file_id:
            return
        with self._write_lock, self._readers:
            if _identity(self._file) == self._file_id:
                return  # another thread got here first
            self._readers.wait_for(lambda: self._reading_now == 0, timeout=5)
            logger.error(
                "The conversation database %s was deleted or replaced while the coach ran; "
                "starting a new one there (conversations held by the old file are gone).",
                self._file,
            )
            self.engine.dispose()  # closes the old file's connections
            if not os.path.exists(self._file):  # the old file's journal would corrupt a new one
                for suffix in ("-wal", "-shm", "-journal"):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(self._file + suffix)
            self._open(make_dir=True)

    @staticmethod
    def _safe(url: str) -> str:
        """The URL without its password, for messages."""
        try:
            return make_url(url).render_as_string(hide_password=True)
        except Exception:
            return "<invalid URL>"

    @property
    def where(self) -> str:
        return self._file or self._safe(self.url)

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A read; a database that cannot be read is a 503, not a crash."""
        self._check_file()
        with self._readers:
            self._reading_now += 1
            sessions = self._sessions
        try:
            with sessions() as db:
                yield db
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(
                f"The conversation database ({self.where}) cannot be read ({_reason(exc)}). "
                "Check that it exists and is readable, then try again."
            ) from exc
        finally:
            with self._readers:
                self._reading_now -= 1
                self._readers.notify_all()

    @contextmanager
    def _writing(self, what: str) -> Iterator[Session]:
        """A write transaction, one at a time in this process; all of it is stored or none."""
        self._check_file()
        try:
            with self._write_lock, self._sessions.begin() as db:
                yield db
        except (SQLAlchemyError, OSError) as exc:
            # A connection opened while the files were read-only stays read-only: drop the
            # pool so the next write opens the files afresh (and heals once they are writable).
            self.engine.dispose()
            raise HistoryWriteError(
                f"The conversation database ({self.where}) could not be written "
                f"({_reason(exc)}): the {what} was not saved. Check the disk space and the "
                "permissions of the data directory; the coach recovers by itself once it can "
                "write again."
            ) from exc

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            self._check_file()
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, StoreUnavailableError):
            return False

    def writable(self) -> bool:
        """True when a write reaches the database (one probe row is rewritten)."""
        try:
            with self._writing("probe") as db:
                db.merge(ProbeRow(id=1, at=_now()))
            return True
        except StoreUnavailableError as exc:
            logger.warning("readiness: %s", exc)
            return False

    def create_session(self) -> str:
        with self._writing("new conversation") as db:
            row = SessionRow(id=_new_id(), title="", created_at=_now())
            db.add(row)
            return row.id

    def exists(self, session_id: str) -> bool:
        with self._reading() as db:
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
        with self._writing("message") as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFoundError(
                    f"Unknown session '{echoed(session_id)}'. Start a new conversation."
                )
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
        with self._reading() as db:
            rows = db.scalars(
                select(MessageRow)
                .where(MessageRow.session_id == session_id)
                .order_by(MessageRow.seq.desc())
                .limit(limit)
            ).all()
        return [Turn.model_validate({"role": r.role, "content": r.content}) for r in reversed(rows)]

    def get_session(self, session_id: str) -> StoredSession:
        with self._reading() as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFoundError(f"Unknown session '{echoed(session_id)}'.")
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
        with self._writing("deletion") as db:
            session = db.get(SessionRow, session_id)
            if session is None:
                raise NotFoundError(f"Unknown session '{echoed(session_id)}'.")
            db.query(FeedbackRow).filter(FeedbackRow.session_id == session_id).delete()
            db.query(MessageRow).filter(MessageRow.session_id == session_id).delete()
            db.delete(session)

    def add_feedback(
        self, session_id: str, message_id: str, rating: str, comment: str | None = None
    ) -> None:
        """Record (or replace) the rating of an assistant message."""
        if rating not in ("up", "down"):
            raise InputError("rating must be 'up' or 'down'.")
        with self._writing("feedback") as db:
            message = db.get(MessageRow, message_id)
            if message is None or message.session_id != session_id:
                raise NotFoundError(
                    f"Message '{echoed(message_id)}' is not part of session '{echoed(session_id)}'."
                )
            if message.role != "assistant":  # not a reply: like any id that names none
                raise NotFoundError(
                    f"Session '{echoed(session_id)}' has no reply '{echoed(message_id)}': "
                    "that message is the user's, and only the coach's replies are rated."
                )
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


@dataclass(slots=True)
class QuestionRecord:
    """A question with the coach's reply to it, as the insights read them: no session id."""

    content: str
    created_at: datetime
    channel: str | None  # where it was asked (the turn's meta)
    replied: bool
    refused: bool
    reason: str | None  # why the reply was a refusal
    relevance: float | None  # the evidence the reply stood on
    answer: str
    citations: list[dict[str, Any]]
    rating: str | None
    comment: str | None
    vector: str | None = None  # the question's vector as retrieval made it (packed)
    vector_model: str | None = None  # the model that made it


def _decoded(value: Any) -> Any:
    """A JSON column's value: text from SQLite, already decoded by other drivers."""
    return json.loads(value) if isinstance(value, str) else value


def _moment(value: Any) -> datetime:
    """A stored time: text from SQLite, a datetime from other drivers; always UTC-aware."""
    return _aware(datetime.fromisoformat(value) if isinstance(value, str) else value)


def questions_since(history: HistoryStore, since: datetime | None) -> list[QuestionRecord]:
    """Every question from ``since`` on with the reply right after it (read-only).

    JSON and times are read as the driver gives them and decoded here: SQLAlchemy's
    per-row SQLite datetime parsing is most of the time of a large read.
    """
    reply = aliased(MessageRow)
    query = (
        select(
            MessageRow.content,
            type_coerce(MessageRow.created_at, Text),
            MessageRow.meta["channel"].as_string(),
            reply.id,
            reply.refused,
            reply.meta["reason"].as_string(),
            reply.meta["relevance"].as_float(),
            reply.content,
            type_coerce(reply.citations, Text),
            FeedbackRow.rating,
            FeedbackRow.comment,
            reply.meta["question_vector"].as_string(),
            reply.meta["vector_model"].as_string(),
        )
        .outerjoin(
            reply,
            (reply.session_id == MessageRow.session_id)
            & (reply.seq == MessageRow.seq + 1)
            & (reply.role == "assistant"),
        )
        .outerjoin(FeedbackRow, FeedbackRow.message_id == reply.id)
        .where(MessageRow.role == "user", MessageRow.content != "")
        .order_by(MessageRow.created_at)
    )
    if since is not None:
        query = query.where(MessageRow.created_at >= since)
    with history._reading() as db:
        rows = db.connection().execute(query).all()  # plain rows: no ORM loading per row
    return [
        QuestionRecord(
            content=row[0],
            created_at=_moment(row[1]),
            channel=row[2],
            replied=row[3] is not None,
            refused=bool(row[4]),
            reason=row[5],
            relevance=row[6],
            answer=row[7] or "",
            citations=_decoded(row[8]) or [],
            rating=row[9],
            comment=row[10],
            vector=row[11],
            vector_model=row[12],
        )
        for row in rows
    ]


def erase_text_before(history: HistoryStore, cutoff: datetime) -> int:
    """Blank the people's words older than ``cutoff``: questions, their standalone forms, the
    question vectors and feedback comments (the turns stay, so conversations keep their
    shape). Returns the number of questions blanked."""
    with history._writing("retention purge") as db:
        blanked = db.execute(
            update(MessageRow)
            .where(MessageRow.role == "user", MessageRow.created_at < cutoff)
            .where(MessageRow.content != "")
            .values(content="", meta={})
        )
        answers = db.scalars(
            select(MessageRow).where(
                MessageRow.role == "assistant",
                MessageRow.created_at < cutoff,
                (MessageRow.meta["standalone"].as_string() != "")
                | MessageRow.meta["question_vector"].as_string().is_not(None),
            )
        ).all()
        for answer in answers:
            kept = {k: v for k, v in (answer.meta or {}).items() if k != "question_vector"}
            answer.meta = {**kept, "standalone": ""}
        db.execute(
            update(FeedbackRow)
            .where(FeedbackRow.created_at < cutoff, FeedbackRow.comment.is_not(None))
            .values(comment=None)
        )
        return int(getattr(blanked, "rowcount", 0) or 0)
