"""POST /api/feedback: ratings stored with the conversation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.live_server import QUESTION, Served


@pytest.fixture(scope="module")
def answer(api: Served) -> dict[str, Any]:
    return api.ask(QUESTION)


def rate(api: Served, answer: dict[str, Any], **body: Any) -> Any:
    target = {"session_id": answer["session_id"], "message_id": answer["message_id"]}
    return api.client.post("/api/feedback", json={**target, **body})


def test_rating_is_stored_and_can_change(api: Served, answer: dict[str, Any]) -> None:
    response = rate(api, answer, rating="up")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert api.session(answer["session_id"])["messages"][1]["feedback"] == "up"

    response = rate(api, answer, rating="down", comment="  The timeline was vague.  ")
    assert response.status_code == 200
    assert api.session(answer["session_id"])["messages"][1]["feedback"] == "down"
    assert rate(api, answer, rating="down", comment="x" * 2000).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "meh"}, "rating"),
        ({"rating": None}, "rating"),
        ({}, "rating"),
        ({"rating": "up", "comment": "x" * 2001}, "comment"),
        ({"rating": "up", "comment": 7}, "comment"),
    ],
)
def test_invalid_feedback_is_422(
    api: Served, answer: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    before = api.session(answer["session_id"])
    response = rate(api, answer, **body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["message"].startswith(f"{field}:")
    assert api.session(answer["session_id"]) == before


def test_unknown_message_or_session_is_404(api: Served, answer: dict[str, Any]) -> None:
    wrong_message = {"session_id": answer["session_id"], "message_id": "nope", "rating": "up"}
    wrong_session = {"session_id": "nope", "message_id": answer["message_id"], "rating": "up"}
    for body in (wrong_message, wrong_session):
        response = api.client.post("/api/feedback", json=body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_only_replies_can_be_rated(api: Served, answer: dict[str, Any]) -> None:
    question_id = api.session(answer["session_id"])["messages"][0]["id"]
    response = api.client.post(
        "/api/feedback",
        json={"session_id": answer["session_id"], "message_id": question_id, "rating": "up"},
    )
    assert response.status_code == 404  # documented in the schema (issue #23, N10)
    assert response.json()["error"]["code"] == "not_found"
