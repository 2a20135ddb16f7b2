"""Bounds on every input: Slack's unsigned requests, header sizes, forwarded hops (issue #23)."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from api.slack.threads import ID_WIDTHS, SlackThreads, ThreadKey
from tests.api.live_server import Serve, Served
from tests.api.slack.conftest import SIGNING_SECRET, SlackApp, envelope, mention, sign
from tests.api.slack.slack_server import BOT_TOKEN

CHALLENGE = json.dumps({"type": "url_verification", "challenge": "c", "token": "t"})
BAD_TIMESTAMPS = ["abc", "1.5", "0x10", "\uff11\uff17\uff10\uff10", "", "-1", "9" * 40, "17e3"]


def assert_unsigned(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("timestamp", BAD_TIMESTAMPS, ids=[f"ts{n}" for n in range(8)])
def test_a_malformed_slack_timestamp_is_unsigned(slack_app: SlackApp, timestamp: str) -> None:
    """N5: a timestamp that is not whole seconds is a 401, never a 500."""
    headers = sign(CHALLENGE)
    headers["X-Slack-Request-Timestamp"] = timestamp
    raw = {k: v.encode("utf-8") for k, v in headers.items()}
    response = slack_app.served.client.post(
        "/slack/events",
        content=CHALLENGE.encode(),
        headers={"Content-Type": "application/json", **raw},  # type: ignore[dict-item]
    )
    assert_unsigned(response)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("payload=%7Bnot", "application/x-www-form-urlencoded"),
        ("\x00\xff", "application/octet-stream"),
        ("[1, 2", "text/plain"),
    ],
    ids=["json", "form", "binary", "text"],
)
def test_an_unsigned_body_is_refused_before_it_is_parsed(
    slack_app: SlackApp, body: str, content_type: str
) -> None:
    """N5: malformed bodies with no Slack headers are a 401, not a parse error."""
    assert_unsigned(slack_app.post(body, content_type, headers={}))


def test_a_signed_challenge_still_works(slack_app: SlackApp) -> None:
    response = slack_app.post(CHALLENGE, "application/json")
    assert response.status_code == 200 and "c" in response.text


def test_slack_events_are_rate_limited(serve: Serve, slack_api: object) -> None:
    """N5: the Slack path counts against the per-client limit like the API's paths."""
    with serve(
        rate_limit_per_minute=2,
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
    ) as api:
        codes = [api.client.post("/slack/events", content=b"{").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Big": "a" * 100_000},
        {f"X-Many-{n}": "b" * 1000 for n in range(40)},
        {"Cookie": "c" * 20_000},
    ],
    ids=["one-big", "many", "cookie"],
)
def test_oversized_headers_get_431(api: Served, conversation: str, headers: dict[str, str]) -> None:
    """N9: past COACH_MAX_HEADER_BYTES a request is a JSON 431 on every path."""
    before = api.session(conversation)
    with httpx.Client(base_url=api.url, timeout=60) as client:
        for path in ("/healthz", f"/api/sessions/{conversation}"):
            response = client.get(path, headers=headers)
            assert response.status_code == 431, response.text[:200]
            assert response.json()["error"]["code"] == "headers_too_large"
    assert api.session(conversation) == before


def test_headers_under_the_limit_pass(api: Served) -> None:
    assert api.client.get("/healthz", headers={"X-Fine": "d" * 8000}).status_code == 200


def v1_rows(api: Served) -> int:
    from sqlalchemy import text

    with api.parts.history.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM messages")).scalar_one())


def chat(n: int, words: str = "word") -> list[dict[str, str]]:
    turns = [{"role": ("user", "assistant")[i % 2], "content": words} for i in range(n)]
    return [*turns, {"role": "user", "content": "How do I change careers?"}]


@pytest.mark.parametrize(
    ("messages", "needle"),
    [
        (chat(1700), "limit is 50"),
        (chat(60), "limit is 50"),
        ([{"role": "user", "content": "y" * 4001}], "messages[0]"),
        ([{"role": "assistant", "content": "z" * 5000}, {"role": "user", "content": "hi"}], "[0]"),
    ],
    ids=["1700-messages", "60-messages", "long-question", "long-history"],
)
def test_v1_requests_are_bounded(api: Served, messages: list[Any], needle: str) -> None:
    """N6: too many messages, or one too long, is a 422 naming the bound; nothing stored."""
    before = v1_rows(api)
    response = api.client.post("/v1/chat/completions", json={"messages": messages})
    assert response.status_code in (413, 422), response.text[:300]
    if response.status_code == 422:
        assert needle in response.json()["error"]["message"]
    assert v1_rows(api) == before


def test_v1_stores_only_the_history_the_coach_reads(api: Served) -> None:
    """N6: a long conversation adds at most the coach's context window, not every turn."""
    before = v1_rows(api)
    response = api.client.post("/v1/chat/completions", json={"messages": chat(48)})
    assert response.status_code == 200, response.text[:300]
    assert v1_rows(api) - before <= 20 + 2


@pytest.mark.parametrize("role", ["tool", "function"])
def test_v1_tool_messages_are_refused_as_the_schema_says(api: Served, role: str) -> None:
    """N10: the schema lists no tool roles, and the server refuses them the same way."""
    enum = api.client.get("/openapi.json").text
    assert f'"{role}"' not in enum
    body = {"messages": [{"role": role, "content": "result"}]}
    response = api.client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_feedback_on_a_user_message_is_a_404(api: Served, conversation: str) -> None:
    """N10: rating a user's message is 'no such reply' (404, documented), not a 422."""
    turns = api.client.get(f"/api/sessions/{conversation}").json()["messages"]
    mine = next(t for t in turns if t["role"] == "user")
    body = {"session_id": conversation, "message_id": mine["id"], "rating": "up"}
    response = api.client.post("/api/feedback", json=body)
    assert response.status_code == 404 and "user's" in response.text


def test_errors_echo_at_most_a_capped_part_of_an_id(api: Served) -> None:
    """Minor: a 17 KB session id is not repeated whole in the 404."""
    response = api.client.get("/api/sessions/" + "a" * 17_000)
    assert response.status_code == 404
    assert len(response.text) < 600 and "17000 characters" in response.text


@pytest.mark.parametrize(
    "content",
    [5, {"text": "hi"}, ["not", "parts"], "\ud800 lone surrogate"],
    ids=["number", "object", "list-of-strings", "surrogate"],
)
def test_v1_validation_names_fields_as_a_client_writes_them(api: Served, content: Any) -> None:
    """Minor: "messages[0].content", not pydantic's "messages.0.content.function-after[…]"."""
    body = json.dumps({"messages": [{"role": "user", "content": content}]})
    response = api.client.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]
    error = response.json()["error"]
    fields = {d["field"] for d in error["details"]}
    assert fields and all(f.startswith("messages[0].content") for f in fields), fields
    assert "function-" not in response.text and "messages.0" not in response.text


def oversized(field: str) -> dict[str, Any]:
    event = mention("How do I change careers?")
    body = envelope(event)
    if field == "event_id":
        body["event_id"] = "Ev" + "9" * 70
    elif field == "team_id":
        body["team_id"] = "T" + "0" * 40
    elif field == "event_id_type":
        body["event_id"] = {"not": "a string"}
    else:
        event[field] = "C" + "1" * 40
    return body


@pytest.mark.parametrize("field", ["event_id", "team_id", "channel", "ts", "event_id_type"])
def test_slack_ids_wider_than_their_columns_are_refused(slack_app: SlackApp, field: str) -> None:
    """Minor: an id longer than its column (String(32)/(64)) is a 400 before it is stored."""
    body = json.dumps(oversized(field))
    response = slack_app.post(body, "application/json")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    threads = SlackThreads(slack_app.served.parts.history.engine)
    assert all(len(e) <= 64 for e in threads.known_events())


def test_the_slack_tables_hold_the_widest_ids_on_postgresql(postgres_url: str) -> None:
    """Minor: the Slack tables on PostgreSQL, at the widths the check lets through."""
    engine = create_engine(postgres_url)
    try:
        threads = SlackThreads(engine)
        widths = dict((path[-1], width) for path, width in ID_WIDTHS)
        key = ThreadKey("T" * widths["team_id"], "C" * widths["channel"], "1" * widths["ts"])
        threads.bind(key, "s" * 64)
        assert threads.session_for(key) == "s" * 64
        event_id = "E" * widths["event_id"]
        assert threads.first_delivery(event_id) and not threads.first_delivery(event_id)
        with pytest.raises(DBAPIError):  # what the check keeps from reaching the database
            threads.first_delivery("E" * (widths["event_id"] + 1))
    finally:
        engine.dispose()


def test_an_endless_header_is_cut_off_while_it_is_read(api: Served) -> None:
    """N9: the server answers 431 once a head passes the limit, drops the rest as it comes
    (never holding it) and closes: here a 10 MB header."""
    host, port = api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 10_000_000:
                sock.sendall(b"a" * 16_384)
                sent += 16_384
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed on us: what we want
        reply = b""
        while chunk := sock.recv(65_536):  # ends: the server closes
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 431"), reply[:200]
    assert b'"headers_too_large"' in reply
    assert api.client.get("/healthz").status_code == 200
