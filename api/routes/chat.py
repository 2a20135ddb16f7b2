"""Ask the coach: the whole answer as JSON, or the answer as it is produced (SSE)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import anyio
from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from api.deps import AnswerSlots, CoachDep
from api.errors import describe
from api.models import ChatRequest, ChatResponse, error_responses
from api.render import render_answer
from api.streaming import answer_stream
from coach.chain import Coach, Completed, Delta, Restart
from coach.schema import Answer

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


def channel_of(http: Request) -> str:
    """'widget' for a browser page (it sends Origin or Sec-Fetch-Site), else 'api'."""
    browser = "origin" in http.headers or "sec-fetch-site" in http.headers
    return "widget" if browser else "api"


def chat_response(answer: Answer, coach: Coach) -> ChatResponse:
    """The answer contract plus its sanitized HTML."""
    html = render_answer(answer.answer, answer.citations, coach.settings.link_origins)
    return ChatResponse.of(answer, html)


@router.post(
    "/chat",
    response_model=ChatResponse,
    responses=error_responses(400, 401, 404, 409, 413, 422, 429, 500, 503),
)
async def chat(
    request: ChatRequest, http: Request, coach: CoachDep, slots: AnswerSlots
) -> ChatResponse:
    """Ask a question; get the cited answer once it is complete. A 409 ``turn_in_progress``:
    the session is still answering an earlier message (another tab, a double submit)."""
    channel = channel_of(http)

    def answer() -> ChatResponse:
        return chat_response(coach.ask(request.message, request.session_id, channel), coach)

    return await anyio.to_thread.run_sync(answer, limiter=slots)


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses={**STREAM_DOC, **error_responses(400, 401, 404, 413, 422, 429, 503)},
)
async def chat_stream(
    request: ChatRequest, http: Request, coach: CoachDep, slots: AnswerSlots
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
        answer_events(coach, question, session_id, slots, channel_of(http)),
        headers=STREAM_HEADERS,
    )


def _event(name: str, payload: Any) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(payload, ensure_ascii=False), event=name)


async def answer_events(
    coach: Coach,
    question: str,
    session_id: str,
    slots: anyio.CapacityLimiter,
    channel: str | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """The SSE events of one answer."""
    yield _event("session", {"session_id": session_id})
    try:
        async with aclosing(answer_stream(coach, question, session_id, slots, channel)) as events:
            async for event in events:
                match event:
                    case Delta(text=text):
                        yield _event("delta", {"text": text})
                    case Restart(reason=reason):  # discard the text so far; the rest replaces it
                        yield _event("reset", {"reason": reason})
                    case Completed(answer=answer):
                        response = chat_response(answer, coach)
                        citations = [c.model_dump(mode="json") for c in response.citations]
                        yield _event("citations", {"citations": citations})
                        yield ServerSentEvent(response.model_dump_json(), event="done")
    except Exception as exc:
        status, body = describe(exc)
        if status >= 500:
            logger.error("answer stream failed in session %s", session_id, exc_info=exc)
        yield _event("error", body)
