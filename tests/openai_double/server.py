"""An OpenAI-compatible server for tests: the real wire format over loopback HTTP.

It serves ``POST /v1/chat/completions`` (JSON, or SSE chunks with ``stream: true`` and a
usage chunk when ``stream_options.include_usage``), ``POST /v1/embeddings`` (deterministic
hashed bag-of-words vectors, float or base64) and ``GET /v1/models``. Each test scripts
its chat replies (text, HTTP errors with Retry-After, delays, malformed or broken bodies)
and reads back the recorded requests; unscripted calls go to ``responder``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from coach.tokens import count_tokens

EMBEDDING_DIM = 256
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an the and or of to in on for with is are be it that this as at by from i you do how "
    "what my your can should".split()
)


@dataclass
class Reply:
    """One scripted answer of the chat endpoint."""

    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts (client timeouts)
    body: str | None = None  # raw body instead of a completion (malformed JSON / SSE)
    pieces: list[str] | None = None  # how the text streams; default: word by word
    piece_delay: float = 0.0
    break_after: int | None = None  # drop the connection after this many pieces
    usage: bool = True  # report token usage
    finish_reason: str = "stop"


@dataclass
class Recorded:
    """A request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def system(self) -> str:
        return next((str(m["content"]) for m in self.messages if m["role"] == "system"), "")

    @property
    def last_user(self) -> str:
        return next(str(m["content"]) for m in reversed(self.messages) if m["role"] == "user")


def hashed_embedding(text: str, dim: int = EMBEDDING_DIM) -> list[float]:
    """A deterministic unit vector: signed hashed bag of content words."""
    vector = np.zeros(dim, dtype=np.float64)
    for token in _WORD.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        digest = hashlib.md5(token.encode()).digest()
        index = int.from_bytes(digest[:4], "little") % dim
        vector[index] += 1.0 if digest[4] % 2 else -1.0
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:  # no content words: any fixed unit vector
        vector[0], norm = 1.0, 1.0
    return (vector / norm).tolist()


def schema_instance(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A small valid instance of a JSON schema (what a judge model would fill in)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return schema_instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return schema_instance(schema[key][0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: schema_instance(value, defs) for name, value in properties.items()}
    if kind == "array":
        return [schema_instance(schema.get("items", {}), defs)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return "Backend developers can move into AI engineering by learning Python and LLMs."


def schema_reply(prompt: str) -> Reply | None:
    """For a prompt that asks for JSON following a schema (ragas), a valid JSON answer."""
    match = re.search(r"JSON Schema:\n(\{.*?\})Do not use single quotes", prompt, re.S)
    if match is None:
        return None
    return Reply(text=json.dumps(schema_instance(json.loads(match.group(1)))))


def _error(status: int) -> dict[str, Any]:
    kinds = {429: ("rate_limit_exceeded", "Rate limit reached, retry later.")}
    code, message = kinds.get(status, ("server_error", f"Scripted failure {status}."))
    return {"error": {"message": message, "type": "test_error", "param": None, "code": code}}


def _count_prompt(body: dict[str, Any]) -> int:
    return sum(count_tokens(str(m.get("content") or "")) + 4 for m in body.get("messages", []))


class OpenAIServer:
    """A scripted OpenAI-compatible server on a free loopback port, in a thread."""

    def __init__(self) -> None:
        count_tokens("warm up")  # load the vocabulary now, not inside a timed response
        self.replies: deque[Reply | Callable[[Recorded], Reply]] = deque()
        self.requests: list[Recorded] = []
        self.responder: Callable[[Recorded], Reply] = lambda _: Reply(text="OK [1].")
        self.embedding_status: deque[int] = deque()  # scripted embedding failures
        self._lock = threading.Lock()
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_keep_alive=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OpenAI server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def reset(self) -> None:
        """Forget the script, the recorded requests and any custom responder."""
        with self._lock:
            self.replies.clear()
            self.requests.clear()
            self.embedding_status.clear()
            self.responder = lambda _: Reply(text="OK [1].")

    def script(self, *replies: Reply | str | Callable[[Recorded], Reply]) -> None:
        """Queue the next chat replies (a str is a plain text reply; a callable builds the
        reply from its request)."""
        with self._lock:
            self.replies.extend(Reply(text=r) if isinstance(r, str) else r for r in replies)

    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def embedding_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/embeddings")]

    async def _record(self, request: Request) -> Recorded:
        raw = await request.body()
        recorded = Recorded(request.url.path, dict(request.headers), json.loads(raw or b"{}"))
        with self._lock:
            self.requests.append(recorded)
        return recorded

    async def _chat(self, request: Request) -> Response:
        recorded = await self._record(request)
        with self._lock:
            scripted = self.replies.popleft() if self.replies else None
        if callable(scripted):
            scripted = scripted(recorded)
        reply = scripted or self.responder(recorded)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return JSONResponse(_error(reply.status), reply.status, headers=reply.headers)
        body = recorded.body
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._chunks(reply, body, include_usage),
                media_type="text/event-stream",
                headers=reply.headers,
            )
        if reply.body is not None:
            return Response(reply.body, media_type="application/json", headers=reply.headers)
        completion = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "test-model"),
            "system_fingerprint": None,
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": reply.text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                }
                for index in range(int(body.get("n") or 1))
            ],
        }
        if reply.usage:
            completion["usage"] = self._usage(body, reply.text)
        return JSONResponse(completion, headers=reply.headers)

    @staticmethod
    def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
        prompt, completion = _count_prompt(body), count_tokens(text)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    async def _chunks(
        self, reply: Reply, body: dict[str, Any], include_usage: bool
    ) -> AsyncIterator[str]:
        if reply.body is not None:
            yield reply.body
            return
        base = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body.get("model", "test-model"),
            "system_fingerprint": None,
        }

        def event(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            chunk = {**base, "choices": [choice]}
            if include_usage:
                chunk["usage"] = None
            return f"data: {json.dumps(chunk)}\n\n"

        yield event({"role": "assistant", "content": ""})
        pieces = reply.pieces if reply.pieces is not None else re.findall(r"\S+\s*|\s+", reply.text)
        for number, piece in enumerate(pieces):
            if reply.break_after is not None and number == reply.break_after:
                raise ConnectionAbortedError("scripted stream break")
            if reply.piece_delay:
                await asyncio.sleep(reply.piece_delay)
            yield event({"content": piece})
        yield event({}, reply.finish_reason)
        if include_usage and reply.usage:
            usage = self._usage(body, "".join(pieces))
            yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"

    async def _embeddings(self, request: Request) -> Response:
        recorded = await self._record(request)
        with self._lock:
            status = self.embedding_status.popleft() if self.embedding_status else 200
        if status != 200:
            return JSONResponse(_error(status), status)
        body = recorded.body
        inputs = body["input"]
        if isinstance(inputs, str) or (inputs and isinstance(inputs[0], int)):
            inputs = [inputs]
        texts = [t if isinstance(t, str) else " ".join(map(str, t)) for t in inputs]
        dim = int(body.get("dimensions") or EMBEDDING_DIM)
        data = []
        for index, text in enumerate(texts):
            vector: Any = hashed_embedding(text, dim)
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(count_tokens(t) for t in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body.get("model", "test-embedding"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    async def _models(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse(
            {
                "object": "list",
                "data": [
                    {"id": "test-model", "object": "model", "created": 0, "owned_by": "tests"}
                ],
            }
        )
