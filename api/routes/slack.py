"""``POST /slack/events``: Slack's events, slash commands and button clicks (one URL)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.errors import error_response
from api.slack.app import missing_settings

router = APIRouter(include_in_schema=False)  # Slack's protocol, not the coach's API

UNSIGNED = (
    "This request is not signed by Slack: the X-Slack-Signature does not match "
    "SLACK_SIGNING_SECRET, or X-Slack-Request-Timestamp is more than five minutes old."
)


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
    handler = getattr(request.app.state, "slack", None)
    if handler is None:
        return error_response(503, "unavailable", "The coach is still starting; try again.")
    response: Response = await handler.handle(request)
    if response.status_code == 401:
        return error_response(401, "unauthorized", UNSIGNED)
    return response
