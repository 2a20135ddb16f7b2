"""The coach's refusals: what it declines and, from the library it holds, what it can help with."""

from __future__ import annotations

from typing import Literal

from coach.prompt_files import load_prompt
from coach.schema import Draft
from coach.voice import Voice

__all__ = ["RefusalReason", "load_prompt", "refusal_draft"]

RefusalReason = Literal["not_covered", "off_topic", "injection"]


def refusal_draft(
    reason: RefusalReason = "not_covered", mode: str = "extractive", voice: Voice | None = None
) -> Draft:
    """A friendly refusal: what the coach cannot answer and what it can help with.

    Without a ``voice`` (the generators do not know the library) the text names no topic;
    the chain puts its own voice's text in place of that one.
    """
    return Draft(
        text=(voice or Voice.plain()).refusal(reason),
        citations=[],
        refused=True,
        mode=mode,
        grounded=True,
    )
