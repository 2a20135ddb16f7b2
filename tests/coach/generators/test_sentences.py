"""Splitting guide text into units: sentences, list items and table rows, never headings."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.units.split import clean_inline, is_heading_line, split_sentences, split_units
from tests.support import SEEDS


def texts(text: str, section: str = "") -> list[str]:
    return [u.text for u in split_units(text, section)]


def test_abbreviations_decimals_and_initials_do_not_end_sentences() -> None:
    text = (
        "Learn a docs tool (e.g., Sphinx or Docusaurus) first. Compare Python vs. Go for "
        "serving. Expect 2.5 months of study, i.e. about ten weeks. Read J. Smith on it!"
    )
    assert split_sentences(text) == [
        "Learn a docs tool (e.g., Sphinx or Docusaurus) first.",
        "Compare Python vs. Go for serving.",
        "Expect 2.5 months of study, i.e. about ten weeks.",
        "Read J. Smith on it!",
    ]


def test_sentences_end_before_quotes_and_digits() -> None:
    text = "Read 'Docs for Developers.' 68% of roles ask for it. Why? Because it works."
    assert split_sentences(text) == [
        "Read 'Docs for Developers.'",
        "68% of roles ask for it.",
        "Why?",
        "Because it works.",
    ]


def test_list_items_stay_whole_and_lose_markdown() -> None:
    text = (
        "## What You Need to Learn\n\n"
        "- LLM APIs - OpenAI, Anthropic. Structured outputs, function calling\n"
        "- **Systems thinking** - You understand how to build scalable applications\n"
        "1. Start with LLM APIs\n"
        "2. Build something simple. Use your existing backend skills\n"
    )
    units = split_units(text)
    assert [u.text for u in units] == [
        "LLM APIs - OpenAI, Anthropic. Structured outputs, function calling",
        "Systems thinking - You understand how to build scalable applications",
        "Start with LLM APIs",
        "Build something simple. Use your existing backend skills",
    ]
    assert {u.kind for u in units} == {"item"}
    assert all(u.label == "What You Need to Learn" for u in units)
    assert [u.ordered for u in units] == [False, False, True, True]


def test_headings_label_units_but_are_never_units() -> None:
    text = (
        "Reality Check\nBefore making this transition, here's an honest look.\n"
        "What You Might Miss\n- Deep hands-on coding and debugging of backend systems\n"
        "## Timeline\n\n2-3 months to become productive as an AI engineer.\n"
        "**Month 1-2: Foundations**\n- Complete Andrew Ng's Machine Learning course\n"
        "Ready to Start Your Transition?\nTake the next step in your career journey."
    )
    units = split_units(text)
    headings = {"Reality Check", "What You Might Miss", "Timeline", "Month 1-2: Foundations"}
    assert not headings & {u.text for u in units}
    assert "Ready to Start Your Transition?" not in {u.text for u in units}
    assert [u.label for u in units] == [
        "Reality Check",
        "What You Might Miss",
        "Timeline",
        "Month 1-2: Foundations",
        "Ready to Start Your Transition?",
    ]


@pytest.mark.parametrize(
    ("line", "following", "heading"),
    [
        ("Overview", "", True),
        ("Documentation Tools (e.g., Sphinx, ReadTheDocs, Docusaurus)", "", True),
        ("## Salary Expectations", "", True),
        ("1. AI Fundamentals Onboarding (2-4 weeks)", "- Learn core AI/ML terms", True),
        ("1. **Start with internal projects** - Propose an AI feature", "2. Build", False),
        ("- Python or TypeScript", "", False),
        ("4 weeks- Complete the Google Technical Writing Course (one and two).", "", False),
        ("6 weeks- Get the Associate certification", "- Learn the platform", False),
        ("Short- and long-term goals", "- Ship the first feature", True),
        ("Backend developers bring critical skills to AI engineering roles:", "", False),
        ("API design | Model serving interfaces | Model input/output formats |", "", False),
        ("_By A. Writer, Staff Engineer at Example._", "", False),  # a byline
    ],
)
def test_heading_lines(line: str, following: str, heading: bool) -> None:
    assert is_heading_line(line, following) is heading


def test_roadmap_phases_label_their_items() -> None:
    text = (
        "Your Learning Roadmap\n"
        "Foundation: Technical Writing and AI Basics\n"
        "4 weeks- Complete the Google Technical Writing Course (one and two).\n"
        "- Read 'Docs for Developers' to understand documentation lifecycle.\n"
        "1. AI Fundamentals Onboarding (2-4 weeks)\n"
        "- Learn core AI/ML terminology and concepts\n"
    )
    first, second, third = split_units(text)
    assert first.text == "Complete the Google Technical Writing Course (one and two)."
    assert first.label == second.label == "Foundation: Technical Writing and AI Basics (4 weeks)"
    assert first.display == (
        "Foundation: Technical Writing and AI Basics (4 weeks) — "
        "Complete the Google Technical Writing Course (one and two)."
    )
    assert third.label == "1. AI Fundamentals Onboarding (2-4 weeks)"
    assert third.display.startswith("1. AI Fundamentals Onboarding (2-4 weeks): Learn core")


def test_a_list_item_glued_to_its_lead_is_split_off_whatever_the_lead_says() -> None:
    text = "Getting started\nPhase A- Set up the repository\n- Open the first issue\n"
    first, second = split_units(text)
    assert (first.text, first.kind) == ("Set up the repository", "item")
    assert first.label == second.label == "Getting started (Phase A)"
    # without a list below it, the same line is prose
    (only,) = split_units("Getting started\nPhase A- Set up the repository.\n")
    assert (only.text, only.kind) == ("Phase A- Set up the repository.", "sentence")


def test_table_rows_read_with_their_header() -> None:
    text = (
        "Existing Backend Skill | AI Engineering Application | Knowledge Gap to Address |\n"
        "---|---|---|\n"
        "API design | Model serving interfaces | Model input/output formats |\n"
    )
    (row,) = split_units(text, "Skill Mapping Analysis")
    assert row.kind == "row"
    assert row.text == (
        "API design — AI Engineering Application: Model serving interfaces; "
        "Knowledge Gap to Address: Model input/output formats"
    )
    assert row.label == "Skill Mapping Analysis"


def test_lead_ins_are_marked_and_short_paragraphs_show_their_heading() -> None:
    text = (
        "## The Skills Gap\n\nThe main gaps for backend developers moving into AI are:\n\n"
        "- ML fundamentals\n\nAPI Development\nYou design and build APIs daily."
    )
    intro, item, sentence = split_units(text)
    assert intro.intro and not item.intro
    assert sentence.display == "API Development: You design and build APIs daily."


def test_the_first_sentence_under_a_specific_heading_shows_it_whatever_the_paragraph_length() -> (
    None
):
    text = (
        "### 3. Refactor code\n\nThis intern saw a similar component. They merged the two. "
        "Reviewers liked it.\n\n## Overview\n\nThis page covers internships. It is long."
    )
    first, second, third, broad, _ = split_units(text)
    assert first.display == "3. Refactor code: This intern saw a similar component."
    assert second.display == second.text and third.display == third.text
    assert broad.display == broad.text  # "Overview" says nothing a reader needs


def test_a_bold_term_ending_with_a_colon_leads_the_list_after_it() -> None:
    text = (
        "**Show the full spectrum:** Your stories should cover four dimensions:\n\n"
        "- **Technical leadership:** Architecture decisions\n"
        "- **People leadership:** Mentoring\n\n"
        "**Be concise**: Keep each story short."
    )
    lead, first, second, plain = split_units(text)
    assert lead.intro and lead.kind == "item"
    assert first.block == second.block == lead.block + 1
    assert not plain.intro


def test_a_chunk_starting_mid_section_takes_its_label_from_the_section() -> None:
    (unit,) = split_units("- Apply to AI documentation engineer roles", "Roadmap > This Week")
    assert unit.label == "This Week"
    assert unit.display == "This Week: Apply to AI documentation engineer roles"


@pytest.mark.parametrize("path", sorted(SEEDS.iterdir()), ids=lambda p: p.name)
def test_every_seed_unit_is_quoted_verbatim(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    headings = {
        clean_inline(line.lstrip("#").strip().strip("*"))
        for line, following in zip(lines, [*lines[1:], ""], strict=True)
        if is_heading_line(line, following)
    }
    source = " ".join(clean_inline(line) for line in lines)
    units = split_units(raw)
    assert len(units) > 20
    assert headings and not headings & {u.text for u in units}
    for unit in units:
        if unit.kind != "row":
            assert unit.text in source, unit.text


def test_paragraphs_led_by_a_bold_term_are_one_definition_list() -> None:
    text = (
        "As a team lead you take on extra duties, including:\n\n"
        "**Facilitator**: Run the team meetings. Keep the process.\n\n"
        "**Mentor:** Coach engineers.\n\n"
        "**Liaison**: Bring feedback to the right people.\n\n"
        "Everything else stays as it is."
    )
    intro, *items, after = split_units(text)
    assert intro.intro
    assert [u.text for u in items] == [
        "Facilitator: Run the team meetings. Keep the process.",
        "Mentor: Coach engineers.",
        "Liaison: Bring feedback to the right people.",
    ]
    assert {u.kind for u in items} == {"item"} and len({u.block for u in items}) == 1
    assert items[0].block == intro.block + 1  # the lead-in opens this list
    assert after.kind == "sentence" and after.block != items[0].block


def test_a_bold_phrase_inside_a_paragraph_is_not_a_definition() -> None:
    (first, second) = split_units("Managers share **direct feedback** often. They do it weekly.")
    assert first.kind == second.kind == "sentence"


def test_single_emphasis_markers_go_but_snake_case_and_arithmetic_stay() -> None:
    assert clean_inline("_By A. Writer._ A *really* big step") == "By A. Writer. A really big step"
    assert clean_inline("set my_var_name to 2 * 3 * 4") == "set my_var_name to 2 * 3 * 4"


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "The U.S. office pays 2.5 times the base. Ask J. Smith for the form.",
            ["The U.S. office pays 2.5 times the base.", "Ask J. Smith for the form."],
        ),
        (
            'She said "Start now." Then she left. Pick one, e.g. Python. Done.',
            ['She said "Start now."', "Then she left.", "Pick one, e.g. Python.", "Done."],
        ),
        (
            "Work at Acme Inc. is remote. The U.K. team (a.m. shifts) starts at 9.",
            ["Work at Acme Inc. is remote.", "The U.K. team (a.m. shifts) starts at 9."],
        ),
    ],
)
def test_abbreviations_decimals_initials_and_quotes_stay_inside(
    text: str, sentences: list[str]
) -> None:
    assert split_sentences(text) == sentences
