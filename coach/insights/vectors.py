"""Question vectors from the coach's embeddings, kept by content hash between runs."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.embeddings import embedding_model_id
from coach.packed_vector import decode


def _embed(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    embed_array = getattr(embeddings, "embed_array", None)
    rows = embed_array(texts) if embed_array else embeddings.embed_documents(texts)
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
    return matrix / np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)


class QuestionVectors:
    """Unit vectors of questions; only new texts are embedded.

    The file holds the vectors of the last run's questions only, so a question deleted or
    purged from the history leaves it on the next run. ``path`` None keeps nothing.
    """

    def __init__(self, embeddings: Embeddings, path: Path | None = None) -> None:
        self.embeddings = embeddings
        self.path = path
        self._model = embedding_model_id(embeddings)
        self._given: dict[str, np.ndarray] = {}

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self._model}\n{text}".encode()).hexdigest()

    def _load(self) -> dict[str, np.ndarray]:
        if self.path is None or not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                return dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
        except (OSError, ValueError, KeyError):
            return {}  # an unreadable cache is rebuilt

    def _save(self, keys: list[str], matrix: np.ndarray) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Each writer its own partial file; the last complete one wins.
        partial = self.path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.partial.npz")
        np.savez(partial, keys=np.asarray(keys), vectors=matrix)
        os.replace(partial, self.path)

    def remember(self, stored: list[tuple[str, str | None, str | None]]) -> None:
        """Take the vectors stored with the questions (text, packed vector, model): those of
        this model are used instead of embedding the text again."""
        self._given = {
            self._key(text): vector
            for text, packed, model in stored
            if model == self._model and (vector := decode(packed)) is not None
        }

    def of(self, texts: list[str]) -> np.ndarray:
        """One unit row per text, in order."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        known = self._load() | self._given
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in known))
        if missing:
            fresh = _embed(self.embeddings, missing)
            known.update(zip((self._key(t) for t in missing), fresh, strict=True))
        matrix = np.stack([known[k] for k in keys]).astype(np.float32)
        unique = list(dict.fromkeys(keys))
        if missing or len(unique) != len(known):
            self._save(unique, np.stack([known[k] for k in unique]))
        return matrix
