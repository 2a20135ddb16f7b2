"""Links from a guide reach answers only when they go to an allowed origin (#23 D3).

A guide links to a phishing portal and to a download, and to one page the operator
allows. The guides are plain text, which keeps its links as written (a markdown guide's
link URLs are metadata, never prose, so they cannot reach an answer). Every way an answer
leaves the service — the answer's markdown, its HTML, the stream, a reloaded session, /v1
and Slack — shows the others as text naming their host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.slack.blocks import answer_blocks
from coach.embeddings import OnnxMiniLMEmbeddings
from coach.schema import Answer
from coach.store import GuideStore
from tests.api.live_server import Serve, Served, parse_sse
from tests.support import ingested_store

GUIDES = Path(__file__).parent / "guides" / "links"
ALLOWED = "https://careers.example"
QUESTION = "How should I format my resume?"


@pytest.fixture(scope="module")
def links_store(
    tmp_path_factory: pytest.TempPathFactory, embeddings: OnnxMiniLMEmbeddings
) -> GuideStore:
    return ingested_store(GUIDES, tmp_path_factory.mktemp("links") / ".coach", embeddings)[1]


@pytest.fixture(scope="module")
def served(serve: Serve, links_store: GuideStore) -> Iterator[Served]:
    with serve(store=links_store, link_origins=[ALLOWED]) as running:
        yield running


def no_live_evil_link(text: str) -> None:
    assert "https://evil.test" not in text and "http://evil.test" not in text, text
    assert "evil.test" in text, "the host stays visible"


def test_the_answer_markdown_and_html_link_only_to_the_allowed_origin(served: Served) -> None:
    answer = served.ask(QUESTION)
    no_live_evil_link(answer["answer"])
    no_live_evil_link(answer["answer_html"])
    assert "the applicant portal (evil.test)" in answer["answer"]
    assert f'href="{ALLOWED}/style"' in answer["answer_html"]
    assert all("evil.test/" not in s["text"] for s in answer["statements"])


def test_the_streamed_pieces_carry_no_live_link(served: Served) -> None:
    response = served.client.post("/api/chat/stream", json={"message": QUESTION})
    events = parse_sse(response.text)
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    no_live_evil_link(streamed)
    [done] = [data for name, data in events if name == "done"]
    assert streamed == done["answer"]
    no_live_evil_link(done["answer_html"])


def test_a_reloaded_session_renders_no_live_link(served: Served) -> None:
    session = served.session(served.ask(QUESTION)["session_id"])
    [reply] = [m for m in session["messages"] if m["role"] == "assistant"]
    no_live_evil_link(reply["answer_html"])


def test_an_answer_stored_before_the_setting_renders_without_the_link(
    serve: Serve, links_store: GuideStore
) -> None:
    with serve(store=links_store, link_origins=[ALLOWED]) as running:
        session_id = running.ask(QUESTION)["session_id"]
        running.parts.history.add_message(
            session_id,
            "assistant",
            "See [portal](https://evil.test/portal) and <https://evil.test/x>",
        )
        messages = running.session(session_id)["messages"]
    no_live_evil_link(messages[-1]["answer_html"])


def test_v1_answers_carry_no_live_link(served: Served) -> None:
    body = {"model": "coach", "messages": [{"role": "user", "content": QUESTION}]}
    reply = served.client.post("/v1/chat/completions", json=body).json()
    no_live_evil_link(reply["choices"][0]["message"]["content"])
    streamed = served.client.post("/v1/chat/completions", json={**body, "stream": True}).text
    pieces = [
        json.loads(line[len("data: ") :])["choices"][0]["delta"].get("content") or ""
        for line in streamed.splitlines()
        if line.startswith("data: {")
    ]
    no_live_evil_link("".join(pieces))


def test_slack_blocks_link_nothing_but_the_allowed_origin(served: Served) -> None:
    answer = Answer.model_validate(
        {k: v for k, v in served.ask(QUESTION).items() if k != "answer_html"}
    )
    blocks = answer_blocks(answer)
    texts = [b["text"] for b in blocks if b["type"] == "section"]
    assert texts and all(t["verbatim"] for t in texts), "Slack links no bare URL or domain"
    shown = "\n".join(t["text"] for t in texts)
    no_live_evil_link(shown)
    assert f"<{ALLOWED}/style|the style guide>" in shown


def test_with_no_origins_allowed_no_link_is_live(serve: Serve, links_store: GuideStore) -> None:
    with serve(store=links_store) as running:
        answer = running.ask(QUESTION)
    assert 'href="http' not in answer["answer_html"]
    assert "the style guide (careers.example)" in answer["answer"]
