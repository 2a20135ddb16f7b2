"""Embeddings for the ingestion tests: the real model behind a recorder, and fault injectors."""

from __future__ import annotations

import hashlib

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.embeddings import OnnxMiniLMEmbeddings


class RecordingEmbeddings(Embeddings):
    """The real model, recording every text it is asked to embed."""

    def __init__(self, inner: OnnxMiniLMEmbeddings, cache: dict[str, list[float]]) -> None:
        self.inner = inner
        self.cache = cache
        self.embedded: list[str] = []

    @property
    def model_name(self) -> str:  # the store records the real model's name
        return self.inner.model_name

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [self.cache[t] for t in texts]

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The local model's one pass for chunks and their units (recorded like a chunk)."""
        self.embedded.extend(texts)
        return self.inner.embed_with_spans(texts, spans)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


class FailingEmbeddings(Embeddings):
    """A fault injector: the configured model's name, but every call raises ``error``."""

    model_name = OnnxMiniLMEmbeddings.model_name

    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        raise self.error

    def embed_query(self, text: str) -> list[float]:
        raise self.error


class OtherModelEmbeddings(Embeddings):
    """Deterministic 8-d vectors under another model name (to provoke a model mismatch)."""

    model_name = "another-embedding-model"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255 + 0.01 for b in digest[:8]]
