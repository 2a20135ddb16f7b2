"""Ask the coach: the whole answer as JSON, or the answer as it is produced (SSE)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import AnswerSlots, CoachDep
from api.errors import describe
from api.models import ChatRequest, ChatResponse, error_responses
from api.render import render_answer
from coach.chain import Coach, Completed, Delta, Restart, StreamEvent
from coach.schema import Answer

T = TypeVar("T")
logger = logging.getLogger("api")
router = APIRouter(prefix="/api", tags=["chat"])

STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Events: `session` {session_id}, many `delta` {text}, `citations` "
        "{citations}, then `done` (the /api/chat answer) or `error` {error: {code, message}}.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def chat_response(answer: Answer) -> ChatResponse:
    """The answer contract plus its sanitized HTML."""
    return ChatResponse.of(answer, render_answer(answer.answer, answer.citations))


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=error_responses(400, 401, 404, 413, 422, 429, 500, 503),
)
async def chat(request: ChatRequest, coach: CoachDep, slots: AnswerSlots) -> ChatResponse:
    """Ask a question; get the cited answer once it is complete."""

    def answer() -> ChatResponse:
        return chat_response(coach.ask(request.message, request.session_id))

    return await anyio.to_thread.run_sync(answer, limiter=slots)


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses={**STREAM_DOC, **error_responses(400, 401, 404, 413, 422, 429, 503)},
)
async def chat_stream(
    request: ChatRequest, coach: CoachDep, slots: AnswerSlots
) -> EventSourceResponse:
    """Ask a question; the answer streams as Server-Sent Events.

    The question and the session are checked before the stream starts, so bad input gets
    an ordinary JSON error; a failure later ends the stream with an ``error`` event.
    """
    question = coach.clean_question(request.message)
    session_id = await anyio.to_thread.run_sync(
        coach.open_session, request.session_id, limiter=slots
    )
    return EventSourceResponse(
        answer_events(coach, question, session_id, slots), headers=STREAM_HEADERS
    )


def _event(name: str, payload: Any) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(payload, ensure_ascii=False), event=name)


async def in_threads(iterator: Iterator[T], slots: anyio.CapacityLimiter) -> AsyncIterator[T]:
    """``iterator``'s items, each computed in a worker thread that holds one of ``slots``.

    Like ``starlette.concurrency.iterate_in_threadpool``, with our own limiter: the event
    loop stays free, and answers share the CPU in order of arrival.
    """
    done = object()
    while True:
        item = await anyio.to_thread.run_sync(next, iterator, done, limiter=slots)
        if item is done:
            return
        yield item  # type: ignore[misc]


async def answer_events(
    coach: Coach, question: str, session_id: str, slots: anyio.CapacityLimiter
) -> AsyncIterator[ServerSentEvent]:
    """The SSE events of one answer."""
    yield _event("session", {"session_id": session_id})
    events = coach.stream(question, session_id)
    settled = False
    try:
        async for event in in_threads(events, slots):
            if isinstance(event, Delta):
                yield _event("delta", {"text": event.text})
            elif isinstance(event, Restart):  # discard the text so far; the rest replaces it
                yield _event("reset", {"reason": event.reason})
            elif isinstance(event, Completed):
                response = chat_response(event.answer)
                citations = [c.model_dump(mode="json") for c in response.citations]
                yield _event("citations", {"citations": citations})
                yield ServerSentEvent(response.model_dump_json(), event="done")
        settled = True
    except Exception as exc:
        settled = True
        status, body = describe(exc)
        if status >= 500:
            logger.error("answer stream failed in session %s", session_id, exc_info=exc)
        yield _event("error", body)
    finally:
        if not settled:  # the client left: finish anyway, so the reply is stored
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(finish_abandoned, events, limiter=slots)


def finish_abandoned(events: Iterator[StreamEvent]) -> None:
    """Run an abandoned answer to its end (the chain stores it as it completes)."""
    try:
        for _ in events:
            pass
    except Exception:
        logger.exception("finishing an abandoned answer failed")
