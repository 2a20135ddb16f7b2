"""Ingestion: read every guide, chunk, embed what changed, then write — in that order.

Everything that can fail (reading, chunking, embedding) happens before the first write, so
a bad file, an embedding error or Ctrl-C leaves the store as it was, still queryable. Only
the short write phase (upserts, then deletes) can be cut off; a re-run then completes it.

What a run touches:
- A directory stands for the whole corpus: its ``*.md``/``*.txt`` files (sorted, hidden
  ones ignored). Guides stored earlier whose file is no longer there are removed.
- A file stands for itself: only that guide's chunks are touched.
- A guide that fails to load is reported in ``IngestReport.errors`` and keeps its stored
  chunks; the other guides are ingested.
- :class:`NothingToIngest` (an ``InputError``) is raised, and nothing written, when no guide
  could be loaded at all (missing path, empty directory, every file bad), and on ``reset``
  when any guide failed (a reset would lose it).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError, EmbeddingMismatchError, InputError
from coach.factory import Parts, answers_with_citations
from coach.schema import Chunk
from coach.settings import Settings
from coach.store import EMBEDDING_RECIPE, GuideStore
from coach.units.index import SectionText, derive_units
from coach.units.store import ChunkUnits, DerivedStore
from ingest.chunker import TokenWindow, check_chunking, chunk_sections
from ingest.injection import FlaggedLine
from ingest.loader import SUPPORTED_SUFFIXES, Guide, GuideError, load_guide
from ingest.lock import ingest_lock
from ingest.progress import ProgressCallback, as_callback
from ingest.summary import Answers, refresh_library

if TYPE_CHECKING:
    from rich.progress import Progress

WRITE_BATCH = 256  # chunks per Chroma upsert


@dataclass(frozen=True)
class FileError:
    """A path that could not be ingested, and why (the message names the path)."""

    path: str
    message: str


@dataclass
class IngestReport:
    """What a run did. ``chunks_total`` counts the chunks of the guides ingested this run."""

    files: int = 0  # guides ingested successfully
    chunks_total: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    errors: list[FileError] = field(default_factory=list)
    reset: bool = False
    upgraded: bool = False  # the store was built by an older recipe and rebuilt
    stored: int = 0  # chunks in the store after the run
    flagged: list[FlaggedLine] = field(default_factory=list)  # injection lines, reader requests

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, for ``coach ingest --json``."""
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        data["ok"] = self.ok
        # the files left out, each with what to do: the run went on with the others
        data["skipped"] = [
            {"path": e.path, "reason": e.message.removeprefix(f"{e.path}: ")} for e in self.errors
        ]
        return data


class NothingToIngest(InputError):
    """No guide could be loaded (or a reset would lose one); nothing was written."""

    def __init__(self, message: str, errors: Sequence[FileError]) -> None:
        problems = "".join(f"\n  {e.message}" for e in errors)
        super().__init__(f"{message}{problems}")
        self.errors = list(errors)


class EmbeddingFailed(CoachError):
    """The embedding model failed; nothing was written."""

    status_code = 502


@dataclass
class GuideFiles:
    """The guide files to read, whether they are a whole corpus, and what could not be used."""

    files: list[tuple[Path, str]] = field(default_factory=list)  # (path, how to show it)
    corpus: bool = False
    errors: list[FileError] = field(default_factory=list)


def _is_guide(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith(".")


def find_guides(paths: Iterable[str | Path]) -> GuideFiles:
    """Expand directories into their guides; note every path that cannot be used."""
    targets = GuideFiles()
    seen: dict[str, Path] = {}  # source name -> resolved path

    def add(path: Path, shown: str) -> None:
        resolved = path.resolve()
        other = seen.get(path.name)
        if other == resolved:
            return
        if other is not None:
            targets.errors.append(
                FileError(
                    shown,
                    f"{shown}: another guide is also named {path.name} ({other}) — "
                    "guide file names must be unique",
                )
            )
            return
        seen[path.name] = resolved
        targets.files.append((path, shown))

    for raw in paths:
        path, shown = Path(raw), str(raw)
        if path.is_dir():
            targets.corpus = True
            try:
                guides = sorted(p for p in path.iterdir() if p.is_file() and _is_guide(p))
            except OSError as exc:
                reason = exc.strerror or str(exc)
                message = f"{shown}: cannot list the directory ({reason}) — check its permissions"
                targets.errors.append(FileError(shown, message))
                continue
            if not guides:
                message = f"{shown}: no .md or .txt guides in this directory — add some"
                targets.errors.append(FileError(shown, message))
            for guide in guides:
                add(guide, str(Path(shown) / guide.name))
        elif path.is_file():
            add(path, shown)  # load_guide reports an unsupported type, naming the file
        elif path.exists():
            message = f"{shown}: not a regular file or directory — pass a guide or a folder"
            targets.errors.append(FileError(shown, message))
        else:
            message = f"{shown}: no such file or directory — check the path"
            targets.errors.append(FileError(shown, message))
    return targets


def _embed(
    store: GuideStore,
    chunks: Sequence[Chunk],
    sections: dict[str, SectionText],
    batch_size: int,
    progress: ProgressCallback,
) -> tuple[list[list[float]], list[ChunkUnits]]:
    """Vectors of ``chunks`` and their units (whole units of each chunk's section), a batch
    at a time.

    Any failure becomes :class:`EmbeddingFailed`. Batches of similar length pad little:
    this halves the time of the local model.
    """
    order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))
    vectors: list[list[float]] = [[] for _ in chunks]
    records: list[ChunkUnits | None] = [None] * len(chunks)
    progress("embed", 0, len(chunks))
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        try:
            got, units = derive_units(
                [chunks[i] for i in batch],
                store.embeddings,
                [sections.get(chunks[i].chunk_id) for i in batch],
            )
        except CoachError:
            raise
        except Exception as exc:
            raise EmbeddingFailed(
                f"Embedding the guides failed ({type(exc).__name__}: {exc}). Nothing was "
                "written; the store still holds the previous guides. Check the embedding "
                "settings and retry."
            ) from exc
        if len(got) != len(batch):
            raise EmbeddingFailed(
                f"The embedding model returned {len(got)} vectors for {len(batch)} texts. "
                "Nothing was written; check the embedding provider."
            )
        for i, vector, record in zip(batch, got, units, strict=True):
            vectors[i], records[i] = list(vector), record
        progress("embed", start + len(batch), len(chunks))
    return vectors, [r for r in records if r is not None]


def _previous_count(store: GuideStore) -> int:
    """Chunks stored before a reset, even when they were made by another embedding model."""
    try:
        return store.count()
    except EmbeddingMismatchError:
        return store.client.get_collection(store.name).count()


def _plan(
    chunks: dict[str, list[Chunk]],
    stored: dict[str, tuple[str, str]],
    corpus: set[str] | None,
    report: IngestReport,
    have_units: set[str] | None = None,
) -> tuple[list[Chunk], list[str]]:
    """The chunks to (re)write and the ids to delete; counts them on ``report``.

    ``corpus`` names every guide of a directory run (stored guides outside it are removed);
    ``None`` for a run over single files, which touches only their own guides.
    """
    by_source: dict[str, dict[str, str]] = defaultdict(dict)
    for chunk_id, (source, digest) in stored.items():
        by_source[source][chunk_id] = digest

    to_write: list[Chunk] = []
    stale: list[str] = []
    for source, new in chunks.items():
        old = by_source.get(source, {})
        new_ids = {c.chunk_id for c in new}
        fresh = [
            c
            for c in new
            if old.get(c.chunk_id) != c.content_hash
            or (have_units is not None and c.chunk_id not in have_units)
        ]
        rewritten = sum(1 for c in fresh if c.chunk_id in old)  # same id, other hash
        gone = [chunk_id for chunk_id in old if chunk_id not in new_ids]
        # A changed passage gets a new id; count it as an update of the one it replaces.
        replaced = min(len(fresh) - rewritten, len(gone))
        report.added += len(fresh) - rewritten - replaced
        report.updated += rewritten + replaced
        report.removed += len(gone) - replaced
        report.unchanged += len(new) - len(fresh)
        to_write.extend(fresh)
        stale.extend(gone)
    if corpus is not None:
        for source, old in by_source.items():
            if source not in corpus:
                stale.extend(old)
                report.removed += len(old)
    return to_write, stale


def _needs_upgrade(store: GuideStore, targets: GuideFiles) -> bool:
    """Whether the store was built by an older recipe of this same model.

    A directory run rebuilds it (reported as an upgrade); a run over single files cannot
    (it would drop the other guides), so it says which command to run.
    """
    model, recipe = store.recorded()
    if model != store.model_id or recipe in (None, EMBEDDING_RECIPE):
        return False
    if not targets.corpus:
        raise EmbeddingMismatchError(
            f"{model} ({recipe}, made by an older version)",
            f"{store.model_id} ({EMBEDDING_RECIPE}); rebuild it from your guides folder: "
            "coach ingest --reset PATH",
        )
    return True


def _write_units(
    derived: DerivedStore,
    chunks: dict[str, list[Chunk]],
    fresh: Sequence[ChunkUnits],
    touched: set[str],
    removed: set[str],
    reset: bool,
) -> None:
    """Save the units of every guide that changed (its kept chunks' come from its old file);
    delete the files of removed guides."""
    if reset:
        derived.clear()
    new = {r.chunk_id: r for r in fresh}
    for source, guide_chunks in chunks.items():
        if not reset and source not in touched and not any(c.chunk_id in new for c in guide_chunks):
            continue  # unchanged guide: its file is current
        old = {} if reset else derived.load_source(source)
        records = [new.get(c.chunk_id) or old.get(c.chunk_id) for c in guide_chunks]
        derived.save(source, [r for r in records if r is not None])
    derived.delete(removed)


def run_ingest(
    paths: Sequence[str | Path] | str | Path,
    store: GuideStore,
    settings: Settings,
    reset: bool = False,
    progress: ProgressCallback | Progress | None = None,
    answers: Answers | None = None,
) -> IngestReport:
    """Bring the store in line with the guides at ``paths`` (files and/or directories).

    Idempotent (unchanged chunks are neither embedded nor written) and incremental (a
    changed guide replaces only its own chunks). ``reset`` drops the collection — and a
    recorded embedding model — but only once every guide was read and embedded. One run
    at a time per store: another one waiting fails at once with a clear message.
    ``answers`` checks the library's starter questions (see ``refresh_library``).
    """
    with ingest_lock(settings.data_dir, store.name):
        return _run_ingest(paths, store, settings, reset, progress, answers)


def _run_ingest(
    paths: Sequence[str | Path] | str | Path,
    store: GuideStore,
    settings: Settings,
    reset: bool,
    progress: ProgressCallback | Progress | None,
    answers: Answers | None,
) -> IngestReport:
    started = time.perf_counter()
    notify = as_callback(progress)
    if isinstance(paths, str | Path):
        paths = [paths]
    check_chunking(settings)  # bad settings fail before any work
    report = IngestReport(reset=reset)
    targets = find_guides(paths)
    report.errors.extend(targets.errors)
    derived = DerivedStore.for_collection(
        settings.data_dir, store.name, store.model_id, EMBEDDING_RECIPE
    )
    if not reset and _needs_upgrade(store, targets):
        reset = report.reset = report.upgraded = True
    # Read what is stored first: a store built with another model fails here, before the
    # slow work, unless it is about to be reset.
    stored = {} if reset else store.stored_hashes()

    guides: list[Guide] = []
    notify("read", 0, len(targets.files))
    for n, (path, shown) in enumerate(targets.files, 1):
        try:
            guides.append(load_guide(path, shown, accept_requests=settings.accept_reader_requests))
        except GuideError as exc:
            report.errors.append(FileError(exc.path, str(exc)))
        notify("read", n, len(targets.files))
    report.flagged = [line for guide in guides for line in guide.flagged]
    if not guides:
        raise NothingToIngest("Nothing to ingest:", report.errors)
    if reset and report.errors:
        raise NothingToIngest(
            "Not resetting the store: these guides could not be read and would be lost "
            "(nothing was changed) —",
            report.errors,
        )

    window = TokenWindow.of(store.embeddings)
    placed = {guide.source: chunk_sections(guide, settings, window) for guide in guides}
    chunks = {source: [chunk for chunk, _ in pairs] for source, pairs in placed.items()}
    sections = {chunk.chunk_id: where for pairs in placed.values() for chunk, where in pairs}
    # In a directory run, guides that exist but failed to load keep their chunks.
    corpus = {path.name for path, _ in targets.files} if targets.corpus else None
    have_units = set() if reset else set(derived.load())
    to_write, stale = _plan(chunks, stored, corpus, report, have_units)
    report.files = len(guides)
    report.chunks_total = sum(len(c) for c in chunks.values())

    vectors, units = _embed(store, to_write, sections, settings.embedding_batch_size, notify)
    removed = {source for source, _ in stored.values()} - set(chunks) if corpus else set()
    if reset:
        report.removed = _previous_count(store)
        store.reset()
    notify("write", 0, len(to_write) + len(stale))
    for start in range(0, len(to_write), WRITE_BATCH):
        end = start + WRITE_BATCH
        store.write(to_write[start:end], vectors[start:end])
        notify("write", min(end, len(to_write)), len(to_write) + len(stale))
    store.delete(stale)  # after the upserts: a guide is never missing in between
    touched = {stored[i][0] for i in stale if i in stored}
    _write_units(derived, chunks, units, touched, removed - (corpus or set()), reset)
    notify("write", len(to_write) + len(stale), len(to_write) + len(stale))
    refresh_library(store, settings, answers)  # what the coach says it holds follows what it holds
    derived.bump()  # a running server reloads
    report.stored = store.count()
    report.seconds = time.perf_counter() - started
    return report


def ingest_into(
    parts: Parts,
    paths: Sequence[str | Path],
    reset: bool = False,
    progress: ProgressCallback | Progress | None = None,
) -> IngestReport:
    """Ingest into a built coach's store and take in what it wrote (units, library) at once,
    so this process's own watcher has nothing left to reload."""
    answers = answers_with_citations(parts.settings, parts.store)
    report = run_ingest(
        paths, parts.store, parts.settings, reset=reset, progress=progress, answers=answers
    )
    if parts.units is not None:
        parts.units.load()
    parts.coach.forget_library()
    return report
