"""Probes and docs: /healthz, /readyz (ready, and not on an empty store), /docs."""

from __future__ import annotations

from pathlib import Path

import httpx
from swagger_ui_bundle import swagger_ui_path

from api.app import create_app
from coach.store import GuideStore
from tests.api.live_server import QUESTION, Serve, Served, live_server
from tests.support import make_settings


def test_healthz(api: Served) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_when_the_store_has_guides(api: Served) -> None:
    response = api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "chunks": api.parts.store.count(),
        "checks": {"store": "ok", "history": "ok"},
    }
    assert response.json()["chunks"] > 0


def test_not_ready_on_an_empty_store(serve: Serve, empty_store: GuideStore) -> None:
    with serve(store=empty_store) as empty:
        assert empty.client.get("/healthz").status_code == 200  # alive all the same
        response = empty.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and body["chunks"] == 0
    assert body["checks"] == {"store": "empty", "history": "ok"}
    assert body["error"]["code"] == "not_ready" and "coach ingest" in body["error"]["message"]


def test_not_ready_when_the_history_database_is_down(serve: Serve) -> None:
    with serve() as broken:
        broken.parts.history.ping = lambda: False  # type: ignore[method-assign]
        response = broken.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"store": "ok", "history": "down"}


def test_openapi_docs(api: Served) -> None:
    docs = api.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn" not in docs.text.lower()  # works with no network
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert asset in docs.text
        assert api.client.get(asset).status_code == 200
    # FastAPI writes OpenAPI 3.1, which Swagger UI renders from version 5 on
    assert api.client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert "swagger-ui-5." in str(swagger_ui_path)
    schema = api.client.get("/openapi.json").json()
    for path in (
        "/api/chat",
        "/api/chat/stream",
        "/api/sessions/{session_id}",
        "/api/feedback",
        "/healthz",
        "/readyz",
    ):
        assert path in schema["paths"]
    assert "text/event-stream" in str(schema["paths"]["/api/chat/stream"]["post"]["responses"])


def test_unknown_path_is_a_json_404(api: Served) -> None:
    response = httpx.get(f"{api.url}/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    wrong_method = api.client.put("/api/chat")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_the_app_builds_its_parts_and_ingests_the_seeds(tmp_path: Path) -> None:
    """Without parts, the lifespan builds them once and fills an empty store from the seeds."""
    settings = make_settings(tmp_path / ".coach", rate_limit_per_minute=0)
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["chunks"] > 0
        answer = client.post("/api/chat", json={"message": QUESTION})
        assert answer.status_code == 200 and answer.json()["citations"]
    assert (tmp_path / ".coach" / "history.db").exists()
