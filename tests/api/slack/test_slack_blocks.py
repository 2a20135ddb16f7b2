"""Block Kit messages of the coach: within Slack's limits, sources linked, feedback buttons."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from api.slack import blocks
from coach.schema import Answer, Citation


def citation(n: int, section: str = "Timeline") -> Citation:
    return Citation(
        id=n,
        source=f"guide-{n}.md",
        title=f"Guide {n} <draft>",
        section=section,
        snippet="…",
        chunk_id=f"c{n}",
    )


def answer(**fields: object) -> Answer:
    base: dict[str, object] = {
        "session_id": "s1",
        "answer": "It takes **3-6 months** [1], some say less [2].",
        "citations": [citation(1), citation(2, section="")],
        "message_id": "m1",
    }
    return Answer.model_validate(base | fields)


def contexts(found: list[blocks.Block]) -> list[str]:
    return [e["text"] for b in found if b["type"] == "context" for e in b["elements"]]


def test_sources_are_listed_and_escaped_without_a_public_url() -> None:
    shown = contexts(blocks.answer_blocks(answer()))
    assert shown == ["*[1]* Guide 1 &lt;draft&gt; › Timeline", "*[2]* Guide 2 &lt;draft&gt;"]


def test_sources_link_to_the_widget_source_view() -> None:
    shown = contexts(blocks.answer_blocks(answer(), public_url="https://coach.example.com/"))
    url, label = shown[0].removeprefix("*[1]* <").removesuffix(">").split("|")
    assert label == "Guide 1 &lt;draft&gt; › Timeline"
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "coach.example.com", "/")
    assert parse_qs(parts.fragment) == {"session": ["s1"], "message": ["m1"], "cite": ["1"]}


def test_feedback_buttons_carry_the_message_to_rate() -> None:
    found = blocks.answer_blocks(answer())
    actions = [b for b in found if b["type"] == "actions"]
    assert len(actions) == 1
    values = {e["action_id"]: blocks.read_feedback(e["value"]) for e in actions[0]["elements"]}
    assert values == {
        "coach_feedback_up": ("s1", "m1", "up"),
        "coach_feedback_down": ("s1", "m1", "down"),
    }


def test_a_refusal_says_so_and_lists_no_sources() -> None:
    refusal = answer(answer="I can only help with career questions.", citations=[], refused=True)
    shown = contexts(blocks.answer_blocks(refusal))
    assert shown == [blocks.DECLINED]


def test_an_ungrounded_answer_carries_a_warning() -> None:
    shown = contexts(blocks.answer_blocks(answer(grounded=False, fallback_reason="LLM timed out")))
    assert blocks.UNGROUNDED in shown and "LLM timed out" in shown


def test_long_answers_are_split_into_sections_within_the_limit() -> None:
    paragraphs = "\n\n".join(f"Paragraph {i} " + "word " * 300 for i in range(12))
    found = blocks.sections(paragraphs)
    assert len(found) > 1
    assert all(len(b["text"]["text"]) <= blocks.SECTION_CHARS for b in found)
    joined = "\n\n".join(b["text"]["text"] for b in found)
    assert joined == paragraphs


def test_one_huge_paragraph_is_still_cut_to_fit() -> None:
    found = blocks.sections("x" * (blocks.SECTION_CHARS * 2 + 5))
    assert [len(b["text"]["text"]) for b in found] == [blocks.SECTION_CHARS] * 2 + [5]


def test_many_sources_fill_several_context_blocks() -> None:
    many = answer(citations=[citation(n) for n in range(1, 24)])
    context_blocks = [b for b in blocks.answer_blocks(many) if b["type"] == "context"]
    assert [len(b["elements"]) for b in context_blocks] == [10, 10, 3]


@pytest.mark.parametrize("value", ["not json", "[1, 2]", json.dumps({"session_id": "s"})])
def test_a_forged_button_value_is_refused(value: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        blocks.read_feedback(value)


def test_the_quoted_question_of_a_slash_command_is_escaped_and_bounded() -> None:
    line = blocks.asked_by("U1", "<script> " + "a" * 5000)
    assert line.startswith("<@U1> asked: &lt;script&gt; ") and len(line) < 2100
