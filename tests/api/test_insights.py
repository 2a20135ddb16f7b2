"""GET /api/insights and /insights: behind the key, never public, no ids, deletions hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from coach.insights.models import InsightsReport
from coach.insights.records import read_questions
from coach.schema import Citation
from tests.api.live_server import Serve, Served
from tests.coach.insights.script import Scripted, write_history

KEY = "insights-key"
PUBLIC = "https://careers.example.org"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def keyed(serve: Serve) -> Iterator[tuple[Served, Scripted]]:
    with serve(api_key=SecretStr(KEY), public_origins=[PUBLIC]) as served:
        chunk = served.parts.store.all_chunks()[0]
        cited = Citation(
            id=1,
            source=chunk.source,
            title=chunk.title,
            section=chunk.section,
            snippet="…",
            chunk_id=chunk.chunk_id,
        )
        yield served, write_history(served.parts.history, [cited])


@pytest.mark.parametrize("path", ["/api/insights", "/insights"])
def test_the_report_needs_the_key_even_from_a_public_page(
    keyed: tuple[Served, Scripted], path: str
) -> None:
    client = keyed[0].client
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Origin": PUBLIC}).status_code == 401
    refused = client.get(path, headers={"Origin": PUBLIC, "Sec-Fetch-Site": "same-origin"})
    assert refused.status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_json_report_with_the_key(keyed: tuple[Served, Scripted]) -> None:
    served, script = keyed
    response = served.client.get("/api/insights", headers=AUTH)
    assert response.status_code == 200
    report = InsightsReport.model_validate_json(response.text)
    assert report.totals.questions >= 200 and len(report.unanswered_groups) >= 4
    assert not any(session in response.text for session in script.sessions)
    assert "127.0.0.1" not in response.text
    bad = served.client.get("/api/insights", params={"since": "yesterday"}, headers=AUTH)
    assert bad.status_code == 422


def test_the_page_is_self_contained(keyed: tuple[Served, Scripted]) -> None:
    response = keyed[0].client.get("/insights", headers=AUTH)
    assert response.status_code == 200
    assert "connect-src 'none'" in response.headers["content-security-policy"]
    assert "volume-chart" in response.text and "<script src" not in response.text


def test_deleting_a_session_removes_its_questions_from_the_report(
    keyed: tuple[Served, Scripted],
) -> None:
    served, script = keyed
    session = script.sessions[2]
    asked = [
        m.content for m in served.parts.history.get_session(session).messages if m.role == "user"
    ]
    assert served.client.delete(f"/api/sessions/{session}", headers=AUTH).status_code == 204
    text = served.client.get("/api/insights", headers=AUTH).text
    assert asked and not any(f'"{q}"' in text for q in asked)


def test_the_chat_records_its_channel(keyed: tuple[Served, Scripted]) -> None:
    served, _ = keyed
    question = "Which vector databases do employers ask for?"
    assert served.client.post("/api/chat", json={"message": question}, headers=AUTH).is_success
    page = {"Origin": PUBLIC}
    assert served.client.post("/api/chat", json={"message": question}, headers=page).is_success
    channels = [a.channel for a in read_questions(served.parts.history, None) if a.text == question]
    assert sorted(channels) == ["api", "widget"]
