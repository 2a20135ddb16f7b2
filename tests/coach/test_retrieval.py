"""Hybrid retrieval over the real seed guides."""

from __future__ import annotations

import pytest

from coach.retrieval import HybridRetriever, Query
from coach.settings import Settings
from coach.store import GuideStore

DOC = "ai-documentation-engineer-transition-guide.txt"
MARKET = "ai-engineering-job-market-for-backend-developers.md"
ARCHITECT = "ai-solutions-architect-transition-guide.txt"
ENGINEER = "backend-developer-to-ai-engineer.txt"
ROADMAP = "backend-engineer-to-ai-engineer-roadmap.md"

# (question, a guide that must be among the retrieved context)
REPRESENTATIVE = [
    ("What do AI Documentation Engineers earn?", DOC),
    ("Which documentation tools should I learn, like Sphinx or Docusaurus?", DOC),
    ("How do I practice documenting an API with Swagger or Postman?", DOC),
    ("What salary can an AI Solutions Architect expect?", ARCHITECT),
    ("Which AWS certification helps a future solutions architect?", ARCHITECT),
    ("How do I learn client communication and project scoping?", ARCHITECT),
    ("What percentage of AI engineering job postings ask for production experience?", MARKET),
    ("How much does a mid-level AI engineer make?", MARKET),
    ("Which vector databases do employers ask for?", MARKET),
    ("How does database optimization map to AI engineering?", ENGINEER),
    ("What are the phases of the practical transition roadmap?", ENGINEER),
    ("Why do AI projects fail to reach production?", ENGINEER),
    ("What is the most important new skill for an AI engineer?", ROADMAP),
    ("How many months until I'm productive as an AI engineer?", ROADMAP),
    ("Should I learn agent patterns and LLM APIs like OpenAI and Anthropic?", ROADMAP),
    ("Is Andrew Ng's Machine Learning course recommended?", MARKET),
    ("What is hallucination management and LLM output validation?", ENGINEER),
]


@pytest.fixture
def retriever(seeded_store: GuideStore, seeded_settings: Settings) -> HybridRetriever:
    return HybridRetriever(seeded_store, seeded_settings)


@pytest.mark.parametrize(("question", "guide"), REPRESENTATIVE)
def test_finds_the_guide_that_answers(retriever: HybridRetriever, question: str, guide: str):
    found = retriever.retrieve([Query(question)])
    assert guide in found.sources[:3], f"{guide} not in {found.sources}"
    assert found.best_similarity >= retriever.settings.relevance_floor


def test_context_is_capped_per_guide_and_sized_k(retriever: HybridRetriever):
    found = retriever.retrieve([Query("What skills transfer from backend development?")])
    assert len(found.context) == retriever.settings.top_k
    per_guide: dict[str, int] = {}
    for hit in found.context:
        per_guide[hit.chunk.source] = per_guide.get(hit.chunk.source, 0) + 1
    assert max(per_guide.values()) <= retriever.settings.max_per_guide
    assert len(per_guide) >= 2


def test_comparison_question_sees_both_roles(retriever: HybridRetriever):
    found = retriever.retrieve(
        [Query("Compare the AI Solutions Architect and AI Documentation Engineer salaries")]
    )
    assert {ARCHITECT, DOC} <= set(found.sources)


def test_ranked_best_first_with_both_signals(retriever: HybridRetriever):
    found = retriever.retrieve([Query("RAG systems LangChain vector databases job postings")])
    scores = [hit.score for hit in found.context]
    assert scores == sorted(scores, reverse=True)
    assert any(hit.bm25 for hit in found.context)
    assert all(hit.similarity is not None for hit in found.context[:3])


def test_unrelated_question_falls_below_the_floor(retriever: HybridRetriever):
    found = retriever.retrieve([Query("What is a good recipe for banana bread?")])
    assert found.best_similarity < retriever.settings.relevance_floor


def test_keyword_index_follows_store_changes(retriever: HybridRetriever):
    first = retriever.keyword_index
    assert retriever.keyword_index is first  # cached while the store is unchanged
    assert first.idf and "architect" in first.idf


def test_unknown_topic_words_cost_relevance_but_unknown_names_do_not(retriever: HybridRetriever):
    penalty = retriever.settings.unknown_term_penalty
    named = retriever.retrieve([Query("What does an AI engineer earn in Berlin?")])
    assert named.unknown_terms == ["berlin"] and named.unknown_topics == []
    assert named.relevance == pytest.approx(named.best_similarity)  # the judge weighs names
    topic = retriever.retrieve([Query("What does an AI engineer earn as a plumber?")])
    assert topic.unknown_topics == ["plumber"]
    assert topic.relevance == pytest.approx(topic.best_similarity - penalty)


def test_warming_up_loads_the_keyword_index_the_chain_weighs_words_by(
    retriever: HybridRetriever,
):
    retriever.warm_up()
    assert retriever.idf is retriever.keyword_index.idf and retriever.idf
