"""A small model declining what the guides answer (issue 27), replayed over loopback HTTP.

The replies are quoted verbatim from issue 27 (Qwen2.5-Coder-1.5B on llama.cpp): a covered
question the model declines is answered offline and says so; an uncovered one stays the
coach's refusal; a decline followed by a supported claim is an answer.
"""

from __future__ import annotations

import pytest

from coach.chain import Coach, Completed, Delta
from coach.citations import validate_citations
from coach.prompt_files import load_prompt
from tests.openai_double.server import OpenAIServer, Reply
from tests.openai_double.support import citing

COVERED = "How long does it take to become an AI engineer?"
UNCOVERED = "Is an IC5 engineer the same thing as a Staff Engineer?"  # a company's levels

# Verbatim from issue 27.
BARE = "The guides don't cover that."
DECLINED_THEN_OFFERED = (
    "The guides don't cover that. The guides can help with general things to keep in mind, "
    "such as the number of years of job history you should include and what goes into each "
    "job entry."
)


def ask(coach: Coach, question: str) -> tuple[str, Completed]:
    shown = ""
    for event in coach.stream(question):
        if isinstance(event, Delta):
            shown += event.text
        elif isinstance(event, Completed):
            return shown, event
    raise AssertionError("no answer")


@pytest.mark.parametrize("reply", [BARE, DECLINED_THEN_OFFERED])
def test_a_declined_covered_question_is_answered_offline_and_says_so(
    reply: str, openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    openai_server.script(Reply(text=reply))
    shown, done = ask(llm_coach, COVERED)
    answer = done.answer
    assert not answer.refused and answer.mode == "extractive"
    assert answer.fallback_reason == "model_declined"
    assert answer.answer.startswith(load_prompt("model_declined.txt"))
    assert shown == answer.answer
    assert answer.citations and validate_citations(answer.answer, answer.citations) == []
    assert "cover that" not in answer.answer and "job history" not in answer.answer
    assert len(openai_server.chat_requests()) == 1  # a decline is not argued with


def test_a_bare_decline_of_an_uncovered_question_stays_a_refusal(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    openai_server.script(Reply(text=BARE))
    _, done = ask(llm_coach, UNCOVERED)
    assert done.answer.refused and done.answer.fallback_reason is None
    assert done.answer.answer == llm_coach.voice.refusal("not_covered")


def test_a_decline_then_a_supported_claim_is_the_models_answer(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    openai_server.script(citing(BARE + " Becoming productive takes 2-3 months [{2-3 months}]."))
    shown, done = ask(llm_coach, COVERED)
    answer = done.answer
    assert not answer.refused and answer.mode == "llm" and answer.fallback_reason is None
    assert answer.answer == shown == "Becoming productive takes 2-3 months [1]."
    assert [s.citations for s in answer.statements] == [[1]]
