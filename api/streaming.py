"""One answer as the API's front ends read it: the chain's events, computed in worker threads.

The SSE chat route, /v1 chat completions and Slack render the same events (``Delta`` text,
a ``Restart`` when the LLM fails mid-answer and the guides' answer replaces it, then
``Completed``). Each checks the question and opens its session before anything is sent,
so bad input is an ordinary error response, and the chain does not check them again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from typing import TypeVar

import anyio

from coach.chain import Coach, Completed, StreamEvent
from coach.schema import Answer

T = TypeVar("T")
logger = logging.getLogger("api")


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


async def answer_stream(
    coach: Coach,
    question: str,
    session_id: str,
    slots: anyio.CapacityLimiter,
    channel: str | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """The events of the answer to ``question`` (cleaned) in ``session_id`` (open).

    Read it within ``contextlib.aclosing``: a reader that stops before ``Completed`` (the
    client left) leaves the answer running to its end, so the chain still stores it. A
    failure of the chain reaches the reader as the exception.
    """
    events = coach.stream(question, session_id, checked=True, channel=channel)
    settled = False  # stored (Completed was sent) or failed: nothing left to finish
    try:
        async for event in in_threads(events, slots):
            settled = isinstance(event, Completed)
            yield event
        settled = True
    except Exception:
        settled = True
        raise
    finally:
        if not settled:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(finish_abandoned, events, limiter=slots)


def finish_abandoned(events: Iterator[StreamEvent]) -> None:
    """Run an abandoned answer to its end (the chain stores it as it completes)."""
    try:
        for _ in events:
            pass
    except Exception:
        logger.exception("finishing an abandoned answer failed")


async def whole_answer(
    coach: Coach,
    question: str,
    session_id: str,
    slots: anyio.CapacityLimiter,
    channel: str | None = None,
) -> Answer:
    """The answer to ``question`` (checked, as for ``answer_stream``), in one worker thread."""

    def run() -> Answer:
        for event in coach.stream(question, session_id, checked=True, channel=channel):
            if isinstance(event, Completed):
                return event.answer
        raise RuntimeError("the chain ended without an answer")

    return await anyio.to_thread.run_sync(run, limiter=slots)
