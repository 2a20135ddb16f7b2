"""Figures and names a statement asserts, and matching them against a passage."""

from __future__ import annotations

import pytest

from coach.llm.claims import Source, figures_of, names_of


def values(text: str) -> list[tuple[float, str]]:
    return [(f.value, f.kind) for f in figures_of(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("earning $90,000 - $150,000", [(90_000, "money"), (150_000, "money")]),
        ("$130K–$165K", [(130_000, "money"), (165_000, "money")]),
        ("$90-150K", [(90_000, "money"), (150_000, "money")]),
        ("from $1.5M to $2M", [(1_500_000, "money"), (2_000_000, "money")]),
        ("a 0-10% increase", [(0, "percent"), (10, "percent")]),
        ("12 percent", [(12, "percent")]),
        ("3-6 months", [(3, "month"), (6, "month")]),
        ("three to six months", [(3, "month"), (6, "month")]),
        ("after 2 years", [(2, "year")]),
        ("build 3 projects", [(3, "plain")]),
        ("one of the best ways", []),
        ("GPT-4 and S3", [(4, "plain")]),
    ],
)
def test_figures_are_normalised(text: str, expected: list[tuple[float, str]]) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    ("claim", "passage", "missing"),
    [
        ("$150K", "Salaries reach $150,000.", []),
        ("$150,000 to $280,000", "Salaries range from $150,000-$280,000.", []),
        ("3 to 6 months", "It takes 3–6 months.", []),
        ("3-6 months", "It takes three to six months.", []),
        ("3-6 weeks", "It takes 3-6 months.", ["3", "6"]),
        ("$100,000 to $250,000", "Salaries range from $150,000 to $280,000.", ["$100,000"]),
        ("10%", "growth of 10 percent", []),
    ],
)
def test_figures_match_across_ways_of_writing_them(
    claim: str, passage: str, missing: list[str]
) -> None:
    found = Source(passage).missing_figures(figures_of(claim))
    assert [f.written for f in found][: len(missing)] == missing
    assert bool(found) == bool(missing)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Learn Python first.", ["Python"]),
        ("Entry-level AI Engineer: $130K", ["AI Engineer"]),
        ("The salary in Berlin is high.", ["Berlin"]),
        ("Use LangChain, GPT-4 and RAG.", ["LangChain", "GPT-4", "RAG"]),
        ("AI Documentation Engineers earn more.", ["AI Documentation Engineers"]),
        ("However, I think it is fine.", []),
        ("Build a sample site.", []),
    ],
)
def test_names_follow_language_rules(text: str, expected: list[str]) -> None:
    assert names_of(text) == expected


def test_names_match_case_plurals_markup_and_initials() -> None:
    source = Source("**Senior AI Engineer**: build retrieval-augmented generation apps.")
    assert source.mentions("AI Engineers") and source.mentions("senior ai engineer")
    assert source.mentions("RAG")  # the initials of retrieval-augmented generation
    assert not source.mentions("Berlin") and not source.mentions("AI Architect")


def test_a_capitalised_word_after_a_colon_starts_a_sentence() -> None:
    assert names_of("Key point: Build projects with Python.") == ["Python"]
