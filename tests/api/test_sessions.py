"""GET and DELETE /api/sessions/{id}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.live_server import FOLLOW_UP, QUESTION, Served


def test_session_holds_every_turn(api: Served) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    first = api.ask(QUESTION)
    second = api.ask(FOLLOW_UP, first["session_id"])
    session = api.session(first["session_id"])
    assert set(session) == {"session_id", "created_at", "title", "messages"}
    assert session["session_id"] == first["session_id"]
    assert session["title"] == QUESTION[:60]
    messages = session["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    for m in messages:
        assert set(m) == {
            "id",
            "role",
            "content",
            "citations",
            "refused",
            "mode",
            "answer_html",
            "created_at",
            "feedback",
        }
        created = datetime.fromisoformat(m["created_at"])
        assert created.utcoffset() == timedelta(0) and created >= before
        assert m["feedback"] is None
    user, reply = messages[0], messages[1]
    assert user["answer_html"] is None and user["citations"] == [] and user["mode"] is None
    assert reply["id"] == first["message_id"] and reply["content"] == first["answer"]
    assert reply["citations"] == first["citations"]
    assert reply["answer_html"] == first["answer_html"]
    assert messages[3]["id"] == second["message_id"]
    assert datetime.fromisoformat(session["created_at"]) <= datetime.fromisoformat(
        messages[0]["created_at"]
    )


def test_unknown_session_is_404(api: Served) -> None:
    response = api.client.get("/api/sessions/does-not-exist")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and "does-not-exist" in error["message"]


def test_delete_erases_the_conversation(api: Served) -> None:
    kept = api.ask(QUESTION)
    erased = api.ask(QUESTION)
    feedback = {"session_id": erased["session_id"], "message_id": erased["message_id"]}
    assert api.client.post("/api/feedback", json={**feedback, "rating": "up"}).status_code == 200

    response = api.client.delete(f"/api/sessions/{erased['session_id']}")
    assert response.status_code == 204 and response.content == b""
    assert api.client.get(f"/api/sessions/{erased['session_id']}").status_code == 404
    again = api.client.delete(f"/api/sessions/{erased['session_id']}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
    gone = api.client.post(
        "/api/chat", json={"message": QUESTION, "session_id": erased["session_id"]}
    )
    assert gone.status_code == 404
    assert len(api.session(kept["session_id"])["messages"]) == 2  # others untouched
