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

# Words that make a question about careers in general, even when the guides have no answer;
# the library adds its own vocabulary (its titles, headings and frequent words).
CAREER_TERMS = frozenset(
    terms(
        """career careers job jobs role roles work working salary salaries pay paid earn wage income
        compensation benefits hire hired hiring recruiter interview resume cv cover letter
        portfolio skill skills learn learning course certification certificate qualification
        license roadmap transition switch move field industry sector company employer
        boss manager colleague promotion raise remote market demand experience team freelance
        contract mentor study degree training bootcamp apprenticeship internship title become
        profession professional occupation employment unemployed layoff retire retirement
        negotiate negotiation offer application apply workplace"""
    )
)


def is_override_attempt(question: str) -> bool:
    """An attempt to make the coach drop its instructions or reveal them."""
    return bool(_OVERRIDE.search(question))


def is_career_question(question: str, vocabulary: frozenset[str] = frozenset()) -> bool:
    """Whether a question is about careers at all (for a friendlier refusal).

    ``vocabulary`` holds the library's own terms: a question in the guides' words is one
    for the coach even when they hold no answer to it.
    """
    return any(t in CAREER_TERMS or t in vocabulary for t in terms(question))
