"""Bad input on every route: each gets a clear JSON 4xx, and nothing stored changes."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from api.server import JSONErrorH11Protocol
from tests.api.live_server import Served, live_server

JSON = {"content-type": "application/json"}
SURROGATE = '"career \\ud800 switch"'  # valid JSON, not Unicode text


def raw(body: str | bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return {"content": data, "headers": headers or JSON}


def user(content: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}]}


CASES = [
    # (method, path, request keywords, status, code)
    ("POST", "/api/chat", raw(f'{{"message": {SURROGATE}}}'), 422, "invalid_request"),
    ("POST", "/api/chat/stream", raw(f'{{"message": {SURROGATE}}}'), 422, "invalid_request"),
    (
        "POST",
        "/api/chat",
        raw(f'{{"message": "hi", "session_id": {SURROGATE}}}'),
        422,
        "invalid_request",
    ),
    ("POST", "/api/chat", raw(b'{"message": "caf\xe9"}'), 400, "bad_request"),
    ("POST", "/api/chat/stream", raw(b'{"message": "\xff\xfe"}'), 400, "bad_request"),
    ("POST", "/api/chat", raw('"just a string"'), 422, "invalid_request"),
    ("POST", "/api/chat", raw("null"), 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": ["a", "list"]}}, 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": {"an": "object"}}}, 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": True}}, 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": 1e308}}, 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": " " * 4001}}, 422, "invalid_input"),
    ("POST", "/api/chat", {"json": {"message": "hi", "session_id": ""}}, 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": "hi", "session_id": "ü" * 10}}, 404, "not_found"),
    (
        "POST",
        "/api/chat",
        raw("<message>hi</message>", {"content-type": "application/xml"}),
        422,
        "invalid_request",
    ),
    ("POST", "/api/chat", raw('{"message": "hi"' + "}" * 3), 422, "invalid_request"),
    ("POST", "/api/chat", {"json": {"message": "x" * 70_000}}, 413, "payload_too_large"),
    ("PUT", "/api/chat", {"json": {"message": "hi"}}, 405, "method_not_allowed"),
    ("GET", "/api/chat", {}, 405, "method_not_allowed"),
    ("DELETE", "/api/chat/stream", {}, 405, "method_not_allowed"),
    ("POST", "/api/chat/stream", {"json": {"message": [1]}}, 422, "invalid_request"),
    (
        "POST",
        "/api/chat/stream",
        {"json": {"message": "hi", "session_id": "gone"}},
        404,
        "not_found",
    ),
    (
        "POST",
        "/v1/chat/completions",
        raw(f'{{"messages": [{{"role": "user", "content": {SURROGATE}}}]}}'),
        422,
        "invalid_request",
    ),
    (
        "POST",
        "/v1/chat/completions",
        raw(
            '{"messages": [{"role": "user", "content": "a"}, '
            f'{{"role": "assistant", "content": {SURROGATE}}}, '
            '{"role": "user", "content": "b"}]}'
        ),
        422,
        "invalid_request",
    ),
    (
        "POST",
        "/v1/chat/completions",
        raw(
            '{"stream": true, "messages": [{"role": "user", '
            f'"content": [{{"type": "text", "text": {SURROGATE}}}]}}]}}'
        ),
        422,
        "invalid_request",
    ),
    ("POST", "/v1/chat/completions", {"json": {"messages": []}}, 422, "invalid_request"),
    ("POST", "/v1/chat/completions", {"json": {"messages": "hi"}}, 422, "invalid_request"),
    (
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "assistant", "content": "hi"}]}},
        422,
        "invalid_input",
    ),
    (
        "POST",
        "/v1/chat/completions",
        {"json": {"messages": [{"role": "wizard", "content": "hi"}]}},
        422,
        "invalid_request",
    ),
    ("POST", "/v1/chat/completions", {"json": user(42)}, 422, "invalid_request"),
    ("POST", "/v1/chat/completions", {"json": user("   ")}, 422, "invalid_input"),
    (
        "POST",
        "/v1/chat/completions",
        {"json": {**user("hi"), "stream": "maybe"}},
        422,
        "invalid_request",
    ),
    (
        "POST",
        "/v1/chat/completions",
        raw(b'{"messages": [{"role": "user", "content": "\xc3"}]}'),
        400,
        "bad_request",
    ),
    ("GET", "/v1/chat/completions", {}, 405, "method_not_allowed"),
    ("POST", "/v1/models", {}, 405, "method_not_allowed"),
    (
        "POST",
        "/api/feedback",
        {"json": {"session_id": "s", "message_id": "m", "rating": "meh"}},
        422,
        "invalid_request",
    ),
    (
        "POST",
        "/api/feedback",
        raw(f'{{"session_id": "s", "message_id": "m", "rating": "up", "comment": {SURROGATE}}}'),
        422,
        "invalid_request",
    ),
    (
        "POST",
        "/api/feedback",
        {"json": {"session_id": "s", "message_id": "m", "rating": "up", "comment": "c" * 2001}},
        422,
        "invalid_request",
    ),
    ("POST", "/api/feedback", {"json": {"session_id": "s"}}, 422, "invalid_request"),
    (
        "POST",
        "/api/feedback",
        {"json": {"session_id": "s", "message_id": "m", "rating": "up"}},
        404,
        "not_found",
    ),
    ("GET", "/api/sessions/unknown", {}, 404, "not_found"),
    ("GET", "/api/sessions/..%2F..%2Fetc%2Fpasswd", {}, 404, "not_found"),
    ("GET", "/api/sessions/%ED%A0%80", {}, 404, "not_found"),
    ("GET", "/api/sessions/" + "a" * 5000, {}, 404, "not_found"),
    ("DELETE", "/api/sessions/unknown", {}, 404, "not_found"),
    ("PATCH", "/api/sessions/unknown", {}, 405, "method_not_allowed"),
    ("POST", "/healthz", {}, 405, "method_not_allowed"),
    ("DELETE", "/readyz", {}, 405, "method_not_allowed"),
    ("GET", "/api/nothing-here", {}, 404, "not_found"),
    (
        "OPTIONS",
        "/api/chat",
        {"headers": {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}},
        400,
        "cors_refused",
    ),
]


def session_rows(api: Served) -> int:
    with api.parts.history.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM sessions")).scalar_one())


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    CASES,
    ids=[f"{n:02d}-{c[0]}-{c[1][:40]}" for n, c in enumerate(CASES)],
)
def test_bad_input_gets_a_json_error_and_stores_nothing(
    api: Served,
    conversation: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before, rows = api.session(conversation), session_rows(api)
    with httpx.Client(base_url=api.url, timeout=60) as client:  # a fresh connection each
        response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = json.loads(response.text)["error"]
    assert error["code"] == code and error["message"].strip()
    assert "Traceback" not in response.text
    if status == 405:
        assert method not in response.headers["allow"].split(", ")
    assert api.session(conversation) == before  # complete, in order, unchanged
    assert session_rows(api) == rows  # no half-made session


def test_enough_bad_inputs_are_tried() -> None:
    routes = {path.split("?")[0].rsplit("/", 1)[0] for _, path, *_ in CASES}
    assert len(CASES) >= 40 and len(routes) >= 6


def test_sessions_answer_405_with_every_allowed_method(api: Served) -> None:
    for method in ("PUT", "OPTIONS", "POST"):
        response = api.client.request(method, "/api/sessions/any")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, DELETE"


@pytest.mark.parametrize(
    ("request_head", "status", "code"),
    [
        (
            b"GET /api/sessions/x?q=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n",
            b"431",
            "headers_too_large",
        ),
        (
            b"GET /api/sessions/x HTTP/1.1\r\nHost: t\r\nA header without a colon\r\n\r\n",
            b"400",
            "bad_request",
        ),
        (b"BREW /api/chat HTTP/9\r\n\r\n", b"400", "bad_request"),
    ],
    ids=["long-request-line", "malformed-header", "garbage-request-line"],
)
def test_unreadable_http_gets_the_json_error_shape(
    api: Served, conversation: str, request_head: bytes, status: bytes, code: str
) -> None:
    before = api.session(conversation)
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(request_head)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 " + status), reply[:200]
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["error"]["code"] == code
    assert api.session(conversation) == before


@pytest.mark.parametrize("protocol", ["httptools", "h11"])
def test_both_http_parsers_answer_in_json(api: Served, protocol: str) -> None:
    """The h11 parser (used where httptools is not installed) has the JSON 400 too."""
    options = {"http": JSONErrorH11Protocol} if protocol == "h11" else {}
    with live_server(create_app(api.settings, parts=api.parts), **options) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n")
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head
    assert "request" in json.loads(body)["error"]["message"]
