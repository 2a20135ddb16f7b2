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


def test_british_spellings_meet_american_ones() -> None:
    pairs = [
        ("behavioural", "behavioral"),
        ("memorise", "memorize"),
        ("prioritising", "prioritizing"),
        ("organisation", "organization"),
        ("analyse", "analyze"),
        ("colour", "color"),
        ("favourite", "favorite"),
        ("centre", "center"),
        ("fibre", "fiber"),
    ]
    for british, american in pairs:
        assert terms(british) == terms(american), british
    # words that only look like it keep their own stem
    assert terms("hour four tour rise wise") == ["hour", "four", "tour", "rise", "wise"]


def test_a_british_question_finds_an_american_guide_by_keyword() -> None:
    from coach.bm25 import BM25Index

    guides = ["Behavioral rounds: tell stories", "Coding rounds", "Pay bands", "Levels"]
    index = BM25Index([terms(text) for text in guides])
    scores = index.scores(terms("How should a behavioural round go?"))
    assert scores[0] > 0 and scores[0] > index.scores(terms("How should a round go?"))[0]
