"""Limits applied before any route runs: the request body size and a per-client rate.

Both are plain ASGI middleware, so they answer with the one JSON error shape without
reading more of the request than needed. The rate limit lives in this process: with several
server processes each keeps its own count.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable

from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import bearer_token, key_matches
from api.errors import error_response


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


def _content_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope)["content-length"])
    except (KeyError, ValueError):
        return None


class SlidingWindow:
    """At most ``limit`` requests per client in any ``window`` seconds (a log of recent hits)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._pruned_at = clock()

    def acquire(self, client: str) -> float:
        """0 when ``client`` may go ahead (the hit is counted), else seconds until it may."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            if now - self._pruned_at > self.window:
                self._prune(now)
            return 0.0

    def _prune(self, now: float) -> None:
        """Forget clients with no hit in the window, so memory stays bounded."""
        self._hits = {c: h for c, h in self._hits.items() if h and h[-1] > now - self.window}
        self._pruned_at = now


class RateLimit:
    """Per-client rate limit on the API's paths: 429 with Retry-After when exceeded.

    A client is its API key when it presents the configured one, else its IP address.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: SlidingWindow,
        api_key: SecretStr | None = None,
        prefixes: tuple[str, ...] = ("/api/", "/v1/"),
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.api_key = api_key
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        wait = self.limiter.acquire(self.client(scope))
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
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if token and self.api_key is not None and key_matches(self.api_key, token):
            return "key:" + hashlib.sha256(token.encode()).hexdigest()[:16]
        address = scope.get("client")
        return f"ip:{address[0] if address else 'unknown'}"
