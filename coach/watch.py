"""Notice when another process ingested into the store, and reload without a restart.

Each ingest run ends by writing a new generation to the derived store; a running coach
compares it at most once per ``interval`` and reloads in a background thread, answering
from what it has until the new snapshot is complete.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from coach.retrieval import HybridRetriever
from coach.units.index import UnitIndex

logger = logging.getLogger(__name__)


class GuideWatcher:
    """Reloads units, chunks and the keyword index when the stored generation changes."""

    def __init__(self, units: UnitIndex, retriever: HybridRetriever, interval: float = 1.0):
        self.units = units
        self.retriever = retriever
        self.interval = interval
        self._checked = 0.0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.reloads = 0
        self.error: str | None = None  # the last reload's failure, for /readyz
        self.on_reload: list[Callable[[], None]] = []  # told after each reload

    def check(self) -> bool:
        """Start a reload when the guides changed; True when one was started."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return False
        self._checked = now
        derived = self.units.derived
        if derived is None or derived.generation() == (self.units.generation or ""):
            return False
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            # Not a daemon: a process that exits mid-reload waits for it rather than tearing
            # Chroma down under it.
            self._thread = threading.Thread(target=self._reload, name="guide-reload")
            self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> None:
        """Block until a running reload is done (tests, benchmarks)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _reload(self) -> None:
        started = time.perf_counter()
        try:
            self.units.load()
            count = self.retriever.reload()
        except Exception as exc:  # the old snapshot keeps answering; try again later
            self.error = f"{type(exc).__name__}: {exc}"
            self.units.mark_stale()
            logger.warning("Reloading the guides failed (%s); answering from the old ones", exc)
            self._checked = time.monotonic()
            return
        self.error = None
        self.reloads += 1
        for listener in self.on_reload:
            listener()
        logger.info("Reloaded %d chunks in %.2fs", count, time.perf_counter() - started)
