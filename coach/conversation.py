"""Understanding follow-ups without an LLM: history within a token budget, and query expansion."""

from __future__ import annotations

import re

from coach.keywords import STOPWORDS, terms, words
from coach.retrieval import Query
from coach.schema import Turn
from coach.tokens import count_tokens

EXPANSION_TERMS = 6
# Words that point back at something said earlier ("the switch", "that role", "what about…").
_ANAPHORA = re.compile(
    r"\b(it|its|that|this|these|those|they|them|there|the (switch|move|role|job|transition|"
    r"change|path|position|guide)|what about|how about|and (the|what|how)|instead|else|"
    r"more|also|same|such)\b",
    re.IGNORECASE,
)


def trim_history(turns: list[Turn], max_tokens: int) -> list[Turn]:
    """The most recent turns that fit in ``max_tokens`` (oldest dropped first)."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns):
        cost = count_tokens(turn.content) + 4  # role and separators
        if used + cost > max_tokens:
            break
        kept.append(turn)
        used += cost
    return list(reversed(kept))


def looks_like_follow_up(question: str, vocabulary: dict[str, float]) -> bool:
    """A question that leans on earlier turns: pronouns, or too few topic words of its own."""
    own = [t for t in terms(question) if t in vocabulary]
    return bool(_ANAPHORA.search(question)) or len(own) <= 3


def salient_words(history: list[Turn], question: str, idf: dict[str, float]) -> list[str]:
    """The rarest corpus words of recent user turns that the question doesn't already use."""
    asked = set(terms(question))
    scored: dict[str, float] = {}
    for age, turn in enumerate(reversed([t for t in history if t.role == "user"])):
        for word in words(turn.content):
            if word in STOPWORDS:
                continue
            stem = terms(word)
            if not stem or stem[0] in asked or stem[0] not in idf:
                continue
            score = idf[stem[0]] * (0.7**age)  # recent turns count more
            scored[word] = max(scored.get(word, 0.0), score)
    ranked = sorted(scored, key=lambda w: (-scored[w], w))
    return ranked[:EXPANSION_TERMS]


def build_queries(
    question: str, history: list[Turn], idf: dict[str, float]
) -> tuple[list[Query], str]:
    """Queries to retrieve with, and the standalone question for the answer generator.

    The raw question always runs; with history, a copy expanded with salient earlier words
    runs too, at full weight when the question looks like a follow-up.
    """
    queries = [Query(question)]
    if not history:
        return queries, question
    extra = salient_words(history, question, idf)
    if not extra:
        return queries, question
    expanded = f"{question} ({' '.join(extra)})"
    if looks_like_follow_up(question, idf):
        return [Query(question, 0.6), Query(expanded, 1.0)], expanded
    return [*queries, Query(expanded, 0.4)], question
