"""The Slack Web API client the app posts with, built once from the settings."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from coach.settings import Settings

RATE_LIMIT_RETRIES = 3  # a "ratelimited" answer is retried after its Retry-After


def make_web_client(settings: Settings) -> AsyncWebClient:
    """A client of ``COACH_SLACK_API_URL`` that waits out ``ratelimited`` answers."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )
