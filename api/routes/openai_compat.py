"""The coach as an OpenAI-compatible model: any OpenAI client can talk to it.

``POST /v1/chat/completions`` takes the conversation as ``messages``: the earlier user and
assistant turns become the history of a fresh session and the last user message is the
question (system messages are ignored: the coach keeps its own rules). The reply's
content is the answer with a "Sources:" list appended; the structured citations and the
coach's own fields (session, refusal, mode, grounding) ride along as extra top-level
``citations`` and ``coach`` fields, on the response or on the last stream chunk.
``stream: true`` sends ``chat.completion.chunk`` events ending with ``data: [DONE]``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

import anyio
from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import AnswerSlots, CoachDep
from api.errors import describe
from api.models import Text, error_responses
from api.streaming import answer_stream, whole_answer
from coach.chain import HISTORY_TURNS, Coach, Completed, Delta, Restart
from coach.errors import InputError
from coach.history import HistoryStore
from coach.llm.budget import strip_sources
from coach.schema import Answer, Citation, Turn
from coach.tokens import count_tokens

RESTART_NOTE = "The language model stopped; the answer from the guides follows"
logger = logging.getLogger("api")
router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODEL_ID = "career-coach"
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ContentPart(BaseModel):
    """A part of a multi-part message; only text parts are read."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant"]  # the coach calls no tools
    content: Text | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The OpenAI request body; sampling options are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None


def check_bounds(messages: list[ChatMessage], max_messages: int, max_chars: int) -> None:
    """An InputError when the request has too many messages or one is too long."""
    if len(messages) > max_messages:
        raise InputError(
            f"The request has {len(messages)} messages; the limit is {max_messages} "
            "(COACH_MAX_MESSAGES): send the recent part of the conversation."
        )
    for n, message in enumerate(messages):
        if len(message.text) > max_chars:
            raise InputError(
                f"messages[{n}].content is {len(message.text)} characters; "
                f"the limit is {max_chars}."
            )


def split_conversation(messages: list[ChatMessage]) -> tuple[list[Turn], str]:
    """The earlier user/assistant turns the coach reads, and the question (the last message).

    Only the turns the coach reads for context are kept (its last ``HISTORY_TURNS``): the
    client resends the whole conversation each time, and the rest is never read.
    """
    if messages[-1].role != "user":
        raise InputError(
            f"The last message must be the user's question (role 'user'), not "
            f"{messages[-1].role!r}: the coach calls no tools."
        )
    turns = [
        Turn(role=m.role, content=strip_sources(m.text).strip())
        for m in messages[:-1]
        if m.role in ("user", "assistant") and m.text.strip()
    ]
    return turns[-HISTORY_TURNS:], messages[-1].text


def sources_block(citations: list[Citation]) -> str:
    """The readable list of sources appended to the content: ``[1] Title › Section (file)``."""
    if not citations:
        return ""
    lines = []
    for c in citations:
        where = " › ".join(part for part in (c.title, c.section) if part)
        lines.append(f"[{c.id}] {where} ({c.source})")
    return "\n\nSources:\n" + "\n".join(lines)


def preload_session(history: HistoryStore, turns: list[Turn]) -> str:
    """A fresh session holding the conversation so far."""
    session_id = history.create_session()
    for turn in turns:
        history.add_message(session_id, turn.role, turn.content)
    return session_id


def usage_of(messages: list[ChatMessage], content: str) -> dict[str, int]:
    """Token counts of the client's exchange (tiktoken, cl100k_base)."""
    prompt = sum(count_tokens(m.text) + 4 for m in messages)
    completion = count_tokens(content)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def extras(answer: Answer) -> dict[str, Any]:
    """The non-OpenAI fields: structured citations and the coach's own answer fields."""
    return {
        "citations": [c.model_dump(mode="json") for c in answer.citations],
        "coach": {
            "session_id": answer.session_id,
            "message_id": answer.message_id,
            "refused": answer.refused,
            "mode": answer.mode,
            "grounded": answer.grounded,
            "fallback_reason": answer.fallback_reason,
            "usage": answer.usage,
        },
    }


async def _prepare(body: ChatCompletionRequest, coach: Coach) -> tuple[str, str]:
    """Check the question and preload its session; errors here are ordinary JSON errors."""
    check_bounds(body.messages, coach.settings.max_messages, coach.settings.max_message_chars)
    turns, question = split_conversation(body.messages)
    question = coach.clean_question(question)
    session_id = await run_in_threadpool(preload_session, coach.history, turns)
    return question, session_id


@router.get("/models", responses=error_responses(401, 429))
async def list_models() -> dict[str, Any]:
    """The one model served here: the coach."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "career-coach"}],
    }


@router.post(
    "/chat/completions",
    response_model=None,
    responses=error_responses(400, 401, 404, 413, 422, 429, 503),
)
async def chat_completions(
    body: ChatCompletionRequest, coach: CoachDep, slots: AnswerSlots
) -> JSONResponse | StreamingResponse:
    """Answer the conversation's last user message, as an OpenAI chat completion."""
    question, session_id = await _prepare(body, coach)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = completion_chunks(
            coach, question, session_id, completion_id, body.messages, include_usage, slots
        )
        return StreamingResponse(events, media_type="text/event-stream", headers=STREAM_HEADERS)
    answer = await whole_answer(coach, question, session_id, slots, "v1")
    content = answer.answer + sources_block(answer.citations)
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage_of(body.messages, content),
            **extras(answer),
        }
    )


async def completion_chunks(
    coach: Coach,
    question: str,
    session_id: str,
    completion_id: str,
    messages: list[ChatMessage],
    include_usage: bool,
    slots: anyio.CapacityLimiter,
) -> AsyncIterator[str]:
    """``chat.completion.chunk`` SSE events of one answer, then ``data: [DONE]``.

    The text flows as the coach produces it; the sources list follows as one last piece.
    A failure after the stream began is sent as an ``error`` event (the OpenAI clients
    raise it); an abandoned answer still runs to its end, so it is stored.
    """
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = {**base, "choices": [choice], **more}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed: list[str] = []
    try:
        async with aclosing(answer_stream(coach, question, session_id, slots, "v1")) as events:
            async for event in events:
                match event:
                    case Delta(text=text):
                        streamed.append(text)
                        yield chunk({"content": text})
                    case Restart():  # OpenAI streams cannot retract: say so in-line
                        note = f"\n\n({RESTART_NOTE})\n\n"
                        streamed.append(note)
                        yield chunk({"content": note})
                    case Completed(answer=answer):
                        sources = sources_block(answer.citations)
                        if sources:
                            streamed.append(sources)
                            yield chunk({"content": sources})
                        yield chunk({}, "stop", **extras(answer))
                        if include_usage:
                            usage = usage_of(messages, "".join(streamed))
                            yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n"
    except Exception as exc:
        status, error = describe(exc)
        if status >= 500:
            logger.error("completion stream failed in session %s", session_id, exc_info=exc)
        yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"
