"""Rate limits per client, shared through a real Redis, and the API key kept off public pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from api.clients import client_address, parse_networks
from api.limits import RateLimiter
from tests.api.live_server import QUESTION, Serve, Served
from tests.reliability.support import redis_server

KEY = "server-key"
PAGE = "https://careers.example"


def client_from(api: Served, address: str, **headers: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8 is loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=api.url, transport=transport, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_key_holders_at_other_addresses_have_their_own_buckets(serve: Serve) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    with serve(rate_limit_per_minute=2, api_key=SecretStr(KEY)) as api:
        with client_from(api, "127.0.0.1", **auth) as first:
            assert [first.get("/api/sessions/x").status_code for _ in range(3)] == [404, 404, 429]
        with client_from(api, "127.0.0.2", **auth) as second:
            assert second.get("/api/sessions/x").status_code == 404


def test_forwarded_for_is_believed_only_from_trusted_proxies(serve: Serve) -> None:
    with serve(rate_limit_per_minute=2, trusted_proxies=["127.0.0.2"]) as api:
        with client_from(api, "127.0.0.1") as direct:
            spoofed = [
                direct.get("/api/sessions/x", headers={"X-Forwarded-For": f"198.51.100.{n}"})
                for n in range(4)
            ]
            assert [r.status_code for r in spoofed] == [404, 404, 429, 429]
        with client_from(api, "127.0.0.2") as proxy:  # one bucket per forwarded visitor
            for visitor in ("198.51.100.7", "198.51.100.8"):
                codes = [
                    proxy.get("/api/sessions/x", headers={"X-Forwarded-For": visitor}).status_code
                    for _ in range(3)
                ]
                assert codes == [404, 404, 429]


def test_client_address_reads_forwarded_for_right_to_left() -> None:
    trusted = parse_networks(["10.0.0.0/8"])
    scope = {
        "type": "http",
        "client": ("10.0.0.5", 1234),
        "headers": [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.9, 10.1.1.1")],
    }
    assert client_address(scope, trusted) == "203.0.113.9"  # the spoofed 6.6.6.6 is ignored
    assert client_address(scope, ()) == "10.0.0.5"
    with pytest.raises(ValueError, match="not an IP"):
        parse_networks(["proxy.example"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("garbage", "10.0.0.5"),
        ("", "10.0.0.5"),
        (" , ", "10.0.0.5"),
        ("999.999.1.1", "10.0.0.5"),
        ("1.2.3.4:5678", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::2", "2001:db8::2"),
        ("6.6.6.6, garbage, 10.1.1.1", "10.1.1.1"),
        ("\uff11.2.3.4", "10.0.0.5"),
    ],
    ids=["word", "empty", "blank-hops", "out-of-range", "ip-port", "v6-port", "v6", "mid", "wide"],
)
def test_a_malformed_forwarded_hop_falls_back_to_the_proxy(header: str, expected: str) -> None:
    """N8: a hop no proxy writes is not a bucket of its own; ``ip:port`` is the ip."""
    trusted = parse_networks(["10.0.0.0/8"])
    scope = {
        "type": "http",
        "client": ("10.0.0.5", 1234),
        "headers": [(b"x-forwarded-for", header.encode())],
    }
    assert client_address(scope, trusted) == expected


def test_redis_shares_counts_between_server_processes(redis_url: str) -> None:
    first, second = RateLimiter(3, redis_url), RateLimiter(3, redis_url)
    client = "ip:192.0.2.1"
    assert [first.acquire(client), second.acquire(client), first.acquire(client)] == [0, 0, 0]
    assert second.acquire(client) > 0 and first.acquire(client) > 0
    assert second.acquire("ip:192.0.2.2") == 0


def test_a_server_limited_through_redis(serve: Serve, redis_url: str, tmp_path: Path) -> None:
    settings = {"rate_limit_per_minute": 2, "rate_limit_storage": redis_url}
    with (
        serve(**settings) as one,
        serve(**settings) as two,
        client_from(one, "127.0.0.3") as a,
        client_from(two, "127.0.0.3") as b,
    ):
        codes = [a.get("/api/sessions/x").status_code, b.get("/api/sessions/x").status_code]
        assert codes == [404, 404]
        assert a.get("/api/sessions/x").status_code == 429
        assert b.get("/api/sessions/x").status_code == 429


def test_redis_going_away_does_not_take_the_api_down(serve: Serve, tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:
        limiter = RateLimiter(1, url)
        assert limiter.acquire("ip:a") == 0
    assert limiter.acquire("ip:a") == 0  # redis is gone: let the request through
    with serve(rate_limit_per_minute=1, rate_limit_storage=url) as api:
        assert api.client.get("/api/sessions/x").status_code == 404
        assert api.client.get("/api/sessions/x").status_code == 404


def test_a_public_page_needs_no_key_and_its_visitors_are_limited(serve: Serve) -> None:
    with serve(api_key=SecretStr(KEY), public_origins=[PAGE], rate_limit_per_minute=3) as api:
        with client_from(api, "127.0.0.4", Origin=PAGE) as visitor:
            answer = visitor.post("/api/chat", json={"message": QUESTION})
            assert answer.status_code == 200, answer.text
            assert answer.headers["access-control-allow-origin"] == PAGE
            session = visitor.get(f"/api/sessions/{answer.json()['session_id']}")
            assert session.status_code == 200
            assert visitor.get("/api/sessions/x").status_code == 404
            assert visitor.get("/api/sessions/x").status_code == 429  # per-visitor limit
        with client_from(api, "127.0.0.5", Origin=PAGE) as other:
            assert other.get("/api/sessions/x").status_code == 404
            assert other.post("/v1/chat/completions", json={}).status_code == 401  # key only
        with client_from(api, "127.0.0.6", Origin="https://elsewhere.example") as stranger:
            assert stranger.get("/api/sessions/x").status_code == 401


def test_the_schema_asks_for_a_key_only_when_one_is_set(serve: Serve) -> None:
    with serve() as open_api:
        paths = open_api.client.get("/openapi.json").json()["paths"]
        assert all("security" not in op for ops in paths.values() for op in ops.values())
    with serve(api_key=SecretStr(KEY)) as keyed:
        chat = keyed.client.get("/openapi.json").json()["paths"]["/api/chat"]["post"]
        assert chat["security"] == [{"HTTPBearer": []}]


def test_the_framed_chat_page_needs_no_key_only_when_pages_are_public(serve: Serve) -> None:
    same_origin = {"Sec-Fetch-Site": "same-origin"}
    with serve(api_key=SecretStr(KEY), public_origins=[PAGE]) as api:
        page = api.client.get("/")
        assert f"frame-ancestors 'self' {PAGE}" in page.headers["content-security-policy"]
        posted = api.client.post(
            "/api/chat", json={"message": QUESTION}, headers={"Origin": api.url}
        )
        assert posted.status_code == 200, posted.text
        session = f"/api/sessions/{posted.json()['session_id']}"
        assert api.client.get(session, headers=same_origin).status_code == 200
        assert api.client.get(session).status_code == 401  # not a browser page: the key
    with serve(api_key=SecretStr(KEY)) as private:
        assert private.client.get("/api/sessions/x", headers=same_origin).status_code == 401
        refused = private.client.post(
            "/api/chat", json={"message": QUESTION}, headers={"Origin": private.url}
        )
        assert refused.status_code == 401
