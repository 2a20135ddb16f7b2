"""The Chroma collection of guide chunks: embedded by default, a Chroma server when configured."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from coach.embeddings import embedding_model_id
from coach.errors import ConfigError, EmbeddingMismatchError, StoreUnavailableError
from coach.schema import Chunk
from coach.settings import Settings

IN_MEMORY_CHUNKS = 20_000  # up to this many chunks, vector search runs on an in-memory copy
COUNT_TTL = 1.0  # seconds a chunk count is trusted before Chroma is asked again
MODEL_KEY = "embedding_model"
RECIPE_KEY = "embedding_recipe"
# How a chunk becomes embedded text (Chunk.embedding_text); a change needs a re-ingest.
EMBEDDING_RECIPE = "title-section-text/3-section-units"  # units: whole sentences of a section


def make_chroma_client(settings: Settings) -> ClientAPI:
    """A ``PersistentClient`` under the data dir, or an ``HttpClient`` for ``CHROMA_URL``
    whose every request gives up after ``settings.chroma_timeout`` seconds."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"CHROMA_URL must look like http://host:8000, not {url.geturl()!r}")
        timeout = httpx.Timeout(settings.chroma_timeout)
        try:
            # chromadb's client talks to the server as it is built, with no timeout of its
            # own: a server that accepts but never answers is found out here first
            httpx.get(f"{settings.chroma_url.rstrip('/')}/api/v2/heartbeat", timeout=timeout)
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
            why = (
                f"no answer within {settings.chroma_timeout:g} s (COACH_CHROMA_TIMEOUT)"
                if isinstance(exc, httpx.TimeoutException)
                else str(exc)
            )
            raise StoreUnavailableError(
                f"Cannot reach the Chroma server at {settings.chroma_url}: {why}. "
                "Start it (chroma run) or unset CHROMA_URL to use the embedded store."
            ) from exc
        _limit_requests(client, timeout)
        return client
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


def _limit_requests(client: ClientAPI, timeout: httpx.Timeout) -> None:
    """Put ``timeout`` on the HTTP session of chromadb's client (it creates it with none)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        raise ConfigError(
            f"This chromadb version ({chromadb.__version__}) keeps its HTTP session elsewhere: "
            "Chroma requests would have no timeout. Install the version pyproject.toml names."
        )
    session.timeout = timeout


def _close_quietly(client: ClientAPI) -> None:
    with contextlib.suppress(Exception):
        client.close()  # type: ignore[attr-defined]


class GuideStore:
    """Reads and writes the chunks of the guides; guards against mixing embedding models."""

    def __init__(
        self,
        client: ClientAPI,
        name: str,
        embeddings: Embeddings,
        connect: Callable[[], ClientAPI] | None = None,
    ) -> None:
        self.client = client
        self.connect = connect  # a fresh client, for reloading after another process wrote
        self.name = name
        self.embeddings = embeddings
        self.model_id = embedding_model_id(embeddings)
        self._collection: Collection | None = None
        self._chunks_cache: tuple[int, list[Chunk]] | None = None
        self._count_cache: tuple[float, int] | None = None
        self._matrix: np.ndarray | None = None

    @property
    def collection(self) -> Collection:
        """The collection, created on first use and checked against the embedding model."""
        if self._collection is None:
            collection = self.client.get_or_create_collection(
                self.name,
                embedding_function=None,
                metadata={MODEL_KEY: self.model_id, RECIPE_KEY: EMBEDDING_RECIPE},
                configuration={"hnsw": {"space": "cosine"}},
            )
            meta = collection.metadata or {}
            stored = meta.get(MODEL_KEY)
            if stored and stored != self.model_id:
                raise EmbeddingMismatchError(str(stored), self.model_id)
            if stored and meta.get(RECIPE_KEY) != EMBEDDING_RECIPE:
                raise EmbeddingMismatchError(
                    f"{stored} ({meta.get(RECIPE_KEY) or 'an older recipe'})",
                    f"{self.model_id} ({EMBEDDING_RECIPE})",
                )
            self._collection = collection
        return self._collection

    def recorded(self) -> tuple[str | None, str | None]:
        """The embedding model and recipe the stored collection was built with (None, None
        when there is no collection yet)."""
        try:
            meta = self.client.get_collection(self.name).metadata or {}
        except Exception:  # absent: chromadb's error types vary by version
            return None, None
        model, recipe = meta.get(MODEL_KEY), meta.get(RECIPE_KEY)
        return (str(model) if model else None), (str(recipe) if recipe else None)

    def reset(self) -> None:
        """Drop every chunk (and the recorded embedding model)."""
        with contextlib.suppress(Exception):  # already absent: chromadb's error types vary
            self.client.delete_collection(self.name)
        self._collection = None
        self._changed()

    def metadata_value(self, key: str) -> str | int | float | bool | None:
        """A value stored in the collection's metadata (None when absent)."""
        value = (self.collection.metadata or {}).get(key)
        return value if isinstance(value, str | int | float | bool) else None

    def set_metadata_value(self, key: str, value: str | int | float | bool) -> None:
        """Set one metadata key. Chroma's ``modify`` replaces the whole mapping: merge it."""
        collection = self.collection
        merged = {**(collection.metadata or {}), key: value}
        collection.modify(metadata=merged)

    def count(self) -> int:
        """Chunks stored; re-read at most every COUNT_TTL seconds (another process may ingest).

        An embedded store with a loaded snapshot answers from it (see ``_snapshot``).
        """
        if self.connect is not None and self._chunks_cache is not None:
            return self._chunks_cache[0]
        now = time.monotonic()
        if self._count_cache is None or now - self._count_cache[0] > COUNT_TTL:
            self._count_cache = (now, self.collection.count())
        return self._count_cache[1]

    def _changed(self) -> None:
        self._chunks_cache = None
        self._count_cache = None

    def stored_hashes(self) -> dict[str, tuple[str, str]]:
        """chunk_id -> (source, content_hash) of everything stored."""
        got = self.collection.get(include=["metadatas"])
        return {
            chunk_id: (str(meta.get("source", "")), str(meta.get("content_hash", "")))
            for chunk_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True)
        }

    def write(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace ``chunks`` with their precomputed vectors."""
        if not chunks:
            return
        self.collection.upsert(
            ids=[c.chunk_id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[c.metadata() for c in chunks],
            embeddings=[list(v) for v in vectors],  # type: ignore[arg-type]
        )
        self._changed()

    def delete(self, chunk_ids: Sequence[str]) -> None:
        if chunk_ids:
            self.collection.delete(ids=list(chunk_ids))
            self._changed()

    def all_chunks(self) -> list[Chunk]:
        """Every stored chunk, in guide order (cached until the collection changes)."""
        return self._snapshot()[0]

    def _snapshot(self) -> tuple[list[Chunk], np.ndarray | None]:
        """The chunks in guide order and, for a small collection, their vectors in memory.

        Loaded once and kept until this store writes or :meth:`reload` swaps in a new one.
        A Chroma server is re-read when its count changes (another process ingested); an
        embedded store learns that through the derived store's generation instead, since
        its old client cannot read what another process wrote.
        """
        cache = self._chunks_cache
        if cache is not None and (self.connect is not None or cache[0] == self.count()):
            return cache[1], self._matrix
        count, chunks, matrix = self._read_snapshot(self.collection)
        self._chunks_cache, self._matrix = (count, chunks), matrix
        return chunks, matrix

    @staticmethod
    def _read_snapshot(collection: Collection) -> tuple[int, list[Chunk], np.ndarray | None]:
        count = collection.count()
        in_memory = count <= IN_MEMORY_CHUNKS
        include = ["documents", "metadatas", *(["embeddings"] if in_memory else [])]
        got = collection.get(include=include)  # type: ignore[arg-type]
        vectors = got["embeddings"] if in_memory else None
        rows = sorted(
            zip(
                got["ids"],
                got["documents"] or [],
                got["metadatas"] or [],
                list(vectors) if vectors is not None else [None] * len(got["ids"]),
                strict=True,
            ),
            key=lambda row: (
                str((row[2] or {}).get("source", "")),
                (row[2] or {}).get("position", 0),
            ),
        )
        chunks = [Chunk.from_record(cid, doc or "", meta or {}) for cid, doc, meta, _ in rows]
        matrix = None
        if in_memory and rows:
            matrix = np.asarray([row[3] for row in rows], dtype=np.float32)
            matrix /= np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)
        return len(chunks), chunks, matrix

    def reload(self) -> list[Chunk]:
        """Read the collection anew through a fresh client and swap it in.

        Chroma shares one engine per path within a process, and an engine that another
        process wrote under cannot read the new rows; so the old client is closed first
        (requests meanwhile answer from the snapshot in memory), then a new one reads.
        """
        if self.connect is not None:
            _close_quietly(self.client)
            self.client = self.connect()
        collection = self.client.get_collection(self.name)
        count, chunks, matrix = self._read_snapshot(collection)
        self._collection = collection
        self._chunks_cache, self._matrix = (count, chunks), matrix
        self._count_cache = (time.monotonic(), count)
        return chunks

    def search(self, vector: Sequence[float], n: int) -> list[tuple[Chunk, float]]:
        """The ``n`` nearest chunks with their cosine similarity, best first.

        A small collection (the guides are ~100 chunks) is searched exactly in memory from a
        snapshot of Chroma's vectors — microseconds instead of a query per call; a large one
        is queried in Chroma.
        """
        n = min(n, self.count())
        if n <= 0:
            return []
        chunks, matrix = self._snapshot()
        if matrix is not None:
            query = np.asarray(vector, dtype=np.float32)
            sims = matrix @ (query / max(float(np.linalg.norm(query)), 1e-12))
            best = np.argsort(-sims, kind="stable")[:n]
            return [(chunks[i], float(sims[i])) for i in best]
        got = self.collection.query(
            query_embeddings=[list(vector)],  # type: ignore[arg-type]
            n_results=n,
            include=["documents", "metadatas", "distances"],
        )
        ids = got["ids"][0]
        docs = (got["documents"] or [[]])[0]
        metas = (got["metadatas"] or [[]])[0]
        dists = (got["distances"] or [[]])[0]
        return [
            (Chunk.from_record(cid, doc or "", meta or {}), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(ids, docs, metas, dists, strict=True)
        ]
