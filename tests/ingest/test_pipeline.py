"""run_ingest against a real Chroma store and the real embedding model."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from rich.console import Console
from rich.progress import Progress

from coach.errors import EmbeddingMismatchError, InputError
from coach.settings import Settings
from coach.store import GuideStore, make_chroma_client
from ingest.chunker import chunk_guide
from ingest.loader import load_guide
from ingest.pipeline import EmbeddingFailed, NothingToIngest, run_ingest
from ingest.report import render_report
from tests.ingest.fakes import FailingEmbeddings, OtherModelEmbeddings, RecordingEmbeddings
from tests.support import SEEDS, make_settings

SEED_NAMES = sorted(p.name for p in SEEDS.iterdir())
ROADMAP = "backend-engineer-to-ai-engineer-roadmap.md"
DOC_GUIDE = "ai-documentation-engineer-transition-guide.txt"

StoreWith = Callable[[Embeddings], GuideStore]


def expected_chunks(settings: Settings, folder: Path = SEEDS) -> dict[str, set[str]]:
    """source -> chunk ids, computed without the pipeline."""
    return {
        p.name: {c.chunk_id for c in chunk_guide(load_guide(p), settings)}
        for p in sorted(folder.iterdir())
        if p.suffix in (".md", ".txt")
    }


def stored(store: GuideStore) -> dict[str, set[str]]:
    """source -> chunk ids, as stored."""
    by_source: dict[str, set[str]] = {}
    for chunk_id, (source, _) in store.stored_hashes().items():
        by_source.setdefault(source, set()).add(chunk_id)
    return by_source


def snapshot(store: GuideStore) -> dict[str, tuple[str, str]]:
    return {c.chunk_id: (c.text, c.section) for c in store.all_chunks()}


def test_ingests_the_seeds_into_an_empty_store(corpus: Path, store: GuideStore, settings: Settings):
    report = run_ingest(corpus, store, settings)
    expected = expected_chunks(settings, corpus)
    total = sum(len(ids) for ids in expected.values())
    assert report.ok and report.errors == []
    assert (report.files, report.chunks_total, report.added) == (5, total, total)
    assert report.updated == report.removed == report.unchanged == 0
    assert report.stored == store.count() == total
    assert stored(store) == expected
    chunk = next(c for c in store.all_chunks() if c.section == "Your Transferable Skills")
    assert chunk.source == DOC_GUIDE and chunk.title.startswith("From Backend Developer")
    assert chunk.text.startswith("Your Transferable Skills\nGreat news!")


def test_a_second_run_writes_nothing(
    corpus: Path, store: GuideStore, settings: Settings, recorder: RecordingEmbeddings
):
    first = run_ingest([corpus], store, settings)
    recorder.embedded.clear()
    before = snapshot(store)
    second = run_ingest([corpus], store, settings)
    assert second.ok
    assert second.added == second.updated == second.removed == 0
    assert second.unchanged == second.chunks_total == first.chunks_total
    assert recorder.embedded == []  # nothing re-embedded
    assert snapshot(store) == before


def test_ids_are_the_same_in_two_fresh_stores(
    corpus: Path, tmp_path: Path, recorder: RecordingEmbeddings
):
    ids = []
    for name in ("one", "two"):
        settings = make_settings(tmp_path / name)
        store = GuideStore(make_chroma_client(settings), settings.collection, recorder)
        run_ingest([corpus], store, settings)
        ids.append(set(store.stored_hashes()))
    assert ids[0] == ids[1] and len(ids[0]) > 50


def test_a_changed_guide_replaces_only_its_own_chunks(
    corpus: Path, store: GuideStore, settings: Settings, recorder: RecordingEmbeddings
):
    run_ingest([corpus], store, settings)
    before = stored(store)
    guide = corpus / ROADMAP
    guide.write_text(
        guide.read_text().replace("2-3 months to become", "3-4 months to become")
        + "\n## Community\n\nJoin a study group.\n"
    )
    recorder.embedded.clear()

    report = run_ingest([corpus], store, settings)
    after = stored(store)
    assert (report.updated, report.added, report.removed) == (1, 1, 0)
    assert report.unchanged == report.chunks_total - 2
    # (the library summary then asks the coach its starter questions: those embed sentences)
    stored_texts = {c.embedding_text() for c in store.all_chunks()}
    written = [t for t in recorder.embedded if t in stored_texts]
    assert len(written) == 2  # only the new and the changed chunk
    # embedded under its title and section (Chunk.embedding_text), the passage verbatim
    assert any("\n## Timeline\n\n3-4 months" in t for t in written)
    assert all(t.startswith("From Backend Engineer to AI Engineer — ") for t in written)
    for source in SEED_NAMES:
        if source != ROADMAP:
            assert after[source] == before[source]
    assert after[ROADMAP] == expected_chunks(settings, corpus)[ROADMAP]
    assert len(after[ROADMAP] - before[ROADMAP]) == 2
    texts = " ".join(c.text for c in store.all_chunks() if c.source == ROADMAP)
    assert "3-4 months" in texts and "2-3 months" not in texts


def test_a_shorter_guide_drops_its_stale_chunks(
    corpus: Path, store: GuideStore, settings: Settings
):
    run_ingest([corpus], store, settings)
    before = len(stored(store)[ROADMAP])
    guide = corpus / ROADMAP
    guide.write_text(guide.read_text().split("## Suggested Path")[0])
    report = run_ingest([corpus], store, settings)
    after = stored(store)[ROADMAP]
    assert after == expected_chunks(settings, corpus)[ROADMAP]
    assert report.removed == before - len(after) == 3
    assert report.added == report.updated == 0


def test_a_deleted_guide_disappears_when_its_directory_is_ingested(
    corpus: Path, store: GuideStore, settings: Settings
):
    run_ingest([corpus], store, settings)
    gone = len(stored(store)[DOC_GUIDE])
    (corpus / DOC_GUIDE).unlink()
    report = run_ingest([corpus], store, settings)
    assert report.ok and report.removed == gone
    assert DOC_GUIDE not in stored(store)
    assert set(stored(store)) == set(SEED_NAMES) - {DOC_GUIDE}


def test_single_files_touch_only_their_own_guides(
    corpus: Path, store: GuideStore, settings: Settings
):
    run_ingest([corpus], store, settings)
    before = stored(store)
    (corpus / DOC_GUIDE).unlink()  # gone from disk, but only a directory run cleans up
    roadmap = corpus / ROADMAP
    roadmap.write_text(roadmap.read_text() + "\n## Extra\n\nOne more tip.\n")
    report = run_ingest([roadmap], store, settings)
    assert report.ok and (report.files, report.added, report.removed) == (1, 1, 0)
    after = stored(store)
    assert after[DOC_GUIDE] == before[DOC_GUIDE]
    assert after[ROADMAP] > before[ROADMAP]


def test_files_and_directories_can_be_mixed(tmp_path: Path, store: GuideStore, settings: Settings):
    folder = tmp_path / "some"
    folder.mkdir()
    shutil.copy(SEEDS / ROADMAP, folder)
    (folder / ".hidden.md").write_text("# Hidden\n\nNot a guide.")
    (folder / "notes.odt").write_bytes(b"PK")  # not a format ingest reads: ignored in a directory
    report = run_ingest([folder, SEEDS / DOC_GUIDE], store, settings)
    assert report.ok and report.files == 2
    assert set(stored(store)) == {ROADMAP, DOC_GUIDE}


def test_an_unreadable_pdf_is_skipped_with_its_reason_and_the_run_goes_on(
    tmp_path: Path, store: GuideStore, settings: Settings
):
    folder = tmp_path / "some"
    folder.mkdir()
    shutil.copy(SEEDS / ROADMAP, folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 truncated")
    report = run_ingest([folder], store, settings)
    assert report.files == 1 and set(stored(store)) == {ROADMAP}
    assert not report.ok
    (skipped,) = report.to_dict()["skipped"]
    assert skipped["path"].endswith("broken.pdf")
    assert "not a readable PDF" in skipped["reason"]


BAD_FILES = [
    ("empty.md", b"", "file is empty — add content or remove it"),
    ("blank.txt", b"  \n\n\t \n", "only whitespace"),
    ("binary.txt", b"\x00\x01\x02 not text", "binary file"),
    ("latin1.md", "Caf\u00e9 guide".encode("latin-1"), "not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "problem"), BAD_FILES)
def test_a_bad_guide_is_reported_and_the_others_are_ingested(
    corpus: Path, store: GuideStore, settings: Settings, name: str, content: bytes, problem: str
):
    (corpus / name).write_bytes(content)
    report = run_ingest([corpus], store, settings)
    assert not report.ok
    [error] = report.errors
    assert error.path == str(corpus / name)
    assert error.message.startswith(f"{corpus / name}: ") and problem in error.message
    assert report.files == 5
    assert set(stored(store)) == set(SEED_NAMES)
    assert report.to_dict()["ok"] is False


def test_an_unreadable_guide_is_reported(
    corpus: Path, store: GuideStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    locked = corpus / DOC_GUIDE
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # running as root: fail the read as for a normal user
        original = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.name == DOC_GUIDE:
                raise PermissionError(13, "Permission denied", str(self))
            return original(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = run_ingest([corpus], store, settings)
    [error] = report.errors
    assert DOC_GUIDE in error.message and "permission denied" in error.message
    assert set(stored(store)) == set(SEED_NAMES) - {DOC_GUIDE}


def test_a_guide_that_turns_bad_keeps_its_stored_chunks(
    corpus: Path, store: GuideStore, settings: Settings
):
    run_ingest([corpus], store, settings)
    before = snapshot(store)
    (corpus / DOC_GUIDE).write_bytes(b"")
    report = run_ingest([corpus], store, settings)
    assert not report.ok and DOC_GUIDE in report.errors[0].message
    assert report.removed == 0 and report.files == 4
    assert snapshot(store) == before


def test_an_explicit_unsupported_file_is_reported_and_the_rest_ingested(
    tmp_path: Path, store: GuideStore, settings: Settings
):
    pages = tmp_path / "cv.pages"
    pages.write_bytes(b"PK\x03\x04")
    report = run_ingest([pages, SEEDS / ROADMAP], store, settings)
    [error] = report.errors
    assert error.message == (
        f"{pages}: unsupported file type '.pages' — guides must be "
        ".md, .markdown, .html, .htm, .pdf, .docx, .txt"
    )
    assert set(stored(store)) == {ROADMAP}


def test_a_missing_path_next_to_good_guides_is_reported(
    tmp_path: Path, store: GuideStore, settings: Settings
):
    missing = tmp_path / "nope.md"
    report = run_ingest([missing, SEEDS / ROADMAP], store, settings)
    assert [e.message for e in report.errors] == [
        f"{missing}: no such file or directory — check the path"
    ]
    assert report.files == 1 and not report.ok


def test_two_guides_with_one_name_are_refused(
    tmp_path: Path, store: GuideStore, settings: Settings
):
    twin = tmp_path / "twin"
    twin.mkdir()
    shutil.copy(SEEDS / ROADMAP, twin)
    report = run_ingest([SEEDS / ROADMAP, twin / ROADMAP], store, settings)
    [error] = report.errors
    assert str(twin / ROADMAP) in error.message and "must be unique" in error.message
    assert report.files == 1


def missing_path(tmp: Path) -> Path:
    return tmp / "missing"


def empty_directory(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def file_with(name: str, content: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_text(content)
        return tmp / name

    return make


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (missing_path, "missing: no such file or directory"),
        (empty_directory, "empty: no .md or .txt guides"),
        (file_with("e.md", ""), "e.md: file is empty"),
        (file_with("x.csv", "a,b"), "x.csv: unsupported file type '.csv'"),
    ],
    ids=["missing path", "empty directory", "only a bad file", "only an unsupported file"],
)
def test_nothing_to_ingest_raises_an_input_error_and_changes_nothing(
    tmp_path: Path,
    corpus: Path,
    store: GuideStore,
    settings: Settings,
    make: Callable[[Path], Path],
    needle: str,
):
    run_ingest([corpus], store, settings)
    before = snapshot(store)
    target = make(tmp_path)
    with pytest.raises(NothingToIngest) as caught:
        run_ingest([target], store, settings)
    assert isinstance(caught.value, InputError)
    assert needle in str(caught.value) and str(target) in str(caught.value)
    assert snapshot(store) == before  # an empty directory does not wipe the store


@pytest.mark.parametrize(
    "error",
    [RuntimeError("model exploded"), KeyboardInterrupt()],
    ids=["embedding error", "ctrl-c"],
)
def test_a_failure_while_embedding_leaves_the_previous_state_queryable(
    corpus: Path,
    store: GuideStore,
    settings: Settings,
    store_with: StoreWith,
    embeddings: Embeddings,
    error: BaseException,
):
    run_ingest([corpus], store, settings)
    before = snapshot(store)
    guide = corpus / ROADMAP
    guide.write_text(guide.read_text().replace("2-3 months", "9 months"))
    (corpus / DOC_GUIDE).unlink()  # a cleanup that must not happen either

    failing = FailingEmbeddings(error)
    with pytest.raises(EmbeddingFailed if isinstance(error, Exception) else KeyboardInterrupt):
        run_ingest([corpus], store_with(failing), settings)
    assert failing.calls == 1
    assert snapshot(store) == before
    hits = store.search(embeddings.embed_query("How long until I am a productive AI engineer?"), 5)
    assert hits and any("2-3 months" in chunk.text for chunk, _ in hits)


def test_the_embedding_failure_message_says_nothing_was_written(
    corpus: Path, store_with: StoreWith, settings: Settings
):
    with pytest.raises(EmbeddingFailed, match=r"model exploded.*Nothing was written"):
        run_ingest(
            [corpus], store_with(FailingEmbeddings(RuntimeError("model exploded"))), settings
        )


def test_reset_rebuilds_a_store_made_by_another_model(
    corpus: Path, store: GuideStore, settings: Settings, store_with: StoreWith
):
    first = run_ingest([corpus], store, settings)
    other = OtherModelEmbeddings()
    with pytest.raises(EmbeddingMismatchError):
        run_ingest([corpus], store_with(other), settings)
    assert other.embedded == []  # refused before any work

    report = run_ingest([corpus], store_with(other), settings, reset=True)
    assert report.reset and report.ok
    assert report.added == report.chunks_total == first.chunks_total
    assert report.removed == first.chunks_total and report.unchanged == 0
    rebuilt = store_with(other)
    assert rebuilt.count() == first.chunks_total
    assert rebuilt.collection.metadata["embedding_model"] == "another-embedding-model"


def test_reset_waits_until_everything_is_embedded(
    corpus: Path, store: GuideStore, settings: Settings, store_with: StoreWith
):
    run_ingest([corpus], store, settings)
    before = snapshot(store)
    with pytest.raises(EmbeddingFailed):
        run_ingest([corpus], store_with(FailingEmbeddings(RuntimeError("x"))), settings, reset=True)
    assert snapshot(store) == before


def test_reset_is_refused_when_a_guide_cannot_be_read(
    corpus: Path, store: GuideStore, settings: Settings, recorder: RecordingEmbeddings
):
    run_ingest([corpus], store, settings)
    before = snapshot(store)
    (corpus / DOC_GUIDE).write_bytes(b"\x00")
    recorder.embedded.clear()
    with pytest.raises(
        NothingToIngest, match=f"(?s)Not resetting.*{DOC_GUIDE}: looks like a binary"
    ):
        run_ingest([corpus], store, settings, reset=True)
    assert snapshot(store) == before and recorder.embedded == []


def test_progress_reports_each_phase_to_its_total(
    corpus: Path, store: GuideStore, settings: Settings
):
    calls: list[tuple[str, int, int]] = []
    report = run_ingest([corpus], store, settings, progress=lambda *a: calls.append(a))
    finals = {phase: (done, total) for phase, done, total in calls}
    assert finals == {
        "read": (5, 5),
        "embed": (report.added, report.added),
        "write": (report.added, report.added),
    }
    assert [c[0] for c in calls][:1] == ["read"] and calls[0][1] == 0
    assert Counter(p for p, _, _ in calls)["embed"] >= 1 + report.added // 32


def test_a_rich_progress_gets_one_bar_per_phase(
    corpus: Path, store: GuideStore, settings: Settings
):
    with Progress(console=Console(file=io.StringIO()), auto_refresh=False) as progress:
        report = run_ingest([corpus], store, settings, progress=progress)
        tasks = {t.description: (t.completed, t.total) for t in progress.tasks}
    assert tasks == {
        "Reading guides": (5, 5),
        "Embedding chunks": (report.added, report.added),
        "Writing to the store": (report.added, report.added),
    }


def test_the_report_renders_as_json_and_as_a_table(
    corpus: Path, store: GuideStore, settings: Settings
):
    (corpus / "empty.md").write_text("")
    report = run_ingest([corpus], store, settings)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False and data["files"] == 5 and data["added"] == report.chunks_total
    assert data["errors"] == [
        {"path": str(corpus / "empty.md"), "message": report.errors[0].message}
    ]
    assert data["skipped"] == [
        {"path": str(corpus / "empty.md"), "reason": "file is empty — add content or remove it"}
    ]
    console = Console(file=io.StringIO(), width=100, color_system=None)
    render_report(report, console)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Guides ingested" in out
    assert re.search(rf"│ +{report.chunks_total} │", out)  # the column widens with the seconds
    assert "skipped" in out and "empty.md: file is empty" in " ".join(out.split())

    console = Console(file=io.StringIO(), width=100, color_system=None)
    (corpus / "empty.md").unlink()
    render_report(run_ingest([corpus], store, settings), console)
    assert "Already up to date" in console.file.getvalue()  # type: ignore[attr-defined]
