"""Socket Mode: the coach connects out to Slack, so it needs no public URL (``coach slack``)."""

from __future__ import annotations

import logging

import anyio
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from api.slack.app import build_slack_app, missing_settings
from coach.errors import ConfigError
from coach.factory import Parts
from coach.settings import Settings

logger = logging.getLogger("api.slack")

SOCKET_SETTINGS = ("slack_bot_token", "slack_app_token")


def check_socket_settings(settings: Settings) -> None:
    """A ConfigError naming what to set when Socket Mode cannot start."""
    missing = missing_settings(settings, SOCKET_SETTINGS)
    if missing:
        raise ConfigError(
            f"Socket Mode needs {' and '.join(missing)}: create an app-level token with the "
            "connections:write scope (Basic Information › App-Level Tokens) and copy the Bot "
            "User OAuth Token (OAuth & Permissions); see the README, section Slack."
        )


def socket_handler(
    settings: Settings, parts: Parts, slots: anyio.CapacityLimiter
) -> AsyncSocketModeHandler:
    """The coach's Bolt app behind a Socket Mode connection (not yet connected)."""
    check_socket_settings(settings)
    assert settings.slack_app_token is not None
    app = build_slack_app(settings, parts, slots)
    return AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())


async def run_socket_mode(settings: Settings, parts: Parts) -> None:
    """Connect to Slack and answer until interrupted."""
    from api.app import answer_concurrency, warm_up

    await anyio.to_thread.run_sync(warm_up, parts)
    slots = anyio.CapacityLimiter(answer_concurrency(settings))
    handler = socket_handler(settings, parts, slots)
    logger.info("Connecting to Slack over Socket Mode")
    try:
        await handler.start_async()
    finally:
        await handler.close_async()
