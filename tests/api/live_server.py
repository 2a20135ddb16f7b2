"""Helpers of the API tests: a live uvicorn server, an SSE parser, a generator that fails."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from api.server import server_config
from coach.factory import Parts
from coach.generators.extractive import ExtractiveGenerator
from coach.schema import Retrieved, Turn
from coach.settings import Settings

QUESTION = "How long does it take to move from backend to AI engineering?"
FOLLOW_UP = "What skills transfer from backend development?"

Event = tuple[str, Any]


@contextmanager
def live_server(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve ``app`` in a background thread (``coach serve``'s uvicorn options, overridden by
    ``options``); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = server_config(
        app, **{"log_level": "warning", "access_log": False, "lifespan": "on", **options}
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@dataclass
class Served:
    """A running server with what it was built from, and a client for it."""

    url: str
    settings: Settings
    parts: Parts
    client: httpx.Client

    def ask(self, message: str = QUESTION, session_id: str | None = None) -> dict[str, Any]:
        """POST /api/chat, expecting an answer."""
        response = self.client.post(
            "/api/chat", json={"message": message, "session_id": session_id}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()


Serve = Callable[..., AbstractContextManager[Served]]


def parse_sse(raw: str) -> list[Event]:
    """(event, JSON data) pairs of an SSE body; comments (pings) skipped."""
    events: list[Event] = []
    for block in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


class FailingGenerator(ExtractiveGenerator):
    """Starts answering, then fails: the crash a test needs mid-request."""

    def stream(self, question: str, context: list[Retrieved], history: list[Turn]) -> Iterator[Any]:
        pieces = super().stream(question, context, history)
        yield next(pieces)
        raise RuntimeError("generator exploded: secret internals")
