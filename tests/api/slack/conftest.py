"""The real app with its Slack app on, over loopback HTTP, talking to a Slack double."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr

from tests.api.live_server import Serve, Served
from tests.api.slack.slack_server import BOT_TOKEN, BOT_USER_ID, TEAM_ID, Call, SlackServer

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLIC_URL = "https://coach.example.com"
CHANNEL = "C0GENERAL"
DM = "D0DIRECT"
USER = "U0ASKER"
_ids = count(1)


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 signature headers: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def next_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"{int(time.time())}.{next(_ids):06d}"


def envelope(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API ``event_callback`` as Slack sends it."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0COACH",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def mention(text: str, thread_ts: str | None = None, ts: str | None = None) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": USER,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts or next_ts(),
        "channel": CHANNEL,
        "team": TEAM_ID,
        "event_ts": next_ts(),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str, channel: str = DM, channel_type: str = "im", **fields: Any
) -> dict[str, Any]:
    event = {
        "type": "message",
        "user": USER,
        "text": text,
        "ts": next_ts(),
        "channel": channel,
        "channel_type": channel_type,
        "team": TEAM_ID,
        "event_ts": next_ts(),
    }
    return event | fields


@dataclass
class SlackApp:
    """The coach's server with Slack on, the Slack double it posts to, and ways to reach it."""

    served: Served
    slack: SlackServer

    def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        signed = sign(body) if headers is None else headers
        return self.served.client.post(
            "/slack/events",
            content=body.encode(),
            headers={"Content-Type": content_type, **signed},
        )

    def send_event(
        self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None
    ) -> httpx.Response:
        body = json.dumps(envelope(event, event_id))
        headers = sign(body)
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        response = self.post(body, "application/json", headers)
        assert response.status_code == 200, response.text
        return response

    def send_command(self, text: str, channel: str = CHANNEL) -> httpx.Response:
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "test-workspace",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": USER,
            "user_name": "asker",
            "command": "/coach",
            "text": text,
            "api_app_id": "A0COACH",
            "response_url": self.slack.response_url(),
            "trigger_id": f"{next(_ids)}.trigger",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def click(self, button: dict[str, Any], reply: Call) -> httpx.Response:
        """A ``block_actions`` payload for a click on ``button`` of the message ``reply``."""
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "test-workspace"},
            "user": {"id": USER, "username": "asker", "team_id": TEAM_ID},
            "api_app_id": "A0COACH",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": reply.body["ts"],
                "channel_id": reply.body["channel"],
            },
            "trigger_id": f"{next(_ids)}.trigger",
            "channel": {"id": reply.body["channel"], "name": "general"},
            "message": {
                "type": "message",
                "ts": reply.body["ts"],
                "text": reply.body.get("text", ""),
            },
            "response_url": self.slack.response_url("action"),
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "coach_feedback",
                    "value": button["value"],
                    "action_ts": next_ts(),
                    "text": button["text"],
                }
            ],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def thinking(self, thread_ts: str | None) -> Call:
        """The "thinking…" reply posted for the question of ``thread_ts``."""
        return self.slack.wait_for(
            lambda s: next(
                (
                    c
                    for c in s.recorded("chat.postMessage")
                    if c.ok and c.body.get("thread_ts") == thread_ts
                ),
                None,
            ),
            what=f"a reply in thread {thread_ts}",
        )

    def final(self, thread_ts: str | None) -> Call:
        """The last update of the reply in ``thread_ts`` once it holds an answer or an error."""
        ts = self.thinking(thread_ts).response["ts"]

        def finished(server: SlackServer) -> Call | None:
            updates = [c for c in server.recorded("chat.update") if c.body.get("ts") == ts]
            done = [u for u in updates if "Still writing" not in json.dumps(u.blocks)]
            return done[-1] if done else None

        return self.slack.wait_for(finished, what=f"the answer in thread {thread_ts}")


@pytest.fixture(scope="module")
def slack_api() -> Iterator[SlackServer]:
    server = SlackServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def slack_app(serve: Serve, slack_api: SlackServer) -> Iterator[SlackApp]:
    with serve(
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack_api.base_url,
        public_url=PUBLIC_URL,
    ) as served:
        yield SlackApp(served, slack_api)


@pytest.fixture(autouse=True)
def _fresh_slack(request: pytest.FixtureRequest) -> None:
    """Each test reads only its own Web API calls."""
    if "slack_api" in request.fixturenames:
        request.getfixturevalue("slack_api").reset()
