"""Generator fixtures: the real seed guides cut into chunks, ranked by the real model.

No store is needed: a markdown guide is cut at blank lines (a heading joins the paragraph
under it), a plain-text guide, which has no blank lines, into runs of lines. Context for a
question is the chunks ranked by cosine similarity, best first, as retrieval hands it over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.generators.extractive import ExtractiveGenerator
from coach.schema import Chunk, Draft, Retrieved
from coach.units.index import UnitIndex, derive_units
from coach.units.store import ChunkUnits, DerivedStore
from tests.support import SEEDS, hand_chunk

TEXT_LINES_PER_CHUNK = 10

Ask = Callable[..., tuple[list[str], Draft]]


def chunk_seed(path: Path) -> list[Chunk]:
    """A seed guide as chunks, with the metadata a citation needs."""
    raw = path.read_text(encoding="utf-8")
    lines = [line for line in raw.splitlines() if line.strip()]
    if path.suffix == ".md":
        title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), "")
        title = title or path.stem.replace("-", " ").title()
        pieces: list[tuple[str, str]] = []
        section, pending = "", ""
        for paragraph in (p.strip() for p in raw.split("\n\n") if p.strip()):
            if paragraph.startswith("#") and "\n" not in paragraph:
                section = paragraph.lstrip("#").strip()
                pending = f"{pending}{paragraph}\n\n"
                continue
            pieces.append((section, pending + paragraph))
            pending = ""
    else:
        title = lines[0].strip()
        pieces = [
            ("", "\n".join(lines[i : i + TEXT_LINES_PER_CHUNK]))
            for i in range(0, len(lines), TEXT_LINES_PER_CHUNK)
        ]
    return [
        hand_chunk(path.name, title, section, text, n) for n, (section, text) in enumerate(pieces)
    ]


@pytest.fixture(scope="session")
def guides() -> dict[str, list[Chunk]]:
    """Every seed guide's chunks, by file name."""
    return {path.name: chunk_seed(path) for path in sorted(SEEDS.iterdir()) if path.is_file()}


@pytest.fixture(scope="session")
def all_chunks(guides: dict[str, list[Chunk]]) -> list[Chunk]:
    return [chunk for chunks in guides.values() for chunk in chunks]


@pytest.fixture(scope="session")
def units(
    embeddings: OnnxMiniLMEmbeddings,
    all_chunks: list[Chunk],
    tmp_path_factory: pytest.TempPathFactory,
) -> UnitIndex:
    """The seed chunks' units, derived and stored as ingest does, then loaded."""
    derived = DerivedStore(tmp_path_factory.mktemp("derived"), embeddings.model_name, "test")
    _, records = derive_units(all_chunks, embeddings)
    by_source: dict[str, list[ChunkUnits]] = {}
    for chunk, record in zip(all_chunks, records, strict=True):
        by_source.setdefault(chunk.source, []).append(record)
    for source, found in by_source.items():
        derived.save(source, found)
    derived.bump()
    index = UnitIndex(derived, embeddings)
    index.load()
    return index


@pytest.fixture(scope="session")
def generator(embeddings: OnnxMiniLMEmbeddings, units: UnitIndex) -> ExtractiveGenerator:
    """One generator for the session, over units stored as ingest stores them."""
    return ExtractiveGenerator(embeddings, units)


_VECTORS: dict[str, np.ndarray] = {}  # chunk id -> vector, the same for the whole run


def rank(
    embeddings: OnnxMiniLMEmbeddings, question: str, chunks: Sequence[Chunk], k: int = 6
) -> list[Retrieved]:
    """The ``k`` chunks closest to the question, best first."""
    missing = [c for c in chunks if c.chunk_id not in _VECTORS]
    if missing:
        fresh = embeddings.embed_array([f"{c.title}\n{c.section}\n{c.text}" for c in missing])
        _VECTORS.update(zip((c.chunk_id for c in missing), fresh, strict=True))
    vectors = np.stack([_VECTORS[c.chunk_id] for c in chunks])
    sims = vectors @ np.asarray(embeddings.embed_query(question), dtype=np.float32)
    order = sorted(range(len(chunks)), key=lambda i: (-float(sims[i]), i))[:k]
    return [
        Retrieved(chunk=chunks[i], score=float(sims[i]), similarity=float(sims[i])) for i in order
    ]


@pytest.fixture(scope="session")
def context_for(
    embeddings: OnnxMiniLMEmbeddings, all_chunks: list[Chunk]
) -> Callable[..., list[Retrieved]]:
    """Context for a question: the best chunks of all the guides (or of the ones given)."""

    def context(question: str, chunks: Sequence[Chunk] | None = None, k: int = 6):
        return rank(embeddings, question, all_chunks if chunks is None else chunks, k)

    return context


@pytest.fixture(scope="session")
def ask(generator: ExtractiveGenerator, context_for: Callable[..., list[Retrieved]]) -> Ask:
    """Answer a question over its context: the streamed pieces and the final draft."""

    def answer(question: str, chunks: Sequence[Chunk] | None = None, k: int = 6):
        return generator.compose(question, context_for(question, chunks, k), [])

    return answer
