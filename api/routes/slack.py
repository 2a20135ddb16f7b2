"""``POST /slack/events``: Slack's events, slash commands and button clicks (one URL)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from slack_sdk.signature import SignatureVerifier
from starlette.responses import Response

from api.errors import error_response
from api.slack.app import missing_settings

router = APIRouter(include_in_schema=False)  # Slack's protocol, not the coach's API

UNSIGNED = (
    "This request is not signed by Slack: the X-Slack-Signature does not match "
    "SLACK_SIGNING_SECRET, or X-Slack-Request-Timestamp is more than five minutes old."
)


TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)  # whole seconds, as Slack sends them


def signed_by_slack(request: Request, body: bytes, secret: str) -> bool:
    """Slack's signature over ``body`` checks out, read from the raw bytes before any parsing.

    A timestamp that is not plain ASCII digits (``abc``, ``1.5``, ``0x10``, full-width
    digits) is unsigned rather than an error.
    """
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not TIMESTAMP.fullmatch(timestamp) or not signature:
        return False
    return SignatureVerifier(secret).is_valid(body=body, timestamp=timestamp, signature=signature)


@router.post("/slack/events")
async def slack_events(request: Request) -> Response:
    """Hand the request to the Bolt app, which verifies and answers it."""
    missing = missing_settings(request.app.state.settings)
    if missing:
        return error_response(
            404,
            "slack_disabled",
            f"The Slack app is off: set {' and '.join(missing)} to enable it "
            "(see the README, section Slack).",
        )
    secret = request.app.state.settings.slack_signing_secret
    key = secret.get_secret_value() if secret else ""
    if not signed_by_slack(request, await request.body(), key):
        return error_response(401, "unauthorized", UNSIGNED)
    handler = getattr(request.app.state, "slack", None)
    if handler is None:
        return error_response(503, "unavailable", "The coach is still starting; try again.")
    response: Response = await handler.handle(request)
    if response.status_code == 401:
        return error_response(401, "unauthorized", UNSIGNED)
    return response
