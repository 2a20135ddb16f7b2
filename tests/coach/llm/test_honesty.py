"""The LLM path fed what real models wrote (issue 12), over the seed guides, end to end.

The first replies are quoted verbatim from a small local model (Qwen2.5-Coder-1.5B); the
others are more of the same kinds. Each runs the whole chain (real retrieval, the real
embedding model for the support check) against the scripted OpenAI-compatible server,
and every answer must hold the invariants of ``assert_honest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from coach.chain import Coach, Completed, Delta
from coach.citations import cited_numbers, validate_citations
from coach.llm.claims import Source, figures_of
from coach.llm.statements import is_refusal, words_of
from tests.openai_double.server import OpenAIServer, Reply

# Issue 12 asked "…of a data scientist in Berlin?"; without the city the question passes the
# coverage checks, so the model is asked and its invented figures must be caught.
DATA_SCIENTIST = "What is the average salary of a data scientist?"
OTHER_GUIDES = "Is an IC5 engineer the same thing as a Staff Engineer?"  # a company's levels
DOC_SALARY = "What salary range can an AI Documentation Engineer expect?"
DOC_TOOLS = "What tools should I learn to build documentation sites?"
LEVELS = "What salary can an AI engineer expect at each level?"
TIMELINE = "How long does it take to become an AI engineer?"

# Verbatim outputs of Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), from issue 12.
INVENTED_FIGURE_IN_REFUSAL = (
    "The guides don't cover that. The average salary of a data scientist in Berlin ranges "
    "from $100,000 to $250,000 depending on experience and location."
)
PREFIXED_SALARY = (
    "The guides don't cover that. However, the salary ranges overlap significantly with AI "
    "Documentation Engineers earning $90,000 - $150,000. … The transition typically results "
    "in a 0-10% increase, depending on the company and location.\n\n[1][2]"
)
PREFIXED_TOOLS = (
    "The guides don't cover that. They can help with learning Docusaurus and Sphinx for "
    "building documentation sites.\n\n[1]\n\n[2]"
)
LIST_NUMBERS = (
    "[1] Entry-level AI Engineer: $130K - $165K\n[2] Mid-level AI Engineer: $165K - $210K\n"
    "[3] Senior AI Engineer: $200K - $280K"
)


@dataclass
class Case:
    """A question, what the model replies (in turn), and what the coach must do with it."""

    question: str
    replies: list[str]
    refused: bool
    mode: str = "llm"
    absent: list[str] = field(default_factory=list)  # text that must not reach the user
    present: list[str] = field(default_factory=list)  # text the answer must keep
    calls: int = 1  # chat completions the answer takes
    fallback: str | None = None


CASES = {
    "declined-before-the-model": Case(
        OTHER_GUIDES,  # written for other guides: the coverage checks decline, no completion
        [INVENTED_FIGURE_IN_REFUSAL],
        refused=True,
        mode="extractive",
        calls=0,
        absent=["$100,000", "Berlin", "IC5"],
    ),
    "refusal-with-invented-figure": Case(
        DATA_SCIENTIST,
        [INVENTED_FIGURE_IN_REFUSAL],
        refused=False,
        mode="extractive",
        fallback="model_declined",
        absent=["$100,000", "Berlin", "$250,000"],
    ),
    "refusal-prefix-then-supported-salary": Case(
        DOC_SALARY,
        [PREFIXED_SALARY],
        refused=False,
        absent=["don't cover", "However", "…"],
        present=["$90,000 - $150,000", "0-10% increase"],
    ),
    "refusal-prefix-then-supported-tools": Case(
        DOC_TOOLS,
        [PREFIXED_TOOLS],
        refused=False,
        absent=["don't cover"],
        present=["Docusaurus and Sphinx"],
    ),
    "list-numbers-then-a-cited-list": Case(
        LEVELS,
        [
            LIST_NUMBERS,
            "- Entry-level AI Engineer: $130K - $165K [1]\n- Mid-level AI Engineer: $165K - "
            "$210K [1]\n- Senior AI Engineer: $200K - $280K [1]",
        ],
        refused=False,
        calls=2,
        present=["$130K - $165K [1]", "$165K - $210K [1]", "$200K - $280K [1]"],
    ),
    "list-numbers-twice": Case(
        LEVELS,
        [LIST_NUMBERS, LIST_NUMBERS],
        refused=False,
        mode="extractive",
        calls=2,
        fallback="ungrounded",
    ),
    "piled-markers-shared-out": Case(
        DOC_SALARY,
        [
            "AI Documentation Engineers earn $90,000 - $150,000. Entry-level AI Engineers "
            "earn $130K - $165K.\n\n[{@$90,000 - $150,000}][{@$130K - $165K}]"
        ],
        refused=False,
        present=["$90,000 - $150,000 [1].", "$130K - $165K [2]."],
    ),
    "figure-from-the-wrong-excerpt": Case(
        DOC_SALARY,
        [
            "AI Documentation Engineers earn $90,000 - $150,000 [1]. AI Solutions Architects "
            "earn $150,000 to $280,000 [1]."
        ],
        refused=False,
        absent=["$280,000", "Solutions Architects"],
        present=["$90,000 - $150,000 [1]."],
    ),
    "name-in-no-excerpt": Case(
        DOC_TOOLS,
        [
            "Build a sample documentation site using Docusaurus [1]. You could also try "
            "Hugo or Jekyll for static sites [1]."
        ],
        refused=False,
        absent=["Hugo", "Jekyll"],
        present=["Docusaurus [1]."],
    ),
    "correct-answer-kept-intact": Case(
        DOC_SALARY,
        [
            "AI Documentation Engineers earn $90,000 - $150,000 [{@$90,000 - $150,000}], and "
            "the move typically brings a 0-10% increase [{@0-10% increase}]. AI Solutions "
            "Architects earn $150,000 to $280,000 [{@$150,000 to $280,000}], while Senior AI "
            "Engineers make $200K - $280K [{@$200K - $280K}]."
        ],
        refused=False,
        present=[
            "AI Documentation Engineers earn $90,000 - $150,000 [1], and the move typically "
            "brings a 0-10% increase [1]. AI Solutions Architects earn $150,000 to $280,000 "
            "[2], while Senior AI Engineers make $200K - $280K [3]."
        ],
    ),
    "bare-refusal": Case(
        DOC_SALARY,
        ["The guides don't cover that."],
        refused=False,
        mode="extractive",
        fallback="model_declined",
    ),
    "refusal-with-unsupported-offer": Case(
        DATA_SCIENTIST,
        ["The guides don't cover that. I can help you negotiate a relocation package."],
        refused=False,
        mode="extractive",
        fallback="model_declined",
        absent=["relocation"],
    ),
    "invented-answer-twice": Case(
        DATA_SCIENTIST,
        [
            "Data scientists in Berlin earn about €70,000 a year.",
            "In Berlin the average is €70,000 [1].",
        ],
        refused=False,
        mode="extractive",
        calls=2,
        absent=["€70,000", "Berlin"],
        fallback="ungrounded",
    ),
    "invented-then-honest-refusal": Case(
        DATA_SCIENTIST,
        ["Data scientists in Berlin earn about €70,000 a year.", "The guides don't cover that."],
        refused=False,
        mode="extractive",
        fallback="model_declined",
        calls=2,
        absent=["€70,000"],
    ),
    "timeline-with-wrong-unit": Case(
        TIMELINE,
        [
            "It takes 2-3 weeks to become productive as an AI engineer [2]. You already have "
            "the engineering skills and just need to learn how they apply to AI [2]."
        ],
        refused=False,
        absent=["2-3 weeks"],
        present=["You already have the engineering skills"],
    ),
    "citation-opening-the-sentence": Case(
        DOC_SALARY,
        ["According to the guides [1], AI Documentation Engineers earn $90,000 - $150,000."],
        refused=False,
        present=["According to the guides [1], AI Documentation Engineers earn $90,000"],
    ),
    "sources-line-at-the-end": Case(
        LEVELS,
        [
            "Entry-level AI Engineers earn $130K - $165K. Senior AI Engineers earn $200K - "
            "$280K.\n\nSources: [1], [2]"
        ],
        refused=False,
        absent=["Sources", "[2]"],
        present=["$130K - $165K [1].", "$200K - $280K [1]."],
    ),
    "good-timeline-kept": Case(
        TIMELINE,
        [
            "Most backend engineers become productive as AI engineers in 2-3 months [2]. The "
            "guides stress that an AI engineer is first and foremost an engineer [1]."
        ],
        refused=False,
        present=[
            "Most backend engineers become productive as AI engineers in 2-3 months [1]. The "
            "guides stress that an AI engineer is first and foremost an engineer [2]."
        ],
    ),
    "good-tools-kept": Case(
        DOC_TOOLS,
        [
            "Start with Docusaurus: build a sample documentation site [{@sample documentation "
            "site}]. Explore Sphinx for Python projects [{@Sphinx for Python}], and learn "
            "Docusaurus by documenting a fictional AI API [{@fictional AI API}]."
        ],
        refused=False,
        present=[
            "Start with Docusaurus: build a sample documentation site [1]. Explore Sphinx for "
            "Python projects [1], and learn Docusaurus by documenting a fictional AI API [2]."
        ],
    ),
    "good-list-with-lead-in-kept": Case(
        LEVELS,
        [
            "Based on the job market guide, salaries are:\n- **Entry-level**: $130K - $165K "
            "[1]\n- **Mid-level**: $165K - $210K [1]\n- **Senior**: $200K - $280K [1]"
        ],
        refused=False,
        present=[
            "Based on the job market guide, salaries are:\n- **Entry-level**: $130K - $165K "
            "[1]\n- **Mid-level**: $165K - $210K [1]\n- **Senior**: $200K - $280K [1]"
        ],
    ),
    "timeline-in-words": Case(
        TIMELINE,
        ["Becoming productive as an AI engineer takes two to three months [2]."],
        refused=False,
        present=["two to three months [1]."],
    ),
}


def numbered(coach: Coach, case: Case) -> list[str]:
    """The case's replies with ``[{@words}]`` as the number of the excerpt holding ``words``.

    The excerpts are the chain's own retrieval, so a reply cites what it means to however
    the guides are chunked and ranked.
    """
    context = coach.retriever.retrieve(coach.queries_for(case.question, [])[0]).context

    def number(match: re.Match[str]) -> str:
        words = match.group(1)
        return str(next(n for n, hit in enumerate(context, 1) if words in hit.chunk.text))

    return [re.sub(r"\{@([^}]+)\}", number, reply) for reply in case.replies]


def ask(coach: Coach, server: OpenAIServer, case: Case) -> tuple[list[str], Completed]:
    server.script(*numbered(coach, case))
    deltas: list[str] = []
    for event in coach.stream(case.question):
        if isinstance(event, Delta):
            deltas.append(event.text)
        elif isinstance(event, Completed):
            return deltas, event
    raise AssertionError("no answer")


def assert_honest(done: Completed, coach: Coach) -> None:
    """What every answer must hold, whatever the model wrote."""
    answer = done.answer
    if answer.refused:  # the coach's own words, no claim
        assert answer.answer in {coach.voice.refusal(r) for r in ("not_covered", "off_topic")}
        assert answer.citations == [] and answer.statements == []
        return
    assert validate_citations(answer.answer, answer.citations) == [] and answer.grounded
    if answer.mode != "llm":  # the extractive answer quotes the guides
        return
    assert answer.statements
    unmarked = words_of(answer.answer)  # no markers, no emphasis
    chunks = {item.chunk.chunk_id: item.chunk for item in done.retrieval.context}
    by_number = {c.id: chunks[c.chunk_id] for c in answer.citations}
    for statement in answer.statements:
        assert statement.supported and statement.citations, statement
        assert statement.text in unmarked, (statement.text, unmarked)
        assert not is_refusal(statement.text)
        for number in statement.citations:  # every citation carries the statement's figures
            source = Source(by_number[number].text)
            assert source.missing_figures(figures_of(statement.text)) == [], (statement, number)
    used = {n for s in answer.statements for n in s.citations}
    assert used == set(cited_numbers(answer.answer))


@pytest.mark.parametrize("name", list(CASES))
def test_real_outputs_reach_the_user_only_when_supported(
    name: str, openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    case = CASES[name]
    deltas, done = ask(llm_coach, openai_server, case)
    answer = done.answer
    assert_honest(done, llm_coach)
    assert answer.refused is case.refused
    assert answer.mode == case.mode
    assert answer.fallback_reason == case.fallback
    assert len(openai_server.chat_requests()) == case.calls
    assert "".join(deltas) == answer.answer  # nothing shown that the answer does not keep
    for text in case.absent:
        assert text not in answer.answer, text
    for text in case.present:
        assert text in answer.answer, (text, answer.answer)


def test_a_prefixed_answer_keeps_each_figure_on_its_own_excerpt(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    _, done = ask(llm_coach, openai_server, CASES["refusal-prefix-then-supported-salary"])
    answer = done.answer
    assert answer.answer == (
        "The salary ranges overlap significantly with AI Documentation Engineers earning "
        "$90,000 - $150,000 [1]. The transition typically results in a 0-10% increase, "
        "depending on the company and location [1]."
    )
    assert [s.citations for s in answer.statements] == [[1], [1]]
    (citation,) = answer.citations
    assert citation.source == "ai-documentation-engineer-transition-guide.txt"
    assert "0-10% increase" in citation.snippet  # the snippet shows the sentences used


def test_list_numbers_are_not_citations_and_the_retry_names_the_problems(
    openai_server: OpenAIServer, llm_coach: Coach
) -> None:
    _, done = ask(llm_coach, openai_server, CASES["list-numbers-then-a-cited-list"])
    _, retry = openai_server.chat_requests()
    assert retry.messages[-2] == {"role": "assistant", "content": LIST_NUMBERS}
    problems = retry.messages[-1]["content"]
    assert '"Entry-level AI Engineer: $130K - $165K": it cites none of the excerpts' in problems
    assert len(done.answer.citations) == 1  # all three figures come from one excerpt
    assert "$130K - $165K" in done.answer.citations[0].snippet


def test_unsupported_statements_never_stream(openai_server: OpenAIServer, llm_coach: Coach) -> None:
    reply = Reply(
        text="AI Documentation Engineers earn $90,000 - $150,000 [1]. In Berlin they earn "
        "$200,000 [1]. The transition typically results in a 0-10% increase [1].",
        piece_delay=0.005,
    )
    openai_server.script(reply)
    deltas: list[str] = []
    for event in llm_coach.stream(DOC_SALARY):
        if isinstance(event, Delta):
            deltas.append(event.text)
            assert "Berlin" not in "".join(deltas)
    assert len(deltas) >= 2  # checked sentences stream as they settle, not all at the end
    assert "".join(deltas) == (
        "AI Documentation Engineers earn $90,000 - $150,000 [1]. The transition typically "
        "results in a 0-10% increase [1]."
    )
