"""POST /api/chat over real HTTP: the answer contract, sessions, refusals, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.api.live_server import FOLLOW_UP, QUESTION, Served

SEEDS = {
    "ai-documentation-engineer-transition-guide.txt",
    "ai-engineering-job-market-for-backend-developers.md",
    "ai-solutions-architect-transition-guide.txt",
    "backend-developer-to-ai-engineer.txt",
    "backend-engineer-to-ai-engineer-roadmap.md",
}
CONTRACT = {
    "session_id",
    "answer",
    "citations",
    "refused",
    "mode",
    "message_id",
    "grounded",
    "fallback_reason",
    "usage",
    "statements",
    "answer_html",
}


class Elements(HTMLParser):
    """Every element and attribute of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def test_answer_follows_the_contract(api: Served) -> None:
    answer = api.ask(QUESTION)
    assert set(answer) == CONTRACT
    assert answer["refused"] is False and answer["mode"] == "extractive"
    assert answer["session_id"] and answer["message_id"]
    assert answer["citations"], "an on-topic question is answered from the guides"
    ids = [c["id"] for c in answer["citations"]]
    assert ids == list(range(1, len(ids) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])} == set(ids)
    assert {c["source"] for c in answer["citations"]} <= SEEDS
    for n in ids:
        link = f'<a class="cite" href="#cite-{n}" data-cite="{n}">[{n}]</a>'
        assert link in answer["answer_html"]


def test_follow_up_continues_the_session(api: Served) -> None:
    first = api.ask(QUESTION)
    second = api.ask(FOLLOW_UP, first["session_id"])
    assert second["session_id"] == first["session_id"]
    assert second["message_id"] != first["message_id"]
    messages = api.session(first["session_id"])["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert [m["content"] for m in messages[::2]] == [QUESTION, FOLLOW_UP]
    assert messages[3]["id"] == second["message_id"]


def test_off_topic_question_is_refused(api: Served) -> None:
    answer = api.ask("What is a good recipe for banana bread?")
    assert answer["refused"] is True
    assert answer["citations"] == []
    assert answer["answer"] and answer["answer_html"].startswith("<p>")


def test_message_is_trimmed(api: Served) -> None:
    answer = api.ask(f"  \n {QUESTION} \t ")
    assert api.session(answer["session_id"])["messages"][0]["content"] == QUESTION


def test_html_in_a_question_never_comes_back_as_markup(api: Served) -> None:
    question = (
        "<script>alert(1)</script><img src=x onerror=alert(1)> How long does it take to "
        "move from backend to AI engineering?"
    )
    answer = api.ask(question)
    found = elements(answer["answer_html"])
    assert not {"script", "img"} & set(found.tags)
    assert not [name for name, _ in found.attrs if name.startswith("on")]
    stored = api.session(answer["session_id"])["messages"]
    assert stored[0]["content"] == question  # JSON text: the page inserts it as text
    assert stored[0]["answer_html"] is None
    assert "<script" not in stored[1]["answer_html"]
