"""The chat page, its assets and the embed script: served with caching and security headers."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from tests.api.live_server import Served

IMPORT = re.compile(r"""^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)";""", re.MULTILINE)


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


def test_page_loads_the_widget_as_es_modules(api: Served) -> None:
    """The entry is a module script; it and every module it imports, followed through the
    graph, are served as JavaScript (browsers refuse a module of any other type)."""
    page = api.client.get("/").text
    assert '<script type="module" src="/static/app.js"></script>' in page
    pending, served = ["/static/app.js"], set()
    while pending:
        path = pending.pop()
        if path in served:
            continue
        served.add(path)
        response = api.client.get(path)
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"], path
        assert response.headers["x-content-type-options"] == "nosniff"
        pending += [urljoin(path, target) for target in IMPORT.findall(response.text)]
    expected = {"api", "sse", "sanitizer", "messages", "composer", "sidebar"}
    assert {f"/static/js/{name}.js" for name in expected} <= served


def test_missing_assets_are_json_404(api: Served) -> None:
    for path in ("/static/missing.js", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        response = api.client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
