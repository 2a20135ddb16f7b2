"""A Slack Web API for tests: the real wire format over loopback HTTP, in a thread.

It answers ``auth.test``, ``chat.postMessage``, ``chat.update`` and ``chat.postEphemeral``
like Slack (HTTP 200 with ``ok``, ``ts``, ``error``; ``invalid_auth`` for a wrong token;
``ratelimited`` as HTTP 429 with ``Retry-After`` when a test scripts it), serves response
URLs under ``/respond/``, and records every call. For Socket Mode, ``apps.connections.open``
(with the app-level token) hands out a WebSocket URL on the same server, which says
``hello``, delivers the envelopes a test sends, and records the client's acks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-test-token"
TEAM_ID = "T0TEST"
BOT_USER_ID = "U0COACH"
BOT_ID = "B0COACH"


@dataclass
class Failure:
    """A scripted failure of one Web API call."""

    error: str = "ratelimited"
    status: int = 429
    retry_after: int | None = 1


@dataclass
class Call:
    """A request the server received."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    ok: bool = True
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        raw = self.body.get("blocks") or []
        return json.loads(raw) if isinstance(raw, str) else list(raw)


class SlackServer:
    """A scripted Slack Web API on a free loopback port."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._ts = 1_700_000_000_000000
        self.envelopes: queue.Queue[dict[str, Any]] = queue.Queue()  # to Socket Mode clients
        self.acks: list[dict[str, Any]] = []  # what the clients sent back
        self.connections = 0
        app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["POST", "GET"]),
                Route("/respond/{hook}", self._respond, methods=["POST"]),
                WebSocketRoute("/link", self._socket_mode),
            ]
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, hook: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{hook}"

    def start(self) -> SlackServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test Slack server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.failures.clear()
            self.acks.clear()

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of ``method`` fail as scripted, then it answers again."""
        with self._lock:
            self.failures[method].extend(failures)

    def recorded(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if method is None or c.method == method]

    def wait_for(
        self, found: Callable[[SlackServer], Any], timeout: float = 60.0, what: str = "a call"
    ) -> Any:
        """Poll until ``found(self)`` is truthy; its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = found(self)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; calls: {self.recorded()}")

    def deliver(self, payload: dict[str, Any], kind: str = "events_api") -> str:
        """Send ``payload`` to the connected Socket Mode client; its envelope id."""
        envelope_id = f"env-{time.monotonic_ns()}"
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self.envelopes.put(envelope)
        return envelope_id

    async def _socket_mode(self, websocket: WebSocket) -> None:
        await websocket.accept()
        with self._lock:
            self.connections += 1
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0COACH"}}
        await websocket.send_text(json.dumps(hello | {"debug_info": {"host": "test"}}))

        async def send() -> None:
            while True:
                try:
                    envelope = self.envelopes.get_nowait()
                except queue.Empty:
                    await asyncio.sleep(0.02)
                    continue
                await websocket.send_text(json.dumps(envelope))

        sender = asyncio.ensure_future(send())
        try:
            while True:
                text = await websocket.receive_text()
                with self._lock:
                    self.acks.append(json.loads(text))
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    async def _body(self, request: Request) -> dict[str, Any]:
        raw = (await request.body()).decode()
        if not raw:
            return {}
        if request.headers.get("content-type", "").startswith("application/json"):
            return dict(json.loads(raw))
        return dict(parse_qsl(raw))

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        body = await self._body(request)
        call = Call(method, body, dict(request.headers))
        with self._lock:
            self.calls.append(call)
            failure = self.failures[method].popleft() if self.failures[method] else None
        if failure is not None:
            call.ok = False
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            error = {"ok": False, "error": failure.error}
            call.response = error
            return JSONResponse(error, status_code=failure.status, headers=headers)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        token = token or str(body.get("token", ""))
        if token != (APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN):
            call.ok, call.response = False, {"ok": False, "error": "invalid_auth"}
            return JSONResponse(call.response)
        call.response = self._answer(method, body)
        call.ok = bool(call.response["ok"])
        return JSONResponse(call.response)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test-workspace.slack.com/",
                "team": "Test Workspace",
                "user": "coach",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        channel = body.get("channel")
        if not channel and method.startswith("chat."):
            return {"ok": False, "error": "channel_not_found"}
        if method == "chat.postMessage":
            with self._lock:
                ts = self._next_ts()
            message = {"type": "message", "text": body.get("text", ""), "user": BOT_USER_ID}
            message |= {"bot_id": BOT_ID, "ts": ts}
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            if not body.get("ts"):
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel, "ts": body["ts"], "text": body.get("text", "")}
        if method == "chat.postEphemeral":
            if not body.get("user"):
                return {"ok": False, "error": "user_not_in_channel"}
            with self._lock:
                ts = self._next_ts()
            return {"ok": True, "message_ts": ts}
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: Request) -> Response:
        body = await self._body(request)
        with self._lock:
            self.calls.append(Call("response_url", body, dict(request.headers)))
        return PlainTextResponse("ok")
