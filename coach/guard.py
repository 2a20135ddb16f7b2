"""Questions the coach declines before retrieval: attempts to override it."""

from __future__ import annotations

import re

from coach.keywords import terms

_OVERRIDE = re.compile(
    r"ignore (all |any |the |your |my )?(previous |prior |above |earlier )?"
    r"(instructions|rules|prompt|guidelines|directions)"
    r"|disregard (all |any |the |your )?(previous |prior |above )?(instructions|rules|prompt)"
    r"|forget (all |everything |your )?(previous |prior )?(instructions|rules|you were told)"
    r"|(reveal|show|print|repeat|leak) (me )?(your|the) (system )?(prompt|instructions)"
    r"|system prompt|you are now|from now on,? you"
    r"|pretend (to be|you are)|jailbreak|developer mode|\bDAN\b|override your",
    re.IGNORECASE,
)

# Words that make a question about careers, even when the guides have no answer.
CAREER_TERMS = frozenset(
    terms(
        """career job role roles work salary salaries pay paid compensation hire hiring interview
        resume cv portfolio skill skills learn learning course certification roadmap transition
        switch move engineer engineering developer backend architect documentation writer ai ml
        llm rag company employer manager promotion remote market demand experience team
        freelance mentor study degree bootcamp title become profession occupation"""
    )
)


def is_override_attempt(question: str) -> bool:
    """An attempt to make the coach drop its instructions or reveal them."""
    return bool(_OVERRIDE.search(question))


def is_career_question(question: str) -> bool:
    """Whether a question is about careers at all (for a friendlier refusal)."""
    return any(t in CAREER_TERMS for t in terms(question))
