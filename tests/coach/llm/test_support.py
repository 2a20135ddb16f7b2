"""The support check on the seed guides with the real embedding model, and its floor.

``FAITHFUL`` restates what one retrieved excerpt says (in the model's words or the
guide's); ``OFF_TOPIC`` says things none of them is about. The default
``COACH_SUPPORT_FLOOR`` was chosen on these statements: the first score at least 0.68
against their excerpt, the second at most 0.55 against any. Claims on the excerpt's topic
that it does not make are beyond an embedding; figures and names catch those.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coach.llm.support import SupportChecker
from coach.retrieval import HybridRetriever, Query
from coach.settings import Settings
from coach.store import GuideStore
from tests.support import make_settings

DOC_SALARY = "What salary range can an AI Documentation Engineer expect?"
LEVELS = "What salary can an AI engineer expect at each level?"
DOC_TOOLS = "What tools should I learn to build documentation sites?"
TIMELINE = "How long does it take to become an AI engineer?"

FAITHFUL = [  # (question, statement, the excerpt it restates)
    (
        DOC_SALARY,
        "The salary ranges overlap with AI Documentation Engineers earning $90,000 - $150,000.",
        1,
    ),
    (DOC_SALARY, "The transition typically results in a 0-10% increase.", 1),
    (DOC_SALARY, "You can expect a similar or slightly higher salary in senior roles.", 1),
    (
        DOC_SALARY,
        "With a backend background you may earn the same or a bit more, mainly in "
        "senior positions.",
        1,
    ),
    (DOC_SALARY, "Pay for AI documentation engineers is between $90,000 and $150,000.", 1),
    (LEVELS, "Entry-level AI Engineer: $130K - $165K", 1),
    (LEVELS, "Senior AI Engineer: $200K - $280K", 1),
    (
        LEVELS,
        "Backend developers typically land in the mid-level range after 6-12 months of "
        "focused AI skill-building.",
        1,
    ),
    (
        DOC_TOOLS,
        "They can help with learning Docusaurus and Sphinx for building documentation sites.",
        1,
    ),
    (DOC_TOOLS, "Try Docusaurus by making a sample docs site.", 1),
    (DOC_TOOLS, "Contribute documentation to an open-source AI project.", 2),
    (TIMELINE, "It takes 2-3 months to become productive as an AI engineer.", 2),
    (TIMELINE, "Becoming productive as an AI engineer takes two to three months.", 2),
    (
        TIMELINE,
        "You already have the engineering skills and just need to learn how they apply to AI.",
        2,
    ),
]
OFF_TOPIC = [
    (DOC_SALARY, "Learn Kubernetes to deploy models at scale."),
    (DOC_SALARY, "Most people enjoy the role."),
    (LEVELS, "Salaries are highest in San Francisco and New York."),
    (LEVELS, "The guides can help with salary negotiation tips."),
    (DOC_TOOLS, "Use Hugo or Jekyll for static sites."),
    (DOC_TOOLS, "Negotiate your salary before accepting an offer."),
    (DOC_TOOLS, "Documentation sites should be hosted on your own servers for security."),
    (TIMELINE, "Most bootcamps last 12 weeks and cost $15,000."),
    (TIMELINE, "Python is easy to learn."),
]
MARGIN = 0.05  # the floor sits at least this far from the closest statement of each kind


FLOOR = Settings.model_fields["support_floor"].default
CheckerFor = Callable[[str], SupportChecker]


@pytest.fixture(scope="module")
def checker_for(seeded_store: GuideStore, tmp_path_factory: pytest.TempPathFactory) -> CheckerFor:
    """One checker per question, over what retrieval finds for it (excerpts embed once)."""
    retriever = HybridRetriever(seeded_store, make_settings(tmp_path_factory.mktemp("s")))
    cache: dict[str, SupportChecker] = {}

    def checker(question: str) -> SupportChecker:
        if question not in cache:
            chunks = [r.chunk for r in retriever.retrieve([Query(question)]).context]
            cache[question] = SupportChecker(chunks, seeded_store.embeddings, FLOOR)
        return cache[question]

    return checker


def test_the_floor_separates_faithful_from_off_topic_statements(checker_for: CheckerFor) -> None:
    faithful = [checker_for(q).similarities(text)[n - 1] for q, text, n in FAITHFUL]
    off_topic = [checker_for(q).similarities(text).max() for q, text in OFF_TOPIC]
    assert min(faithful) >= FLOOR + MARGIN, sorted(faithful)[:3]
    assert max(off_topic) <= FLOOR - MARGIN, sorted(off_topic)[-3:]


@pytest.mark.parametrize(("question", "text", "excerpt"), FAITHFUL)
def test_a_faithful_statement_is_supported_by_its_excerpt(
    checker_for: CheckerFor, question: str, text: str, excerpt: int
) -> None:
    verdict = checker_for(question).check(text, [excerpt])
    assert verdict.supported and verdict.backing == [excerpt], verdict.problems


def test_citations_to_excerpts_without_the_figures_are_dropped(checker_for: CheckerFor) -> None:
    checker = checker_for(DOC_SALARY)
    verdict = checker.check("AI Documentation Engineers earn $90,000 - $150,000.", [1, 4, 5])
    assert verdict.backing == [1] and verdict.supported
    wrong = checker.check("AI Solutions Architects earn $150,000 to $280,000.", [1])
    assert not wrong.supported and wrong.problems == ["excerpt [1] does not give $280,000"]


def test_a_name_no_backing_excerpt_mentions_fails_the_statement(checker_for: CheckerFor) -> None:
    checker = checker_for(DOC_TOOLS)
    verdict = checker.check("Build a documentation site with Docusaurus or Hugo.", [1])
    assert verdict.backing == [1] and not verdict.supported
    assert verdict.problems == ["excerpt [1] does not mention Hugo"]
    assert checker.check("It says nothing.", []).problems == ["it cites none of the excerpts"]


def test_an_excerpts_prompt_number_is_not_one_of_its_figures(checker_for: CheckerFor) -> None:
    sources = checker_for(DOC_SALARY).sources
    assert not any(s.text.startswith(f"[{n}]") for n, s in enumerate(sources, 1))
    assert sources[0].text.startswith("From Backend Developer to AI Documentation Engineer")
