"""Reading guides: what the format readers cost next to a whole ingest.

For every corpus of eval/corpora/, the median time to read and section all its guides two
ways in this one run: the line-based reading that markdown had before the markdown reader
(``normalise`` + ``parse_guide``, still what ``.txt`` gets) and ``load_guide`` as ingest
calls it now. The ratio to a whole ingest of the same corpus (embedding included, once)
says whether parsing became the cost. Run with `make bench`.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from coach.factory import build
from coach.settings import Settings
from eval.corpus import discover, guide_files
from ingest.loader import load_guide, parse_guide
from ingest.pipeline import ingest_into
from ingest.text import normalise

ROUNDS = 5


def timed(read: object, paths: list[Path]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for path in paths:
            read(path)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def line_based(path: Path) -> object:
    """The reading markdown had before the markdown reader (text formats only)."""
    return parse_guide(normalise(path.read_text(encoding="utf-8")), path.name)


def ingest_seconds(guides: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), seeds_dir=guides)  # type: ignore[call-arg]
        parts = build(settings)
        start = time.perf_counter()
        ingest_into(parts, [guides])
        return time.perf_counter() - start


def main() -> None:
    console = Console()
    table = Table(title="Reading guides (medians of 5; ingest once)")
    for column in ("corpus", "guides", "line-based ms", "readers ms", "ingest s", "extra/ingest"):
        table.add_column(column, justify="right")
    for corpus in discover():
        paths = guide_files(corpus.guides_dir)
        text = [p for p in paths if p.suffix.lower() in (".md", ".txt")]
        before = timed(line_based, text)
        after = timed(load_guide, text)
        whole = ingest_seconds(corpus.guides_dir)
        table.add_row(
            corpus.name,
            str(len(text)),
            f"{before * 1000:.1f}",
            f"{after * 1000:.1f}",
            f"{whole:.1f}",
            f"{(after - before) / whole:+.2%}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
