"""Answering in Slack: a "thinking…" reply at once, updated as the chain writes the answer.

A Slack thread is one coach session (``SlackThreads``); the chain runs in worker threads
holding one of the API's answer slots, so Slack questions queue with the widget's.
"""

from __future__ import annotations

import logging
import time
from contextlib import aclosing
from dataclasses import dataclass

import anyio
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from api.errors import describe
from api.slack import blocks
from api.slack.threads import SlackThreads, ThreadKey
from api.streaming import answer_stream
from coach.chain import Completed, Delta, Restart
from coach.factory import Parts
from coach.schema import Answer

logger = logging.getLogger("api.slack")

UPDATE_SECONDS = 1.5  # Slack allows about one chat.update a second per channel


@dataclass(frozen=True)
class Question:
    """Where a question was asked and what it says."""

    team_id: str
    channel_id: str
    text: str
    thread_ts: str | None = None  # None: answer in the channel, starting a thread
    asked: str | None = None  # a line quoting the question above the answer


class ThreadAnswerer:
    """Answers Slack questions with the coach, one thread one session."""

    def __init__(
        self,
        parts: Parts,
        slots: anyio.CapacityLimiter,
        threads: SlackThreads,
        public_url: str | None = None,
    ) -> None:
        self.parts = parts
        self.slots = slots
        self.threads = threads
        self.public_url = public_url

    def session_for(self, key: ThreadKey) -> str:
        """The thread's session; a new one for a new thread (or one whose session is gone)."""
        known = self.threads.session_for(key)
        if known is not None and self.parts.history.exists(known):
            return known
        session_id = self.parts.history.create_session()
        self.threads.bind(key, session_id)
        return session_id

    def knows(self, key: ThreadKey) -> bool:
        """True when the coach has answered in this thread."""
        return self.threads.session_for(key) is not None

    async def answer(self, client: AsyncWebClient, question: Question) -> Answer | None:
        """Post "thinking…", then the answer (or what went wrong) in its place."""
        posted = await client.chat_postMessage(
            channel=question.channel_id,
            thread_ts=question.thread_ts,
            text=blocks.THINKING,
            blocks=blocks.thinking_blocks(question.asked),
        )
        ts = str(posted["ts"])
        key = ThreadKey(question.team_id, question.channel_id, question.thread_ts or ts)
        try:
            message = self.parts.coach.clean_question(question.text)  # bad input: no session
            session_id = await anyio.to_thread.run_sync(self.session_for, key)
            answer = await self._write(client, question, ts, message, session_id)
        except Exception as exc:
            await self._report(client, question, ts, exc)
            return None
        await client.chat_update(
            channel=question.channel_id,
            ts=ts,
            text=blocks.fallback_text(answer.answer),
            blocks=blocks.answer_blocks(answer, self.public_url, question.asked),
        )
        return answer

    async def _write(
        self, client: AsyncWebClient, question: Question, ts: str, message: str, session_id: str
    ) -> Answer:
        """Answer ``message`` (cleaned); show the text so far at most every ``UPDATE_SECONDS``."""
        text, shown_at = "", time.monotonic()
        coach = self.parts.coach
        async with aclosing(
            answer_stream(coach, message, session_id, self.slots, "slack")
        ) as events:
            async for event in events:
                match event:
                    case Delta(text=piece):
                        text += piece
                        if time.monotonic() - shown_at >= UPDATE_SECONDS:
                            shown_at = time.monotonic()
                            await self._show_partial(client, question, ts, text)
                    case Restart():
                        text = ""
                    case Completed(answer=answer):
                        return answer
        raise RuntimeError("the chain ended without an answer")

    async def _show_partial(
        self, client: AsyncWebClient, question: Question, ts: str, text: str
    ) -> None:
        """The text so far; a failed update only delays the text until the next one."""
        try:
            await client.chat_update(
                channel=question.channel_id,
                ts=ts,
                text=blocks.fallback_text(text),
                blocks=blocks.partial_blocks(text, question.asked),
            )
        except SlackApiError as exc:
            logger.warning("could not show the answer so far: %s", exc.response.get("error"))

    async def _report(
        self, client: AsyncWebClient, question: Question, ts: str, exc: Exception
    ) -> None:
        """The error in place of the answer; the question itself is already stored."""
        status, body = describe(exc)
        if status >= 500:
            logger.error("a Slack answer failed in %s", question.channel_id, exc_info=exc)
        message = str(body["error"]["message"])
        await client.chat_update(
            channel=question.channel_id,
            ts=ts,
            text=f":warning: {message}",
            blocks=blocks.error_blocks(message, question.asked, retry=status >= 500),
        )
