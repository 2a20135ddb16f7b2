"""The scale benchmark's corpus copies: renamed, never deduplicated, sentences kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ingest.chunker import chunk_guide
from ingest.loader import load_guide
from tests.support import REPO, SEEDS, make_settings

sys.path.insert(0, str(REPO / "bench"))
from salted_copies import SaltedGuide, copy_mark, guide_files, write_copies

COPIES = 3


def bundled_folders() -> list[Path]:
    """The seeds and every external corpus on this branch (discovered, as the benchmark does)."""
    return [SEEDS, *sorted(p for p in (REPO / "eval" / "corpora").glob("*/guides") if p.is_dir())]


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SaltedGuide]]:
    out = tmp_path_factory.mktemp("copies")
    settings = make_settings(out / ".coach")
    return out, write_copies(bundled_folders(), COPIES, out, settings)


def test_every_guide_gets_renamed_copies(copies: tuple[Path, list[SaltedGuide]]) -> None:
    out, written = copies
    originals = [p.name for folder in bundled_folders() for p in guide_files(folder)]
    names = [g.name for g in written]
    assert len(names) == len(set(names)) == COPIES * len(originals)
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(names)
    for guide in written:
        if guide.copy == 1:  # its own name, or its corpus's name first when two corpora share it
            assert guide.original is not None
            own = guide.original.name
            assert guide.name in (own, f"{guide.original.parent.parent.name}-{own}")
            assert guide.name == own or originals.count(own) > 1
        else:
            assert guide.name.endswith(f"--copy-{guide.copy:02d}{Path(guide.name).suffix}")
            assert guide.title != load_guide(guide.original).title
            assert str(guide.copy) in guide.title


def test_copies_share_no_chunk_with_each_other(copies: tuple[Path, list[SaltedGuide]]) -> None:
    """Chunk hashes differ between copies; only the reported unsalted chunks may repeat."""
    out, written = copies
    settings = make_settings(out / ".coach")
    by_copy: dict[int, set[str]] = {n: set() for n in range(1, COPIES + 1)}
    for guide in written:
        chunks = chunk_guide(load_guide(out / guide.name), settings)
        assert len(chunks) == guide.chunks
        if guide.copy > 1:
            assert sum(copy_mark(guide.copy) not in c.text for c in chunks) == guide.unsalted
        by_copy[guide.copy].update(c.content_hash for c in chunks)
    unsalted = sum(g.unsalted for g in written)
    for a in range(1, COPIES + 1):
        for b in range(a + 1, COPIES + 1):
            assert len(by_copy[a] & by_copy[b]) <= unsalted
    assert all(g.unsalted == 0 for g in written if g.original.parent == SEEDS)


def test_copies_keep_every_line_and_section(copies: tuple[Path, list[SaltedGuide]]) -> None:
    out, written = copies
    for guide in written:
        original, copy = load_guide(guide.original), load_guide(out / guide.name)
        assert [s.path for s in copy.sections] == [s.path for s in original.sections]
        lines = iter(copy.text.split("\n"))
        kept = [line for line in original.text.split("\n") if original.title not in line]
        assert all(any(line == got for got in lines) for line in kept), guide.name
