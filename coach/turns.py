"""One turn at a time per conversation: across threads, processes and servers.

A turn (the question stored, the answer computed and stored) holds its session's lock; a
second turn on the same session meanwhile is refused (:class:`TurnInProgressError`, a 409),
so the stored conversation always alternates. The locks are the operating system's or the
database's, released by them when a process dies: a crash never leaves a session locked.

- SQLite (one machine): an open-file-description byte-range lock, one byte per session, on a
  lock file beside the database. Each turn opens its own description, so two threads of one
  process exclude each other as two processes do.
- PostgreSQL (any number of servers): a session-level advisory lock, held on a connection of
  its own for the turn.
- Any other database: a lock in this process only.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from coach.errors import CoachError, StoreUnavailableError


class TurnInProgressError(CoachError):
    """Another turn of the conversation is still being answered."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            "This conversation is still answering an earlier message: wait for that answer, "
            "then send again."
        )


def lock_key(session_id: str) -> int:
    """A signed 63-bit key for a session (an advisory-lock key, a byte offset when positive)."""
    digest = hashlib.blake2b(session_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True) >> 1


class TurnLocks(Protocol):
    def hold(self, session_id: str) -> AbstractContextManager[None]:
        """Held for the body of a ``with``; raises TurnInProgressError when already held."""
        ...


class LocalTurnLocks:
    """This process only (in-memory SQLite, databases without an advisory lock)."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        with self._lock:
            if session_id in self._held:
                raise TurnInProgressError()
            self._held.add(session_id)
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(session_id)


class FileTurnLocks:
    """Byte-range locks (``F_OFD_SETLK``) on ``path``; the kernel drops them with the process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fallback = LocalTurnLocks()

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            # No lock file (a read-only data dir): nothing of the turn can be saved anyway,
            # and the write says so; this process's own turns still exclude each other.
            with self._fallback.hold(session_id):
                yield
            return
        try:
            # struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)
            request = struct.pack(
                "hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, abs(lock_key(session_id)), 1, 0
            )
            try:
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK, request)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise TurnInProgressError() from None
                raise
            yield
        finally:
            os.close(fd)  # releases the lock


class AdvisoryTurnLocks:
    """PostgreSQL ``pg_try_advisory_lock`` on a connection held for the turn.

    The connections come from a pool of their own, unbounded: a turn holding one still needs
    the store's pool for its reads and writes, so sharing that pool could starve it.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Engine | None = None
        self._creating = threading.Lock()

    def _engine(self) -> Engine:
        with self._creating:
            if self._pool is None:
                self._pool = create_engine(self.url, pool_pre_ping=True, max_overflow=-1)
            return self._pool

    @contextmanager
    def hold(self, session_id: str) -> Iterator[None]:
        key = lock_key(session_id)
        try:
            conn = self._engine().connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
            conn.commit()
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(
                f"The conversation database cannot be reached to start this turn ({exc}). "
                "Try again in a moment."
            ) from exc
        try:
            if not got:
                raise TurnInProgressError()
            yield
        finally:
            try:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    conn.commit()
            except SQLAlchemyError:
                conn.invalidate()  # a lost connection: the server dropped its lock already
            finally:
                conn.close()


def turn_locks(url: str, sqlite_file: str | None) -> TurnLocks:
    """The locks that reach every process using the database at ``url``."""
    if sqlite_file is not None:
        return FileTurnLocks(f"{sqlite_file}.turns")
    if url.startswith("postgresql"):
        return AdvisoryTurnLocks(url)
    return LocalTurnLocks()
