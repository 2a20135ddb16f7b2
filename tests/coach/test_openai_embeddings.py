"""OpenAI embeddings (OpenAIEmbeddings) against the scripted server: ingest, query, mismatch."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.embeddings import OnnxMiniLMEmbeddings
from coach.errors import EmbeddingMismatchError
from coach.factory import make_store
from coach.retrieval import HybridRetriever, Query
from coach.store import GuideStore, make_chroma_client
from ingest.pipeline import run_ingest
from tests.openai_double.server import EMBEDDING_DIM, OpenAIServer
from tests.openai_double.support import llm_coach_for, llm_settings_for
from tests.support import SEEDS

MARKET_GUIDE = "ai-engineering-job-market-for-backend-developers.md"


def test_ingest_and_query_with_openai_embeddings(
    openai_server: OpenAIServer, tmp_path: Path, embeddings: OnnxMiniLMEmbeddings
) -> None:
    settings = llm_settings_for(
        openai_server, tmp_path / ".coach", embedding_provider="openai", relevance_floor=0.05
    )
    store = make_store(settings)
    assert store.model_id == "text-embedding-3-small"
    report = run_ingest([SEEDS], store, settings)
    assert report.ok and report.chunks_total == store.count() > 0
    requests = openai_server.embedding_requests()
    assert requests and all(r.body["model"] == "text-embedding-3-small" for r in requests)
    assert all(r.headers["authorization"] == "Bearer sk-test" for r in requests)
    # Every chunk is embedded once (its units beside it); the summary then asks its starters.
    chunk_texts = {c.embedding_text() for c in store.all_chunks()}
    sent = [t for r in requests for t in r.body["input"] if t in chunk_texts]
    assert sorted(sent) == sorted(chunk_texts)

    retrieval = HybridRetriever(store, settings).retrieve([Query("salary expectations")])
    assert MARKET_GUIDE in retrieval.sources
    assert len(store.embeddings.embed_query("salary")) == EMBEDDING_DIM

    # A whole turn with both the LLM and its embeddings on the server.
    coach = llm_coach_for(settings, store, tmp_path / "history.db")
    answer = coach.ask("What salary can I expect as an AI engineer?")
    assert answer.mode == "llm" and answer.citations and not answer.refused
    coach.history.engine.dispose()

    # The same store opened with the local model is refused, with the way out.
    local = GuideStore(make_chroma_client(settings), settings.collection, embeddings)
    with pytest.raises(EmbeddingMismatchError, match="coach ingest --reset"):
        local.count()
    with pytest.raises(EmbeddingMismatchError):
        run_ingest([SEEDS], local, settings)
    report = run_ingest(
        [SEEDS / "backend-engineer-to-ai-engineer-roadmap.md"], local, settings, reset=True
    )
    assert report.ok and local.count() == report.chunks_total
