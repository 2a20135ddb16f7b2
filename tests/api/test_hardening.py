"""Bad input, oversized bodies, API key, CORS, rate limit and crashes: each gets its status and
the one JSON error shape, and no stored conversation is harmed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.errors import INTERNAL_MESSAGE
from api.limits import RateLimiter
from tests.api.live_server import QUESTION, Serve, Served

ALLOWED = "https://allowed.example"
KEY = "s3cret-key"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]


@pytest.fixture(scope="module")
def conversation(api: Served) -> str:
    """A session with one exchange, checked intact after every bad request."""
    return api.ask(QUESTION)["session_id"]


BAD_INPUTS = [
    pytest.param({"message": ""}, 422, "invalid_input", "empty", id="empty"),
    pytest.param({"message": " \n\t "}, 422, "invalid_input", "empty", id="blank"),
    pytest.param({"message": "x" * 4001}, 422, "invalid_input", "4000", id="too-long"),
    pytest.param({"message": 42}, 422, "invalid_request", "message:", id="message-not-text"),
    pytest.param({"message": None}, 422, "invalid_request", "message:", id="message-null"),
    pytest.param({"session_id": "x"}, 422, "invalid_request", "message:", id="no-message"),
    pytest.param(
        {"message": "hi", "session_id": 5},
        422,
        "invalid_request",
        "session_id:",
        id="session-not-text",
    ),
    pytest.param(
        {"message": "hi", "session_id": "s" * 65},
        422,
        "invalid_request",
        "session_id:",
        id="session-id-too-long",
    ),
    pytest.param(
        {"message": QUESTION, "session_id": "unknown"},
        404,
        "not_found",
        "Unknown session",
        id="unknown-session",
    ),
]


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream"])
@pytest.mark.parametrize(("body", "status", "code", "says"), BAD_INPUTS)
def test_bad_input_is_refused_and_the_conversation_kept(
    api: Served,
    conversation: str,
    path: str,
    body: dict[str, Any],
    status: int,
    code: str,
    says: str,
) -> None:
    before = api.session(conversation)
    body = {"session_id": conversation, **body}
    error = assert_error(api.client.post(path, json=body), status, code)
    assert says in error["message"]
    assert api.session(conversation) == before


@pytest.mark.parametrize(
    ("content", "headers", "says"),
    [
        (b'{"message": "hi", ', {"content-type": "application/json"}, "not valid JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, "JSON object"),
        (b'{"message": "hi"}', {}, "application/json"),
        (b'{"message": "hi"}', {"content-type": "text/plain"}, "application/json"),
        (b"", {"content-type": "application/json"}, "JSON object"),
    ],
    ids=["malformed-json", "array", "no-content-type", "text-plain", "no-body"],
)
def test_unreadable_bodies_are_422(
    api: Served, conversation: str, content: bytes, headers: dict[str, str], says: str
) -> None:
    before = api.session(conversation)
    for path in ("/api/chat", "/api/chat/stream"):
        response = api.client.post(path, content=content, headers=headers)
        assert says in assert_error(response, 422, "invalid_request")["message"]
    assert api.session(conversation) == before


@pytest.mark.usefixtures("failing_generator")
def test_a_crash_keeps_the_conversation(
    api: Served, conversation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = api.session(conversation)["messages"]
    response = api.client.post(
        "/api/chat", json={"message": "Which skills transfer?", "session_id": conversation}
    )
    error = assert_error(response, 500, "internal_error")
    assert error["message"] == INTERNAL_MESSAGE and "exploded" not in response.text
    after = api.session(conversation)["messages"]
    assert after[: len(before)] == before
    assert [(m["role"], m["content"]) for m in after[len(before) :]] == [
        ("user", "Which skills transfer?")
    ]
    monkeypatch.undo()  # the coach recovers: the conversation goes on
    api.ask("What does an AI Solutions Architect earn?", conversation)
    assert len(api.session(conversation)["messages"]) == len(after) + 2


@pytest.fixture(scope="module")
def small_bodies(serve: Serve) -> Iterator[Served]:
    with serve(max_body_bytes=2048, cors_origins=[ALLOWED]) as served:
        yield served


def test_oversized_bodies_are_413(small_bodies: Served) -> None:
    session_id = small_bodies.ask(QUESTION)["session_id"]
    before = small_bodies.session(session_id)
    big = {"message": "x" * 3000, "session_id": session_id}
    for path in ("/api/chat", "/api/chat/stream", "/api/feedback"):
        error = assert_error(small_bodies.client.post(path, json=big), 413, "payload_too_large")
        assert "2048" in error["message"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: the bytes are counted
        yield b'{"message": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    response = small_bodies.client.post(
        "/api/chat", content=chunked(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")
    assert small_bodies.session(session_id) == before


def test_limit_errors_are_readable_cross_origin(small_bodies: Served) -> None:
    response = small_bodies.client.post(
        "/api/chat", json={"message": "x" * 3000}, headers={"Origin": ALLOWED}
    )
    assert_error(response, 413, "payload_too_large")
    assert response.headers["access-control-allow-origin"] == ALLOWED


def test_cors_allows_only_listed_origins(small_bodies: Served) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    allowed = small_bodies.client.options("/api/chat", headers={"Origin": ALLOWED, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in allowed.headers["access-control-allow-methods"]

    evil = "https://evil.example"
    refused = small_bodies.client.options("/api/chat", headers={"Origin": evil, **preflight})
    assert_error(refused, 400, "cors_refused")
    assert "access-control-allow-origin" not in refused.headers

    simple = small_bodies.client.get("/api/sessions/nope", headers={"Origin": ALLOWED})
    assert simple.headers["access-control-allow-origin"] == ALLOWED
    other = small_bodies.client.get("/api/sessions/nope", headers={"Origin": evil})
    assert "access-control-allow-origin" not in other.headers
    page = small_bodies.client.get("/")
    assert f"frame-ancestors 'self' {ALLOWED}" in page.headers["content-security-policy"]


@pytest.fixture(scope="module")
def keyed(serve: Serve) -> Iterator[Served]:
    with serve(api_key=SecretStr(KEY)) as served:
        yield served


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-key", f"Basic {KEY}", "Bearer", f"Bearer {KEY}x"]
)
def test_api_key_is_required(keyed: Served, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for method, path, body in [
        ("POST", "/api/chat", {"message": QUESTION}),
        ("POST", "/api/chat/stream", {"message": QUESTION}),
        ("GET", "/api/sessions/any", None),
        ("DELETE", "/api/sessions/any", None),
        ("POST", "/api/feedback", {"session_id": "a", "message_id": "b", "rating": "up"}),
    ]:
        response = keyed.client.request(method, path, json=body, headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


def test_the_right_key_opens_the_api(keyed: Served) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    answer = keyed.client.post("/api/chat", json={"message": QUESTION}, headers=auth)
    assert answer.status_code == 200
    session = keyed.client.get(f"/api/sessions/{answer.json()['session_id']}", headers=auth)
    assert session.status_code == 200


@pytest.mark.parametrize(
    "path", ["/", "/widget.js", "/static/app.js", "/healthz", "/readyz", "/docs", "/openapi.json"]
)
def test_page_and_probes_stay_public(keyed: Served, path: str) -> None:
    assert keyed.client.get(path).status_code == 200


def test_rate_limit_answers_429_with_retry_after(serve: Serve) -> None:
    with serve(rate_limit_per_minute=3) as limited:
        for _ in range(3):
            assert limited.client.get("/api/sessions/nope").status_code == 404
        response = limited.client.post("/api/chat", json={"message": QUESTION})
        error = assert_error(response, 429, "rate_limited")
        retry = int(response.headers["retry-after"])
        assert 1 <= retry <= 60 and error["details"] == {"retry_after": retry}
        assert limited.client.post("/v1/chat/completions", json={}).status_code == 429
        assert limited.client.get("/healthz").status_code == 200  # probes are not limited
        assert limited.client.get("/").status_code == 200


def test_rate_limit_counts_an_api_key_apart_from_the_address(serve: Serve) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    with serve(rate_limit_per_minute=2, api_key=SecretStr(KEY)) as limited:
        for _ in range(2):
            assert limited.client.get("/api/sessions/nope").status_code == 401
        assert limited.client.get("/api/sessions/nope").status_code == 429
        for _ in range(2):
            assert limited.client.get("/api/sessions/nope", headers=auth).status_code == 404
        assert limited.client.get("/api/sessions/nope", headers=auth).status_code == 429


def test_moving_window_counts_clients_apart() -> None:
    limiter = RateLimiter(per_minute=2)
    assert limiter.acquire("a") == 0
    assert limiter.acquire("a") == 0
    wait = limiter.acquire("a")
    assert 59 < wait <= 60  # refused: the first hit leaves the window in a minute
    assert limiter.acquire("b") == 0  # clients are counted apart
