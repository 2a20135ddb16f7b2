"""The Bolt app: which Slack events, commands and buttons the coach answers, and how.

Every listener acknowledges at once and does its work in a lazy listener, so Slack gets
its answer well within three seconds and never redelivers for slowness; redeliveries for
other reasons are recognised by event id and skipped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from api.slack import blocks
from api.slack.answers import Question, ThreadAnswerer
from api.slack.client import make_web_client
from api.slack.mrkdwn import to_plain
from api.slack.threads import SlackThreads, ThreadKey, bad_id
from coach.errors import CoachError, ConfigError
from coach.factory import Parts
from coach.settings import Settings

logger = logging.getLogger("api.slack")

HTTP_SETTINGS = ("slack_bot_token", "slack_signing_secret")
NOT_A_MEMBER = ("not_in_channel", "channel_not_found")
INVITE = "I'm not in this channel yet: invite me with `/invite @{name}`, or message me directly."
THANKS = {
    "up": "Thanks! Your :thumbsup: is recorded.",
    "down": "Thanks: your :thumbsdown: is recorded.",
}
GONE = "That conversation is no longer stored, so the rating was not saved."


def missing_settings(settings: Settings, needed: tuple[str, ...] = HTTP_SETTINGS) -> list[str]:
    """The environment variables still to set for the Slack app to run."""
    return [Settings.env_name(name) for name in needed if getattr(settings, name) is None]


def build_slack_app(
    settings: Settings,
    parts: Parts,
    slots: anyio.CapacityLimiter,
    client: AsyncWebClient | None = None,
) -> AsyncApp:
    """The coach's Bolt app (HTTP or Socket Mode); needs ``SLACK_BOT_TOKEN``."""
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token of your app.")
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client or make_web_client(settings),
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,  # Socket Mode needs no secret
        process_before_response=True,
        logger=logger,
        name="career-coach",
    )
    threads = SlackThreads(parts.history.engine)
    answerer = ThreadAnswerer(parts, slots, threads, settings.public_url)
    register_listeners(app, answerer)
    return app


def slack_handler(
    settings: Settings, parts: Parts, slots: anyio.CapacityLimiter
) -> AsyncSlackRequestHandler | None:
    """The request handler of ``POST /slack/events``; None until its settings are set."""
    if missing_settings(settings):
        return None
    return AsyncSlackRequestHandler(build_slack_app(settings, parts, slots))


def register_listeners(app: AsyncApp, answerer: ThreadAnswerer) -> None:
    """Mentions, DMs and thread follow-ups, the slash command, the feedback buttons."""
    threads = answerer.threads

    async def refuse_bad_ids(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        if problem := bad_id(body):  # before anything is stored under such an id
            error = {"error": {"code": "invalid_request", "message": problem}}
            return BoltResponse(
                status=400, body=json.dumps(error), headers={"content-type": "application/json"}
            )
        await next()
        return None

    async def skip_redeliveries(
        body: dict[str, Any], request: AsyncBoltRequest, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await anyio.to_thread.run_sync(threads.first_delivery, event_id):
            retry = request.headers.get("x-slack-retry-num", ["?"])[0]
            logger.info("skipped redelivery %s of event %s", retry, event_id)
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def acknowledge(ack: AsyncAck) -> None:
        await ack()

    async def on_mention(
        event: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if event.get("bot_id"):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        await _ask(answerer, client, body, event, context, thread_ts)

    async def on_message(
        event: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
    ) -> None:
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return  # edits, joins, other bots: not questions
        if event.get("channel_type") == "im":
            await _ask(
                answerer, client, body, event, context, event.get("thread_ts") or event["ts"]
            )
            return
        thread_ts = event.get("thread_ts")
        mentioned = context.bot_user_id and f"<@{context.bot_user_id}>" in event.get("text", "")
        if not thread_ts or mentioned:  # a mention is answered as app_mention
            return
        key = ThreadKey(_team(body, event), event["channel"], thread_ts)
        if await anyio.to_thread.run_sync(answerer.knows, key):
            await _ask(answerer, client, body, event, context, thread_ts)

    async def acknowledge_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        if command.get("text", "").strip():
            await ack()
        else:
            help_text = blocks.help_text(command.get("command", "/coach"))
            await ack(text=help_text, response_type="ephemeral")

    async def on_command(
        command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        text = to_plain(command.get("text", ""))
        if not text:
            return
        question = Question(
            team_id=command.get("team_id", ""),
            channel_id=command["channel_id"],
            text=text,
            asked=blocks.asked_by(command["user_id"], text),
        )
        try:
            await answerer.answer(client, question)
        except SlackApiError as exc:
            if exc.response.get("error") not in NOT_A_MEMBER:
                raise
            name = (await client.auth_test()).get("user", "coach")
            await respond(text=INVITE.format(name=name), response_type="ephemeral")

    async def on_feedback(body: dict[str, Any], client: AsyncWebClient) -> None:
        action = body["actions"][0]
        user = body["user"]["id"]
        channel = body["channel"]["id"]
        thread_ts = (body.get("message") or {}).get("thread_ts")
        try:
            session_id, message_id, rating = blocks.read_feedback(action["value"])
            await anyio.to_thread.run_sync(
                answerer.parts.history.add_feedback, session_id, message_id, rating
            )
            reply = THANKS.get(rating, THANKS["up"])
        except (ValueError, KeyError, json.JSONDecodeError):
            reply = "That button is not one of the coach's; nothing was recorded."
        except CoachError as exc:
            reply = GONE if exc.status_code == 404 else str(exc)
        await client.chat_postEphemeral(channel=channel, user=user, text=reply, thread_ts=thread_ts)

    app.use(refuse_bad_ids)
    app.use(skip_redeliveries)
    app.event("app_mention")(ack=acknowledge, lazy=[on_mention])
    app.event("message")(ack=acknowledge, lazy=[on_message])
    app.command(re.compile(r"^/"))(ack=acknowledge_command, lazy=[on_command])
    app.action(re.compile(f"^{blocks.FEEDBACK_ACTION}"))(ack=acknowledge, lazy=[on_feedback])


def _team(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(body.get("team_id") or event.get("team") or "")


async def _ask(
    answerer: ThreadAnswerer,
    client: AsyncWebClient,
    body: dict[str, Any],
    event: dict[str, Any],
    context: AsyncBoltContext,
    thread_ts: str,
) -> None:
    """Answer a message in its thread; a bare mention gets the help instead."""
    text = to_plain(event.get("text", ""), context.bot_user_id)
    if not text:
        await client.chat_postMessage(
            channel=event["channel"], thread_ts=thread_ts, text=blocks.help_text("/coach")
        )
        return
    question = Question(_team(body, event), event["channel"], text, thread_ts=thread_ts)
    await answerer.answer(client, question)
