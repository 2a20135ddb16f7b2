"""The coach as LangChain parts: a retriever and a runnable that LangChain apps compose."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from coach.factory import Parts
from coach.langchain import CoachRetriever, coach_runnable
from coach.settings import Settings
from coach.store import GuideStore

QUESTION = "How long does it take to move from backend to AI engineering?"


class Seen(BaseCallbackHandler):
    """Names the runs LangChain reports."""

    def __init__(self) -> None:
        self.retrievers: list[str] = []
        self.chains: list[str] = []

    def on_retriever_start(self, serialized: Any, query: str, **kwargs: Any) -> None:
        self.retrievers.append(f"start {query}")

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.retrievers.append(f"end {len(documents)}")

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.chains.append(str(kwargs.get("name") or (serialized or {}).get("name")))


def test_the_retriever_returns_documents_that_a_citation_can_use(parts: Parts) -> None:
    docs = CoachRetriever.from_parts(parts).invoke(QUESTION)
    assert docs and all(isinstance(d, Document) for d in docs)
    first = docs[0].metadata
    assert {"source", "title", "section", "chunk_id", "score"} <= set(first)
    assert first["source"].endswith((".md", ".txt"))
    assert docs[0].page_content
    assert docs == sorted(docs, key=lambda d: -d.metadata["score"])


def test_the_retriever_batches_and_runs_async(parts: Parts) -> None:
    retriever = CoachRetriever.from_parts(parts)
    one, two = retriever.batch([QUESTION, "What do AI engineers earn?"])
    assert one and two and one[0].metadata["chunk_id"] != two[0].metadata["chunk_id"]
    again = asyncio.run(retriever.ainvoke(QUESTION))
    assert [d.metadata["chunk_id"] for d in again] == [d.metadata["chunk_id"] for d in one]


def test_the_runnable_answers_with_citations_and_keeps_the_session(parts: Parts) -> None:
    chain = coach_runnable(parts)
    answer = chain.invoke(QUESTION)
    assert not answer["refused"] and answer["citations"]
    assert "[1]" in answer["answer"]
    follow = chain.invoke({"question": "And the salary?", "session_id": answer["session_id"]})
    assert follow["session_id"] == answer["session_id"]
    turns = parts.history.recent_turns(answer["session_id"], 10)
    assert [t.role for t in turns] == ["user", "assistant", "user", "assistant"]


def test_the_runnable_streams_text_then_the_answer(parts: Parts) -> None:
    pieces = list(coach_runnable(parts).stream(QUESTION))
    texts = [p for p in pieces if isinstance(p, str)]
    assert texts and isinstance(pieces[-1], dict)
    assert "".join(texts) == pieces[-1]["answer"]


def test_an_uncovered_question_is_refused(parts: Parts) -> None:
    answer = coach_runnable(parts).invoke("How do I become an airline pilot?")
    assert answer["refused"] and not answer["citations"]


def test_callbacks_see_the_retriever_and_the_answer_runs(parts: Parts) -> None:
    seen = Seen()
    coach_runnable(parts).invoke(QUESTION, config={"callbacks": [seen]})
    start, end = seen.retrievers  # the answer's own retrieval is traced: it runs once
    assert start.startswith(f"start {QUESTION}") and end.startswith("end ") and end != "end 0"
    assert "answer" in seen.chains


def test_the_readme_example_composes_the_retriever_into_an_lcel_chain(parts: Parts) -> None:
    def format_docs(docs: list[Document]) -> str:
        return "\n\n".join(f"[{d.metadata['source']}] {d.page_content}" for d in docs)

    prompt = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    seen: list[str] = []

    def keep(value: Any) -> Any:
        seen.append(value.to_string())
        return value

    llm = FakeListChatModel(responses=["It takes 3-6 months."])
    chain = (
        {
            "context": CoachRetriever.from_parts(parts) | format_docs,
            "question": RunnablePassthrough(),
        }
        | prompt
        | keep
        | llm
        | StrOutputParser()
    )
    assert chain.invoke(QUESTION) == "It takes 3-6 months."
    assert QUESTION in seen[0] and (".md]" in seen[0] or ".txt]" in seen[0])


@pytest.mark.parametrize("bad", ["", "   "])
def test_an_empty_question_is_a_clear_error(parts: Parts, bad: str) -> None:
    from coach.errors import InputError

    with pytest.raises(InputError, match="empty"):
        CoachRetriever.from_parts(parts).invoke(bad)


def test_both_build_from_the_settings_when_given_nothing(
    seeded_settings: Settings, seeded_store: GuideStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `coach ask` does: the environment names the store."""
    monkeypatch.setenv("COACH_DATA_DIR", str(seeded_settings.data_dir))
    monkeypatch.setenv("COACH_COLLECTION", seeded_settings.collection)
    docs = CoachRetriever().invoke(QUESTION)
    assert docs and docs[0].metadata["chunk_id"]
    assert coach_runnable().invoke(QUESTION)["citations"]
