"""What ingest computes once beside the chunks: each chunk's units and their vectors.

One file per guide under ``<data dir>/derived/<collection>/`` (an ``.npz`` with the unit
vectors and a JSON header), keyed by chunk id and content hash, embedding model and recipe.
Ingest rewrites a changed guide's file only and deletes a removed guide's; a ``generation``
file, rewritten at the end of every ingest, tells a running server to reload.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from coach.units.split import Unit

FORMAT = "units/7"  # 7: keyword terms fold British spellings
GENERATION_FILE = "generation"


@dataclass(frozen=True)
class ChunkUnits:
    """A chunk's units in reading order, each with two vectors (float32, L2-normed): read in
    its chunk, and read on its own with its guide's title and heading."""

    chunk_id: str
    content_hash: str
    units: tuple[Unit, ...]
    vectors: np.ndarray  # the unit as its chunk's passage shapes it
    terms: tuple[str, ...] = ()  # the keyword index's words for the chunk (section + text)
    own: np.ndarray | None = None  # the unit on its own; None: the same as ``vectors``

    @property
    def own_vectors(self) -> np.ndarray:
        return self.vectors if self.own is None else self.own


def _unit_from(data: Mapping[str, object]) -> Unit:
    fields = dict(data)
    fields["headings"] = tuple(fields.get("headings", ()))  # type: ignore[arg-type]
    return Unit(**fields)  # type: ignore[arg-type]


def _stacked(blocks: Sequence[np.ndarray], records: Sequence[ChunkUnits]) -> np.ndarray:
    """The records' unit vectors as one float16 matrix, in record order."""
    dim = next((b.shape[1] for b in blocks if b.size), 0)
    rows = [b.reshape(len(r.units), dim) for b, r in zip(blocks, records, strict=True) if r.units]
    return np.concatenate(rows).astype(np.float16) if rows else np.zeros((0, dim))


class DerivedStore:
    """Reads and writes the per-guide unit files of one collection."""

    def __init__(self, root: Path, model_id: str, recipe: str) -> None:
        self.root = root
        self.model_id = model_id
        self.recipe = recipe

    @classmethod
    def for_collection(
        cls, data_dir: Path, collection: str, model_id: str, recipe: str
    ) -> DerivedStore:
        return cls(data_dir / "derived" / collection, model_id, recipe)

    def _path(self, source: str) -> Path:
        digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:20]
        return self.root / f"{digest}.npz"

    def save(self, source: str, records: Sequence[ChunkUnits]) -> None:
        """Replace ``source``'s file with ``records`` (its chunks, in guide order)."""
        self.root.mkdir(parents=True, exist_ok=True)
        header = {
            "format": FORMAT,
            "model": self.model_id,
            "recipe": self.recipe,
            "source": source,
            "chunks": [
                {
                    "chunk_id": r.chunk_id,
                    "content_hash": r.content_hash,
                    "units": [asdict(u) for u in r.units],
                    "terms": list(r.terms),
                }
                for r in records
            ],
        }
        vectors = _stacked([r.vectors for r in records], records)
        own = _stacked([r.own_vectors for r in records], records)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, header=np.array(json.dumps(header)), vectors=vectors, own=own)
            os.replace(tmp, self._path(source))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, sources: Iterable[str]) -> None:
        for source in sources:
            self._path(source).unlink(missing_ok=True)

    def clear(self) -> None:
        if self.root.is_dir():
            for path in self.root.glob("*.npz"):
                path.unlink(missing_ok=True)

    def load_source(self, source: str) -> dict[str, ChunkUnits]:
        """``source``'s records by chunk id ({} when it has no file or another model's)."""
        return self._read(self._path(source))

    def load(self) -> dict[str, ChunkUnits]:
        """Every record of this model and recipe, by chunk id."""
        found: dict[str, ChunkUnits] = {}
        if self.root.is_dir():
            for path in sorted(self.root.glob("*.npz")):
                found.update(self._read(path))
        return found

    def _read(self, path: Path) -> dict[str, ChunkUnits]:
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                vectors = np.asarray(data["vectors"], dtype=np.float32)
                own = np.asarray(data["own"], dtype=np.float32)
        except (OSError, ValueError, KeyError):
            return {}
        if (header.get("format"), header.get("model"), header.get("recipe")) != (
            FORMAT,
            self.model_id,
            self.recipe,
        ):
            return {}
        found: dict[str, ChunkUnits] = {}
        row = 0
        for entry in header.get("chunks", []):
            units = tuple(_unit_from(u) for u in entry["units"])
            rows = slice(row, row + len(units))
            row += len(units)
            found[entry["chunk_id"]] = ChunkUnits(
                entry["chunk_id"],
                entry["content_hash"],
                units,
                vectors[rows],
                tuple(entry["terms"]),
                own=own[rows],
            )
        return found

    # Telling a running server that the guides changed ------------------------------------

    def bump(self) -> str:
        """Record a new generation (the end of an ingest run)."""
        self.root.mkdir(parents=True, exist_ok=True)
        marker = uuid.uuid4().hex
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(marker)
        os.replace(tmp, self.root / GENERATION_FILE)
        return marker

    def generation(self) -> str:
        """The current generation ('' before the first ingest)."""
        try:
            return (self.root / GENERATION_FILE).read_text().strip()
        except OSError:
            return ""
