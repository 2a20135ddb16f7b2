"""api.streaming: one answer's events in worker threads, finished even when its reader leaves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from api.streaming import answer_stream, whole_answer
from coach.chain import Coach, Completed, Delta, StreamEvent
from coach.generators.extractive import ExtractiveGenerator
from coach.schema import Restart, Retrieved, Turn
from tests.api.live_server import QUESTION, FailingGenerator


class RestartingGenerator(ExtractiveGenerator):
    """Begins an answer, gives it up, then answers from the guides (an LLM failing mid-way)."""

    def stream(self, question: str, context: list[Retrieved], history: list[Turn]) -> Iterator[Any]:
        yield "The model began to say "
        yield Restart("the model stopped")
        yield from super().stream(question, context, history)


def read(coach: Coach, session_id: str, stop_after: int | None = None) -> list[StreamEvent]:
    """The events of the answer to QUESTION, or the first ``stop_after`` of them."""

    async def main() -> list[StreamEvent]:
        seen: list[StreamEvent] = []
        slots = anyio.CapacityLimiter(1)
        async with aclosing(answer_stream(coach, QUESTION, session_id, slots)) as events:
            async for event in events:
                seen.append(event)
                if len(seen) == stop_after:
                    break
        return seen

    return anyio.run(main)


def roles(coach: Coach, session_id: str) -> list[str]:
    return [turn.role for turn in coach.history.recent_turns(session_id, 10)]


def refuse_a_second_check(coach: Coach, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller checked the question and opened the session: the chain must not again."""

    def checked_twice(*_: object) -> str:
        raise AssertionError("checked twice")

    monkeypatch.setattr(coach, "clean_question", checked_twice)
    monkeypatch.setattr(coach, "open_session", checked_twice)


def test_a_restart_mid_stream_is_passed_on_and_the_final_answer_follows_it(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach, "generator", RestartingGenerator(coach.retriever.store.embeddings))
    session_id = coach.open_session(None)
    refuse_a_second_check(coach, monkeypatch)
    events = read(coach, session_id)
    assert events[0] == Delta("The model began to say ")
    assert events[1] == Restart("the model stopped")
    assert isinstance(events[-1], Completed)
    answer = events[-1].answer
    after = [e.text for e in events[2:-1] if isinstance(e, Delta)]
    assert len(after) == len(events) - 3 and "".join(after) == answer.answer
    assert answer.citations and answer.session_id == session_id
    assert roles(coach, session_id) == ["user", "assistant"]


def test_a_reader_that_leaves_early_still_gets_the_answer_stored(coach: Coach) -> None:
    session_id = coach.open_session(None)
    first = read(coach, session_id, stop_after=1)
    assert len(first) == 1 and isinstance(first[0], Delta)
    assert roles(coach, session_id) == ["user", "assistant"]
    stored = coach.history.recent_turns(session_id, 10)[-1].content
    assert stored.startswith(first[0].text)


def test_a_chain_failure_reaches_the_reader_and_keeps_the_question(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach, "generator", FailingGenerator(coach.retriever.store.embeddings))
    session_id = coach.open_session(None)
    with pytest.raises(RuntimeError, match="generator exploded"):
        read(coach, session_id)
    assert roles(coach, session_id) == ["user"]


def test_the_whole_answer_is_the_streamed_one(
    coach: Coach, monkeypatch: pytest.MonkeyPatch
) -> None:
    streamed = read(coach, coach.open_session(None))[-1]
    assert isinstance(streamed, Completed)
    session_id = coach.open_session(None)
    refuse_a_second_check(coach, monkeypatch)
    answer = anyio.run(whole_answer, coach, QUESTION, session_id, anyio.CapacityLimiter(1))
    assert answer.answer == streamed.answer.answer and answer.session_id == session_id
