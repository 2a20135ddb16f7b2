"""The coach as LangChain parts: a ``BaseRetriever`` over its hybrid retrieval, and the whole
chain as a ``Runnable``, so a LangChain app can compose either into its own chains.

Both build the coach from the settings (the environment, as ``coach ask`` does) when given
nothing, once, and accept an existing ``Parts`` (tests, servers) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator
from langchain_core.runnables.config import get_callback_manager_for_config
from pydantic import ConfigDict, Field

from coach.chain import Completed, Delta
from coach.factory import Parts, build
from coach.retrieval import Query, Retrieval
from coach.schema import Restart
from coach.settings import Settings


def _built(parts: Parts | None) -> Parts:
    return parts if parts is not None else build(Settings())


def as_document(found: Any) -> Document:
    """A retrieved chunk as a LangChain ``Document`` with what a citation needs."""
    chunk = found.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.chunk_id,
        metadata={
            "source": chunk.source,
            "title": chunk.title,
            "section": chunk.section,
            "chunk_id": chunk.chunk_id,
            "score": found.score,
        },
    )


class CoachRetriever(BaseRetriever):
    """The coach's hybrid retrieval (vectors + BM25, fused, capped per guide) as a retriever.

    ``CoachRetriever().invoke("How long does the move take?")`` returns the context the coach
    itself would answer from, best first; ``.batch`` and ``.ainvoke`` come from LangChain.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    parts: Parts = Field(default_factory=lambda: build(Settings()), exclude=True)

    @classmethod
    def from_parts(cls, parts: Parts) -> CoachRetriever:
        return cls(parts=parts)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        coach = self.parts.coach
        queries, _ = coach.queries_for(coach.clean_question(query), [])
        return [as_document(r) for r in coach.retriever.retrieve(queries).context]


def _question(value: str | dict[str, Any]) -> tuple[str, str | None]:
    if isinstance(value, str):
        return value, None
    return str(value.get("question", "")), value.get("session_id")


def traced_retrieval(parts: Parts, config: RunnableConfig) -> Callable[[list[Query]], Retrieval]:
    """The coach's retrieval reported to the run's callbacks as a ``retrieve`` retriever run."""

    def retrieve(queries: list[Query]) -> Retrieval:
        manager = get_callback_manager_for_config(config)
        run = manager.on_retriever_start(None, queries[-1].text, name="retrieve")
        try:
            found = parts.coach.retriever.retrieve(queries)
        except BaseException as exc:
            run.on_retriever_error(exc)
            raise
        run.on_retriever_end([as_document(r) for r in found.context])
        return found

    return retrieve


def coach_runnable(parts: Parts | None = None) -> Runnable[Any, Any]:
    """The coach's whole chain as a ``Runnable``.

    ``.invoke("question")`` or ``.invoke({"question": ..., "session_id": ...})`` returns the
    answer contract as a dict; ``.stream`` yields the answer's text pieces, then that dict.
    The run shows its steps to callbacks and tracing: ``answer`` (the conversational chain)
    and, inside it, ``retrieve``: the one retrieval the answer cites, for the standalone
    question the conversation makes of the message.
    """
    built = _built(parts)

    def answer(value: Iterator[Any], config: RunnableConfig) -> Iterator[Any]:
        retrieve = traced_retrieval(built, config)
        for item in value:
            question, session_id = _question(item)
            for event in built.coach.stream(question, session_id, retrieve=retrieve):
                if isinstance(event, Delta):
                    yield event.text
                elif isinstance(event, Restart):
                    yield "\n\n"  # the answer from the guides follows
                elif isinstance(event, Completed):
                    yield event.answer.model_dump()

    # RunnableGenerator passes the run's config to a function that takes one (its typing
    # lists only the one-argument form).
    return _FinalAnswer(RunnableGenerator(answer, name="answer"))  # type: ignore[arg-type]


class _FinalAnswer(Runnable[Any, Any]):
    """``invoke`` returns the final dict; ``stream`` passes every piece through."""

    def __init__(self, chain: Runnable[Any, Any]) -> None:
        self.chain = chain
        self.name = "career_coach"

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        final: Any = None
        for piece in self.chain.stream(input, config, **kwargs):
            if isinstance(piece, dict):
                final = piece
        return final

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        yield from self.chain.stream(input, config, **kwargs)
