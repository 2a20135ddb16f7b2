"""What the coach holds and how it introduces itself: /api/guides, /api/library, OpenAPI."""

from __future__ import annotations

from datetime import datetime

from pydantic import SecretStr

from coach.settings import Settings
from coach.store import GuideStore
from tests.api.live_server import Serve, Served
from tests.support import NURSING


def test_guides_lists_what_the_store_holds(api: Served) -> None:
    response = api.client.get("/api/guides")
    assert response.status_code == 200
    body = response.json()
    stored = {c.source for c in api.parts.store.all_chunks()}
    assert {g["source"] for g in body["guides"]} == stored
    for guide in body["guides"]:
        assert guide["title"] and guide["sections"] and guide["chunks"] > 0
        datetime.fromisoformat(guide["ingested_at"])
    assert body["topics"] == api.parts.coach.library.topics and body["topics"]


def test_library_gives_the_pages_copy_from_the_guides(
    serve: Serve, nursing: tuple[Settings, GuideStore]
) -> None:
    _, store = nursing
    with serve(store=store) as served:
        body = served.client.get("/api/library").json()
        guides = served.client.get("/api/guides").json()["guides"]
        answer = served.client.post("/api/chat", json={"message": body["starters"][0]}).json()
        schema = served.client.get("/openapi.json").json()
    assert {g["source"] for g in guides} == {p.name for p in NURSING.glob("*.md")}
    assert body["name"] == "Career Coach" and body["guides"] == 3
    assert "Nurse Practitioner" in body["topic"] and body["topic"] in body["channel_topic"]
    assert body["topic"] in body["welcome"] and 3 <= len(body["starters"]) <= 4
    assert not answer["refused"] and answer["citations"]
    message = schema["components"]["schemas"]["ChatRequest"]["properties"]["message"]
    assert message["examples"] == body["starters"][:3]  # the library's questions, not the seeds'


def test_the_openapi_description_names_the_topic(api: Served) -> None:
    schema = api.client.get("/openapi.json").json()
    topic = api.parts.coach.voice.topic
    assert topic in schema["info"]["description"]
    assert schema["info"]["title"] == "Career Coach"
    assert {"/api/guides", "/api/library"} <= set(schema["paths"])
    assert "GuidesOut" in schema["components"]["schemas"]


def test_library_routes_need_the_api_key(serve: Serve) -> None:
    with serve(api_key=SecretStr("k3y"), coach_name="Ward Mentor") as keyed:
        for path in ("/api/guides", "/api/library"):
            refused = keyed.client.get(path)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        allowed = keyed.client.get("/api/library", headers={"Authorization": "Bearer k3y"})
        title = keyed.client.get("/openapi.json").json()["info"]["title"]
    assert allowed.status_code == 200 and allowed.json()["name"] == "Ward Mentor"
    assert title == "Ward Mentor"
