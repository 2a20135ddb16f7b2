"""History-store benchmark: the write cost of one chat turn in the embedded SQLite store.

A turn writes three times (new session, the question, the answer), each its own durable
commit. Reports p50/p95 per turn, one writer and eight threads at once, and the journal mode
in use. Run with `python bench/bench_history.py`.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sqlalchemy import text

from coach.history import HistoryStore

TURNS = 300
THREADS = 8


def one_turn(history: HistoryStore) -> float:
    start = time.perf_counter()
    session_id = history.create_session()
    history.add_message(session_id, "user", "How do I move from support into product?")
    history.add_message(session_id, "assistant", "Start by owning one feature's feedback [1].")
    return (time.perf_counter() - start) * 1000


def measure(threads: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        history = HistoryStore(f"sqlite:///{Path(tmp) / 'history.db'}")
        try:
            with ThreadPoolExecutor(threads) as pool:
                return list(pool.map(lambda _: one_turn(history), range(TURNS)))
        finally:
            history.engine.dispose()


def journal_mode() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        history = HistoryStore(f"sqlite:///{Path(tmp) / 'history.db'}")
        with history.engine.connect() as conn:
            mode = str(conn.execute(text("PRAGMA journal_mode")).scalar())
            sync = str(conn.execute(text("PRAGMA synchronous")).scalar())
        history.engine.dispose()
    return f"journal_mode={mode}, synchronous={sync}"


def main() -> None:
    print(f"history store: {journal_mode()}")
    for threads in (1, THREADS):
        times = measure(threads)
        p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
        print(f"{threads} writer(s), {TURNS} turns: p50 {p50:.2f} ms, p95 {p95:.2f} ms per turn")


if __name__ == "__main__":
    main()
