"""``coach slack``: the same Bolt app over a Socket Mode connection to a Slack double."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from pydantic import SecretStr

from api.slack.socket_mode import check_socket_settings, socket_handler
from coach.errors import ConfigError
from coach.factory import Parts
from tests.api.live_server import QUESTION
from tests.api.slack.conftest import CHANNEL, envelope, mention
from tests.api.slack.slack_server import APP_TOKEN, BOT_TOKEN, SlackServer
from tests.support import run_cli


@pytest.fixture
def socket_parts(parts: Parts, slack_api: SlackServer) -> Parts:
    """The coach's parts with settings for Socket Mode against the double."""
    parts.settings = parts.settings.model_copy(
        update={
            "slack_bot_token": SecretStr(BOT_TOKEN),
            "slack_app_token": SecretStr(APP_TOKEN),
            "slack_api_url": slack_api.base_url,
        }
    )
    return parts


@pytest.fixture
def event_loop_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread, as ``coach slack`` runs one."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def test_socket_mode_needs_both_tokens(parts: Parts) -> None:
    with pytest.raises(ConfigError) as raised:
        check_socket_settings(parts.settings)
    assert "SLACK_BOT_TOKEN and SLACK_APP_TOKEN" in str(raised.value)
    only_bot = parts.settings.model_copy(update={"slack_bot_token": SecretStr(BOT_TOKEN)})
    with pytest.raises(ConfigError, match="needs SLACK_APP_TOKEN:"):
        check_socket_settings(only_bot)


def test_coach_slack_without_a_token_is_one_clear_error(tmp_path: Path) -> None:
    result = run_cli("slack", data_dir=tmp_path / ".coach")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: Socket Mode needs")
    assert "SLACK_APP_TOKEN" in lines[0] and "Traceback" not in result.stderr


def test_the_handler_uses_the_app_token_and_the_configured_api(
    socket_parts: Parts, slack_api: SlackServer, event_loop_thread: asyncio.AbstractEventLoop
) -> None:
    async def build() -> Any:
        return socket_handler(socket_parts.settings, socket_parts, anyio.CapacityLimiter(2))

    handler = asyncio.run_coroutine_threadsafe(build(), event_loop_thread).result(30)
    try:
        assert handler.app_token == APP_TOKEN
        assert handler.client.web_client.base_url == slack_api.base_url
        assert handler.client.web_client.token == BOT_TOKEN
    finally:
        asyncio.run_coroutine_threadsafe(handler.close_async(), event_loop_thread).result(10)


def test_a_mention_over_socket_mode_is_acknowledged_and_answered(
    socket_parts: Parts, slack_api: SlackServer, event_loop_thread: asyncio.AbstractEventLoop
) -> None:
    async def connect() -> Any:
        handler = socket_handler(socket_parts.settings, socket_parts, anyio.CapacityLimiter(2))
        await handler.connect_async()
        return handler

    handler = asyncio.run_coroutine_threadsafe(connect(), event_loop_thread).result(30)
    try:
        slack_api.wait_for(lambda s: s.connections, what="the Socket Mode connection")
        event = mention(QUESTION)
        envelope_id = slack_api.deliver(envelope(event))
        slack_api.wait_for(
            lambda s: any(a.get("envelope_id") == envelope_id for a in s.acks), what="the ack"
        )
        posted = slack_api.wait_for(
            lambda s: [c for c in s.recorded("chat.postMessage") if c.ok], what="the reply"
        )
        assert posted[0].body["thread_ts"] == event["ts"] and posted[0].body["channel"] == CHANNEL
        ts = posted[0].response["ts"]
        final = slack_api.wait_for(
            lambda s: [
                c
                for c in s.recorded("chat.update")
                if c.body["ts"] == ts and any(b["type"] == "actions" for b in c.blocks)
            ],
            what="the answer",
        )
        assert "[1]" in str(final[-1].blocks)
    finally:
        asyncio.run_coroutine_threadsafe(handler.close_async(), event_loop_thread).result(10)
