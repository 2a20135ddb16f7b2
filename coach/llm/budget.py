"""Fitting the prompt to its token budgets: retrieved excerpts and conversation history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from coach.schema import Retrieved, Turn
from coach.tokens import count_tokens, get_encoding

MESSAGE_OVERHEAD = 4  # tokens a chat message costs beyond its content (role, separators)
_CITATION = re.compile(r"[ \t]*\[\d+(?:\s*[,;\-–]\s*\d+)*\]")
_SOURCES_BLOCK = re.compile(r"\n+\s*Sources:\s*\n(?:\s*\[\d+\].*(?:\n|$))+\s*$")


def format_excerpt(number: int, item: Retrieved) -> str:
    """One numbered excerpt of the prompt: ``[n] Title › Section: text``."""
    chunk = item.chunk
    where = " › ".join(part for part in (chunk.title, chunk.section) if part)
    return f"[{number}] {where}: {chunk.text.strip()}"


def fit_context(context: Sequence[Retrieved], budget: int, encoding: str) -> list[Retrieved]:
    """The best-ranked excerpts whose numbered text fits in ``budget`` tokens.

    Ranking is kept: an excerpt too large for what is left is skipped and smaller
    ones after it may still fit. The best excerpt is always kept, cut to the budget.
    """
    kept: list[Retrieved] = []
    used = 0
    for item in context:
        cost = count_tokens(format_excerpt(len(kept) + 1, item), encoding) + 1
        if used + cost <= budget:
            kept.append(item)
            used += cost
    if not kept and context:
        kept.append(_truncated(context[0], budget, encoding))
    return kept


def _truncated(item: Retrieved, budget: int, encoding: str) -> Retrieved:
    """``item`` with its text cut to what fits in ``budget`` once numbered."""
    enc = get_encoding(encoding)
    header = count_tokens(format_excerpt(1, item), encoding) - count_tokens(
        item.chunk.text.strip(), encoding
    )
    room = max(budget - header - 1, 1)
    text = enc.decode(enc.encode(item.chunk.text, disallowed_special=())[:room])
    return replace(item, chunk=replace(item.chunk, text=text))


def strip_sources(text: str) -> str:
    """``text`` without a trailing "Sources:" list (as the OpenAI-compatible API appends)."""
    return _SOURCES_BLOCK.sub("", text)


def clean_turn(turn: Turn) -> Turn:
    """A past turn as the model should see it: no stale ``[n]`` markers or sources list.

    Earlier answers cited other numbered excerpts; left in, their numbers would mislead.
    """
    if turn.role != "assistant":
        return turn
    text = _CITATION.sub("", strip_sources(turn.content))
    return Turn(role="assistant", content=text.strip())


def fit_history(turns: Sequence[Turn], budget: int, encoding: str) -> list[Turn]:
    """The most recent turns (cleaned) that fit in ``budget`` tokens; oldest dropped first."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed([clean_turn(t) for t in turns]):
        cost = count_tokens(turn.content, encoding) + MESSAGE_OVERHEAD
        if used + cost > budget:
            break
        kept.append(turn)
        used += cost
    kept.reverse()
    while kept and kept[0].role == "assistant":  # a conversation starts with the user
        kept.pop(0)
    return kept
