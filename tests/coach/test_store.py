"""The Chroma store: embedded, a real `chroma run` server, and the embedding-model guard."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.errors import ConfigError, EmbeddingMismatchError
from coach.library import read_library
from coach.schema import Chunk
from coach.store import GuideStore, make_chroma_client
from ingest.pipeline import run_ingest
from tests.support import NURSING, make_settings


def _chunk(i: int, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"c{i}",
        text=text,
        source="guide.md",
        title="Guide",
        section=f"Section {i}",
        position=i,
        tokens=len(text.split()),
        content_hash=f"h{i}",
    )


class OtherModel:
    """Any other embedding model: same dimension, another name."""

    model_name = "some-other-model"

    def __init__(self, inner) -> None:
        self.inner = inner

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_write_search_and_mismatch_guard(tmp_path: Path, embeddings):
    settings = make_settings(tmp_path / ".coach")
    client = make_chroma_client(settings)
    store = GuideStore(client, settings.collection, embeddings)
    texts = ["Salaries for architects", "Learning Docusaurus", "Kubernetes basics"]
    chunks = [_chunk(i, t) for i, t in enumerate(texts)]
    store.write(chunks, embeddings.embed_documents(texts))
    assert store.count() == 3
    best, similarity = store.search(embeddings.embed_query("How much do architects earn?"), 2)[0]
    assert best.chunk_id == "c0" and 0 < similarity <= 1
    assert [c.chunk_id for c in store.all_chunks()] == ["c0", "c1", "c2"]
    assert store.collection.metadata["embedding_model"] == embeddings.model_name

    other = GuideStore(make_chroma_client(settings), settings.collection, OtherModel(embeddings))
    with pytest.raises(EmbeddingMismatchError, match="--reset"):
        other.count()
    other.reset()
    assert other.count() == 0  # rebuilt for the new model


def test_bad_chroma_url_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="CHROMA_URL"):
        make_chroma_client(make_settings(tmp_path, chroma_url="localhost:8000"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on loopback."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert exe, "the chroma CLI ships with chromadb"
    port = _free_port()
    proc = subprocess.Popen(
        [
            exe,
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_chroma_server_when_chroma_url_is_set(tmp_path: Path, embeddings, chroma_server: str):
    settings = make_settings(tmp_path / ".coach", chroma_url=chroma_server)
    store = GuideStore(make_chroma_client(settings), settings.collection, embeddings)
    texts = ["Salaries for architects", "Learning Docusaurus"]
    store.write([_chunk(i, t) for i, t in enumerate(texts)], embeddings.embed_documents(texts))
    hits = store.search(embeddings.embed_query("Docusaurus tutorial"), 1)
    assert hits[0][0].chunk_id == "c1"
    assert not (tmp_path / ".coach" / "chroma").exists()  # nothing embedded was written


def test_a_store_embedded_another_way_asks_for_a_reset(tmp_path: Path, embeddings):
    settings = make_settings(tmp_path / ".coach")
    client = make_chroma_client(settings)
    client.create_collection(
        settings.collection,
        embedding_function=None,
        metadata={"embedding_model": embeddings.model_name},  # built before the recipe existed
    )
    with pytest.raises(EmbeddingMismatchError, match="--reset"):
        GuideStore(client, settings.collection, embeddings).count()


def test_in_memory_search_ranks_as_chroma_does(seeded_store: GuideStore):
    """The in-memory copy of a small collection gives Chroma's own ranking and similarities."""
    vector = seeded_store.embeddings.embed_query("What do AI Documentation Engineers earn?")
    ours = seeded_store.search(vector, 8)
    got = seeded_store.collection.query(
        query_embeddings=[vector], n_results=8, include=["distances"]
    )
    assert [c.chunk_id for c, _ in ours] == got["ids"][0]
    for (_, similarity), distance in zip(ours, got["distances"][0], strict=True):
        assert abs(similarity - (1 - distance)) < 1e-4


def test_the_library_summary_travels_with_a_server_collection(
    tmp_path: Path, embeddings, chroma_server: str
):
    settings = make_settings(tmp_path / ".coach", chroma_url=chroma_server)
    store = GuideStore(make_chroma_client(settings), settings.collection, embeddings)
    run_ingest([NURSING], store, settings)
    fresh = GuideStore(make_chroma_client(settings), settings.collection, embeddings)
    library = read_library(fresh)  # another client, as another process would open it
    assert library is not None and len(library.guides) == 3 and library.starters
    assert fresh.metadata_value("embedding_model") == embeddings.model_name  # kept beside it
