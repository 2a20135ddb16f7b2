"""Word-level analysis: content terms and the names a question uses."""

from __future__ import annotations

from coach.keywords import names_in, terms


def test_terms_drop_stopwords_and_stem() -> None:
    assert terms("What are the best vector databases?") == ["best", "vector", "databas"]


def test_contractions_and_possessives_leave_no_fragments() -> None:
    assert terms("I've asked: don't we? PostHog's rules aren't clear, you'll see.") == [
        "ask",
        "posthog",
        "rule",
        "clear",
        "see",
    ]


def test_names_are_capitalised_words_inside_a_sentence() -> None:
    assert names_in("Can I use Copilot or ChatGPT? Berlin pays well.") == ["Copilot", "ChatGPT"]
    assert names_in("How do I move into nursing?") == []  # "How" opens it; "I" is no name
