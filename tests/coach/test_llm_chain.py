"""The coach with the LLM generator: condensing follow-ups, streaming, faults, storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.chain import Coach, Completed, Delta
from coach.citations import validate_citations
from coach.conversation import build_queries
from coach.factory import make_rewriter
from coach.llm.condense import QueryRewriter
from coach.retrieval import Query
from coach.schema import Turn
from coach.settings import Settings
from tests.openai_double.server import OpenAIServer, Reply
from tests.openai_double.support import citing
from tests.support import make_settings

DOC_GUIDE = "ai-documentation-engineer-transition-guide.txt"


def events_of(
    coach: Coach, question: str, session: str | None = None
) -> tuple[list[str], Completed]:
    deltas: list[str] = []
    for event in coach.stream(question, session):
        if isinstance(event, Delta):
            deltas.append(event.text)
        else:
            return deltas, event
    raise AssertionError("no Completed event")


def test_a_follow_up_is_condensed_and_the_standalone_question_is_retrieved(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    first = llm_coach.run("What skills do I need to become an AI engineer?")
    assert len(openai_server.chat_requests()) == 1  # no history: nothing to condense
    openai_server.reset()
    openai_server.responder = lambda _: Reply(text="Documentation engineers write guides [1].")
    standalone = "What does an AI Documentation Engineer do, coming from backend development?"
    openai_server.script(standalone)
    done = llm_coach.run("And what about the documentation role instead?", first.answer.session_id)
    condense, answer = openai_server.chat_requests()
    assert "standalone question" in condense.system
    assert "What skills do I need to become an AI engineer?" in condense.last_user
    assert "Latest message: And what about the documentation role instead?" in condense.last_user
    assert condense.body["temperature"] == 0
    assert done.standalone == standalone
    assert answer.last_user == standalone  # the generator answers the standalone question
    assert DOC_GUIDE in done.retrieval.sources
    assert done.answer.mode == "llm"


def test_a_failing_condense_step_falls_back_to_offline_expansion(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    history = [
        Turn(role="user", content="How long does it take to become an AI engineer?"),
        Turn(role="assistant", content="Three to six months [1]."),
    ]
    openai_server.script(*[Reply(status=500)] * 3)
    rewriter = llm_coach.rewriter
    assert rewriter is not None
    assert rewriter.rewrite("and the salary?", history) is None
    assert len(openai_server.chat_requests()) == 3  # retried, then given up
    expected = build_queries(
        "and the salary?",
        history,
        llm_coach.retriever.keyword_index.idf,
        llm_coach.settings.history_answer_weight,
    )
    openai_server.script(*[Reply(status=500)] * 3)
    assert llm_coach.queries_for("and the salary?", history) == expected


@pytest.mark.parametrize(
    "reply", ["and the salary?", '"And the salary"', "The guides don't cover that."]
)
def test_an_echoed_or_declined_condense_step_expands_offline(
    reply: str, openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    """A small model echoes or declines what it cannot resolve (issue 27): the offline
    expansion then runs, so retrieval is the offline coach's."""
    history = [
        Turn(role="user", content="How long does it take to become an AI engineer?"),
        Turn(role="assistant", content="Three to six months [1]."),
    ]
    openai_server.script(reply)
    expected = build_queries(
        "and the salary?",
        history,
        llm_coach.retriever.idf,
        llm_coach.settings.history_answer_weight,
    )
    assert llm_coach.queries_for("and the salary?", history) == expected
    assert len(openai_server.chat_requests()) == 1  # asked once, not retried


def test_the_rewrite_keeps_the_follow_up_as_a_weaker_query(
    openai_server: OpenAIServer, llm_settings: Settings
) -> None:
    rewriter = make_rewriter(llm_settings)
    assert isinstance(rewriter, QueryRewriter)
    history = [
        Turn(role="user", content="Tell me about AI solutions architects."),
        Turn(role="assistant", content="They design systems [1][2].\n\nSources:\n[1] A\n[2] B"),
    ]
    openai_server.script('"How much do AI solutions architects earn?"')
    rewritten = rewriter.rewrite("How much do they earn?", history)
    assert rewritten == (
        [Query("How much do AI solutions architects earn?"), Query("How much do they earn?", 0.5)],
        "How much do AI solutions architects earn?",
    )
    (request,) = openai_server.chat_requests()
    assert "Assistant: They design systems." in request.last_user  # stale markers stripped
    assert "Sources:" not in request.last_user
    assert rewriter.rewrite("How much do they earn?", []) is None  # no history, no call
    assert len(openai_server.chat_requests()) == 1


def test_no_rewriter_without_the_llm(tmp_path: Path) -> None:
    assert make_rewriter(make_settings(tmp_path)) is None


def test_the_answer_streams_through_the_coach_and_is_stored(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    openai_server.script(
        citing(
            "You already have the engineering skills and just need to learn how they apply to "
            "AI [{how they apply to AI}]. An AI engineer is first and foremost an engineer "
            "[{first and foremost an engineer}, {how they apply to AI}].",
            piece_delay=0.01,
        )
    )
    deltas, done = events_of(llm_coach, "What should I learn first to become an AI engineer?")
    answer = done.answer
    assert len(deltas) == 2 and "".join(deltas) == answer.answer  # checked sentence by sentence
    assert answer.answer == (
        "You already have the engineering skills and just need to learn how they apply to "
        "AI [1]. An AI engineer is first and foremost an engineer [2][1]."
    )
    assert [s.citations for s in answer.statements] == [[1], [2, 1]]
    assert validate_citations(answer.answer, answer.citations) == []
    assert answer.mode == "llm" and answer.grounded and answer.usage is not None
    stored = llm_coach.history.get_session(answer.session_id).messages
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].content == answer.answer and stored[1].mode == "llm"
    assert stored[1].meta["usage"]["total_tokens"] == answer.usage["total_tokens"]


def test_an_llm_outage_answers_extractively_and_keeps_the_conversation(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    openai_server.script(*[Reply(status=503, headers={"Retry-After": "0"})] * 3)
    deltas, done = events_of(llm_coach, "What should I learn first to become an AI engineer?")
    answer = done.answer
    assert answer.mode == "extractive" and answer.fallback_reason
    assert "".join(deltas) == answer.answer and answer.citations
    stored = llm_coach.history.get_session(answer.session_id).messages
    assert stored[0].content == "What should I learn first to become an AI engineer?"
    assert stored[1].meta["fallback_reason"] == answer.fallback_reason
