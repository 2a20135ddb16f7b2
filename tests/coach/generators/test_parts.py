"""Splitting a compound question into its asks."""

from __future__ import annotations

import pytest

from coach.generators.parts import question_parts


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        (
            "Who picks a new hire's buddy, and how long should the buddy have been here?",
            ["Who picks a new hire's buddy", "how long should the buddy have been here?"],
        ),
        (
            "Can I get a raise without a promotion? And how often are pay bands checked?",
            ["Can I get a raise without a promotion?", "And how often are pay bands checked?"],
        ),
        (
            "How long is the first phase, and what does it cover? (roadmap phase)",
            ["How long is the first phase (roadmap phase)", "what does it cover? (roadmap phase)"],
        ),
    ],
)
def test_a_compound_question_splits_into_its_asks(question: str, asks: list[str]) -> None:
    assert question_parts(question) == asks


@pytest.mark.parametrize(
    "question",
    [
        "What are the pros and cons of remote work?",  # "and" between nouns
        "Should I become a data analyst or a data engineer?",  # one ask, two options
        "I just signed my offer. What should I do in the next two days?",  # scene, then ask
        "How do I negotiate?",
    ],
)
def test_a_single_ask_is_not_split(question: str) -> None:
    assert question_parts(question) == []


def test_the_asks_of_a_question_leave_out_the_scene() -> None:
    from coach.generators.parts import question_asks

    assert question_asks("I work at Acme Corp. How do I become an AI engineer?") == [
        "How do I become an AI engineer?"
    ]
    assert question_asks("Tell me about pay.") == []  # no sentence asks: callers use it all
