"""The chat page, its assets and the embed script: served with caching and security headers."""

from __future__ import annotations

from tests.api.live_server import Served


def test_page_is_revalidated_and_locked_down(api: Served) -> None:
    page = api.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = page.headers["content-security-policy"]
    for rule in ("script-src 'self'", "object-src 'none'", "frame-ancestors 'self'"):
        assert rule in policy
    assert "/static/app.js" in page.text
    again = api.client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = api.client.head("/")
    assert head.status_code == 200 and head.content == b""


def test_assets_and_embed_script(api: Served) -> None:
    for path, kind in [
        ("/static/app.js", "javascript"),
        ("/static/app.css", "text/css"),
        ("/widget.js", "javascript"),
    ]:
        response = api.client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"]
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["etag"]
        cached = api.client.get(path, headers={"If-None-Match": response.headers["etag"]})
        assert cached.status_code == 304
    versioned = api.client.get("/static/app.js?v=abc123")
    assert "immutable" in versioned.headers["cache-control"]


def test_missing_assets_are_json_404(api: Served) -> None:
    for path in ("/static/missing.js", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        response = api.client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
