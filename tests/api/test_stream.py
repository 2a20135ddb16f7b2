"""POST /api/chat/stream: the SSE events reassemble into the /api/chat answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from coach.generators.extractive import ExtractiveGenerator
from coach.schema import Retrieved, Turn
from tests.api.live_server import FOLLOW_UP, QUESTION, Event, Served

Post = Callable[..., tuple[httpx.Response, list[Event]]]


def named(events: list[Event], name: str) -> list[Any]:
    return [data for event, data in events if event == name]


def test_events_reassemble_into_the_answer(api: Served, stream_events: Post) -> None:
    response, events = stream_events({"message": QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    names = [name for name, _ in events]
    assert names[0] == "session" and names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"}
    session_id = events[0][1]["session_id"]
    done = events[-1][1]
    assert done["session_id"] == session_id
    assert "".join(d["text"] for d in named(events, "delta")) == done["answer"]
    assert named(events, "citations") == [{"citations": done["citations"]}]
    assert done["citations"] and done["answer_html"]

    reference = api.ask(QUESTION)  # the same question, answered whole in a new session
    assert set(done) == set(reference)
    for key in ("answer", "citations", "refused", "mode", "grounded", "answer_html"):
        assert done[key] == reference[key]

    stored = api.session(session_id)["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["id"] == done["message_id"] and stored[1]["content"] == done["answer"]


def test_stream_continues_a_session(api: Served, stream_events: Post) -> None:
    first = api.ask(QUESTION)
    _, events = stream_events({"message": FOLLOW_UP, "session_id": first["session_id"]})
    assert events[0] == ("session", {"session_id": first["session_id"]})
    assert named(events, "done")[0]["session_id"] == first["session_id"]
    assert len(api.session(first["session_id"])["messages"]) == 4


def test_refusal_streams_like_an_answer(stream_events: Post) -> None:
    _, events = stream_events({"message": "Tell me a joke about penguins"})
    done = named(events, "done")[0]
    assert done["refused"] is True and done["citations"] == []
    assert named(events, "citations") == [{"citations": []}]
    assert "".join(d["text"] for d in named(events, "delta")) == done["answer"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message": "   "}, 422, "invalid_input"),
        ({"message": "x" * 4001}, 422, "invalid_input"),
        ({"message": 42}, 422, "invalid_request"),
        ({"message": QUESTION, "session_id": "no-such-session"}, 404, "not_found"),
    ],
)
def test_bad_input_is_refused_before_the_stream(
    stream_events: Post, body: dict[str, Any], status: int, code: str
) -> None:
    response, _ = stream_events(body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code


@pytest.mark.usefixtures("failing_generator")
def test_failure_mid_stream_ends_with_an_error_event(api: Served, stream_events: Post) -> None:
    _, events = stream_events({"message": QUESTION})
    names = [name for name, _ in events]
    assert names[0] == "session" and names[-1] == "error" and "done" not in names
    assert "delta" in names, "the failure came after the answer started"
    error = events[-1][1]["error"]
    assert error["code"] == "internal_error"
    assert "exploded" not in error["message"] and "Traceback" not in error["message"]
    stored = api.session(events[0][1]["session_id"])["messages"]
    assert [(m["role"], m["content"]) for m in stored] == [("user", QUESTION)]


class SlowGenerator(ExtractiveGenerator):
    """Takes a while before its first words, so a client can leave mid-answer."""

    def stream(self, question: str, context: list[Retrieved], history: list[Turn]) -> Iterator[Any]:
        time.sleep(0.5)
        yield from super().stream(question, context, history)


def test_reply_is_stored_when_the_client_leaves(
    api: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.parts.coach, "generator", SlowGenerator(api.parts.store.embeddings))
    with (
        httpx.Client(base_url=api.url, timeout=30) as client,
        client.stream("POST", "/api/chat/stream", json={"message": QUESTION}) as response,
    ):
        lines = response.iter_lines()
        assert next(lines) == "event: session"
        session_id = json.loads(next(lines).removeprefix("data: "))["session_id"]
    # The client is gone before the first words; the server finishes and stores the reply.
    deadline = time.monotonic() + 10
    roles: list[str] = []
    while time.monotonic() < deadline:
        roles = [m["role"] for m in api.session(session_id)["messages"]]
        if roles == ["user", "assistant"]:
            break
        time.sleep(0.1)
    assert roles == ["user", "assistant"]


def test_concurrent_streams_share_the_coach(api: Served, stream_events: Post) -> None:
    questions = [
        QUESTION,
        FOLLOW_UP,
        "What does an AI Solutions Architect earn?",
        "Give me a learning roadmap for AI engineering",
    ] * 2
    barrier = threading.Barrier(len(questions))

    def run(question: str) -> dict[str, Any]:
        barrier.wait()
        with httpx.Client(base_url=api.url, timeout=60) as client:
            _, events = stream_events({"message": question}, client)
        return named(events, "done")[0]

    with ThreadPoolExecutor(len(questions)) as pool:
        answers = list(pool.map(run, questions))
    assert len({a["session_id"] for a in answers}) == len(questions)
    for question, answer in zip(questions, answers, strict=True):
        assert answer["answer"]
        assert api.session(answer["session_id"])["messages"][0]["content"] == question
    assert answers[0]["answer"] == answers[4]["answer"]  # same question, same answer
