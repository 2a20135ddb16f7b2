"""Follow-ups understood from history, offline; history budgeted in tokens."""

from __future__ import annotations

from coach.conversation import build_queries, looks_like_follow_up, trim_history
from coach.retrieval import HybridRetriever
from coach.schema import Turn
from coach.settings import Settings
from coach.store import GuideStore
from coach.tokens import count_tokens

ARCHITECT = "ai-solutions-architect-transition-guide.txt"
DOC = "ai-documentation-engineer-transition-guide.txt"


def test_trim_history_drops_oldest_first():
    turns = [Turn(role="user", content=f"message number {i} " + "word " * 30) for i in range(10)]
    kept = trim_history(turns, 120)
    assert kept and kept[-1] == turns[-1]
    assert kept == turns[-len(kept) :]
    assert sum(count_tokens(t.content) + 4 for t in kept) <= 120
    assert len(kept) < len(turns)
    assert trim_history(turns, 0) == []


def test_follow_up_detection(seeded_store: GuideStore, seeded_settings: Settings):
    idf = HybridRetriever(seeded_store, seeded_settings).keyword_index.idf
    assert looks_like_follow_up("What salary could I expect after the switch?", idf)
    assert looks_like_follow_up("And how long does it take?", idf)
    assert not looks_like_follow_up(
        "Which documentation tools like Sphinx, Docusaurus and Swagger should I learn?", idf
    )


def test_follow_up_retrieves_the_role_from_history(
    seeded_store: GuideStore, seeded_settings: Settings
):
    retriever = HybridRetriever(seeded_store, seeded_settings)
    history = [
        Turn(
            role="user",
            content="I'm a backend developer thinking about becoming an AI Solutions Architect",
        ),
        Turn(role="assistant", content="Your API and cloud experience carries over [1]."),
    ]
    question = "What salary could I expect after the switch?"
    queries, standalone = build_queries(question, history, retriever.keyword_index.idf)
    assert "architect" in standalone.lower()
    with_history = retriever.retrieve(queries)
    assert ARCHITECT in with_history.sources[:2]
    assert any("$160,000" in hit.chunk.text for hit in with_history.context)


def test_topic_change_keeps_the_new_question_in_charge(
    seeded_store: GuideStore, seeded_settings: Settings
):
    retriever = HybridRetriever(seeded_store, seeded_settings)
    history = [Turn(role="user", content="Tell me about becoming an AI Solutions Architect")]
    question = "Which documentation tools like Sphinx and Docusaurus should I practice with?"
    queries, standalone = build_queries(question, history, retriever.keyword_index.idf)
    assert standalone == question
    assert retriever.retrieve(queries).sources[0] == DOC


def test_no_history_means_the_question_alone():
    queries, standalone = build_queries("What skills transfer?", [], {"skill": 1.0})
    assert [q.text for q in queries] == ["What skills transfer?"]
    assert standalone == "What skills transfer?"


def test_the_coachs_own_answer_expands_a_follow_up_at_its_weight():
    idf = {"vector": 2.0, "databas": 2.0, "pinecon": 3.0, "learn": 0.3, "cost": 1.5}
    history = [
        Turn(role="user", content="What should I learn?"),
        Turn(role="assistant", content="Learn vector databases such as Pinecone [1]."),
    ]
    question = "How much does that cost?"
    _, without = build_queries(question, history, idf)
    assert without == question  # the user's words alone: "learn" is already in every chunk
    queries, standalone = build_queries(question, history, idf, answer_weight=0.3)
    assert standalone == f"{question} (pinecone databases vector)"  # rarest first
    assert "1" not in standalone.split()  # citation markers are not words
    assert [q.weight for q in queries][:2] == [0.6, 1.0]


def test_a_follow_up_keeps_the_earlier_topic_not_its_figures():
    idf = {"architect": 2.5, "earn": 2.0, "engin": 0.3, "130k": 3.0, "165k": 3.0, "senior": 2.2}
    history = [
        Turn(role="user", content="What do AI engineers earn?"),
        Turn(role="assistant", content="Senior AI Engineer: $130K - $165K [1]."),
    ]
    queries, standalone = build_queries("And architects?", history, idf, answer_weight=0.3)
    assert standalone == "And architects? (earn senior)"  # the answer's figures are not topic
    assert [q.text for q in queries] == ["And architects?", standalone]
    assert [q.weight for q in queries] == [0.6, 1.0]
