"""Understanding follow-ups without an LLM: history within a token budget, and query expansion."""

from __future__ import annotations

import re

from coach.citations import ANSWER_MARKER
from coach.keywords import STOPWORDS, terms, words
from coach.retrieval import COMMON_IDF, Query
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
_FIGURE = re.compile(r"\d")  # "$165K", "3-6": an earlier answer's figures, not its topic


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


def salient_words(
    history: list[Turn], question: str, idf: dict[str, float], answer_weight: float = 0.0
) -> list[str]:
    """The rarest corpus words of recent turns that the question doesn't already use.

    The user's words count fully; the coach's own answers (guide sentences it quoted) count
    ``answer_weight`` as much, without their figures: "$165K" answered the earlier question,
    a follow-up asks the same of something else. A turn's words count less the more
    exchanges ago it was.
    """
    asked = set(terms(question))
    scored: dict[str, float] = {}
    age = 0
    for turn in reversed(history):
        weight = 1.0 if turn.role == "user" else answer_weight
        if weight > 0:
            for word in words(ANSWER_MARKER.sub(" ", turn.content)):
                if word in STOPWORDS or (turn.role == "assistant" and _FIGURE.search(word)):
                    continue
                stem = terms(word)
                if not stem or stem[0] in asked or idf.get(stem[0], 0.0) < COMMON_IDF:
                    continue  # unknown to the guides, or in most chunks: no help to retrieval
                score = weight * idf[stem[0]] * (0.7**age)  # recent turns count more
                scored[word] = max(scored.get(word, 0.0), score)
        age += turn.role == "user"
    ranked = sorted(scored, key=lambda w: (-scored[w], w))
    return ranked[:EXPANSION_TERMS]


def build_queries(
    question: str, history: list[Turn], idf: dict[str, float], answer_weight: float = 0.0
) -> tuple[list[Query], str]:
    """Queries to retrieve with, and the standalone question for the answer generator.

    The raw question always runs; with history, a copy expanded with salient earlier words
    runs too, at full weight when the question looks like a follow-up.
    """
    extra = salient_words(history, question, idf, answer_weight) if history else []
    if extra and looks_like_follow_up(question, idf):
        standalone = f"{question} ({' '.join(extra)})"
        queries = [Query(question, 0.6), Query(standalone, 1.0)]
    else:
        standalone = question
        queries = [Query(question)]
        if extra:
            queries.append(Query(f"{question} ({' '.join(extra)})", 0.4))
    return queries, standalone
