"""One ingest at a time per store: a lock file in the data dir, held for the whole run."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coach.errors import CoachError


class IngestRunning(CoachError):
    """Another ``coach ingest`` holds the store."""

    status_code = 409


_held: set[Path] = set()  # locks this process holds: taking one again is a no-op


@contextmanager
def ingest_lock(data_dir: Path, collection: str) -> Iterator[None]:
    """Hold the store's ingest lock, or fail at once naming the process that holds it.

    ``flock`` is released by the kernel when its holder exits, even when killed, so a
    crashed run never leaves the store locked. Re-entrant within a process (the CLI takes
    it before opening the store, ``run_ingest`` again).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = (data_dir / f"ingest-{collection}.lock").resolve()
    if path in _held:
        yield
        return
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IngestRunning(
                f"Another ingest is running on this store (pid {holder}); wait for it to "
                "finish, then run coach ingest again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
