"""Limits applied before any route runs: the request body size and a per-client rate.

Both are plain ASGI middleware, so they answer with the one JSON error shape without
reading more of the request than needed. Rate-limit counts live in this process by default,
or in Redis (``COACH_RATE_LIMIT_STORAGE``) so that several server processes share them.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

import anyio
from limits import RateLimitItemPerMinute
from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.clients import Network, client_address
from api.deps import bearer_token, key_matches
from api.errors import error_response
from coach.errors import ConfigError

logger = logging.getLogger("api")


class BodyTooLarge(HTTPException):
    """Raised while a body is read, once it exceeds the limit (FastAPI lets it through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"The request body is over the {limit}-byte limit; send a shorter message.",
            headers={"Connection": "close"},
        )


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes``: by Content-Length up front, else by counting."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLarge(self.max_bytes)
        response = error_response(413, "payload_too_large", error.detail, headers=error.headers)
        await response(scope, receive, send)


class HeaderSizeLimit:
    """Refuse requests whose headers together pass ``max_bytes`` with a JSON 431."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) for name, value in scope["headers"])
        if size <= self.max_bytes:
            await self.app(scope, receive, send)
            return
        response = error_response(
            431,
            "headers_too_large",
            f"The request headers are {size} bytes, over the {self.max_bytes}-byte limit "
            "(COACH_MAX_HEADER_BYTES); send shorter headers.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None


class RateLimiter:
    """At most ``per_minute`` requests per client in any 60 s: a moving window (``limits``).

    Counts live in memory (this process) or in Redis (``redis://host:port``), where several
    server processes share them. When Redis cannot be reached, requests go through (logged):
    the limit guards against abuse, it is not what keeps the coach up.
    """

    def __init__(self, per_minute: int, storage_url: str = "memory://") -> None:
        options: dict[str, float] = {}
        if storage_url.startswith(("redis", "rediss")):
            options = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
        try:
            self.storage = storage_from_string(storage_url, **options)
        except (ConfigurationError, ValueError) as exc:
            raise ConfigError(
                f"COACH_RATE_LIMIT_STORAGE={storage_url!r} cannot be used ({exc}); "
                "use memory:// or redis://host:port."
            ) from None
        self.limit = per_minute
        self.item = RateLimitItemPerMinute(per_minute, namespace="coach")
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.in_memory = isinstance(self.storage, MemoryStorage)

    def acquire(self, client: str) -> float:
        """0 when ``client`` may go ahead (the hit is counted), else seconds until it may."""
        try:
            if self.strategy.hit(self.item, client):
                return 0.0
            stats = self.strategy.get_window_stats(self.item, client)
        except Exception as exc:  # redis raises its own ConnectionError and TimeoutError
            logger.warning("rate limit not applied: its storage failed (%s)", exc)
            return 0.0
        return max(stats.reset_time - time.time(), 0.001)


class RateLimit:
    """Per-client rate limit on the API's paths: 429 with Retry-After when exceeded.

    A client is its address (see :func:`api.clients.client_address`), counted apart when it
    presents the configured API key: holders of the key do not share one bucket.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        api_key: SecretStr | None = None,
        trusted_proxies: tuple[Network, ...] = (),
        prefixes: tuple[str, ...] = ("/api/", "/v1/"),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.api_key = api_key
        self.trusted_proxies = trusted_proxies
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        client = self.client(scope)
        if self.limiter.in_memory:
            wait = self.limiter.acquire(client)
        else:  # a network round trip: keep the event loop free
            wait = await anyio.to_thread.run_sync(self.limiter.acquire, client)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        seconds = math.ceil(wait)
        response = error_response(
            429,
            "rate_limited",
            f"Too many requests: the limit is {self.limiter.limit} a minute. "
            f"Try again in {seconds} s.",
            details={"retry_after": seconds},
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)

    def client(self, scope: Scope) -> str:
        address = client_address(scope, self.trusted_proxies)
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if token and self.api_key is not None and key_matches(self.api_key, token):
            return f"key:{hashlib.sha256(token.encode()).hexdigest()[:16]}:{address}"
        return f"ip:{address}"
