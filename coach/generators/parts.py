"""The separate asks of a compound question ("Who picks my buddy, and how long…?").

Each part is scored on its own as well as the whole question, so a unit that answers one
part well is not outranked by units that half-match both. The split follows English
question syntax only: sentence ends, and "and"/"or" before a question word.
"""

from __future__ import annotations

import re

_ASKS = (
    r"(?:what|which|who|whom|whose|when|where|why|how|is|are|am|do|does|did|can|could|"
    r"should|would|will|was|were|shall|may|might|must)\b"
)
_SENTENCE_END = re.compile(r"(?<=[?.!])\s+")
_JOINED_ASK = re.compile(rf",?\s+(?:and|or)\s+(?={_ASKS})", re.IGNORECASE)
_STARTS_AS_ASK = re.compile(rf"^(?:and\s+|or\s+|but\s+|so\s+)?{_ASKS}", re.IGNORECASE)
_EXPANSION = re.compile(r"\s(\([^()]*\))$")  # "(words from earlier turns)" of a follow-up
MIN_WORDS = 3


def question_parts(question: str) -> list[str]:
    """The question's asks when it has two or more, else ``[]``."""
    asks = question_asks(question)
    return asks if len(asks) > 1 else []


def question_asks(question: str) -> list[str]:
    """Every ask of the question (none when no sentence of it asks anything).

    A sentence that only sets the scene ("I just signed my offer.") is not an ask. A
    follow-up's expansion with earlier words, in brackets at the end, goes with every part.
    """
    text, suffix = question.strip(), ""
    expansion = _EXPANSION.search(text)
    if expansion:
        text, suffix = text[: expansion.start()], f" {expansion.group(1)}"
    asks = []
    for sentence in _SENTENCE_END.split(text):
        for part in _JOINED_ASK.split(sentence):
            part = part.strip()
            if len(re.findall(r"\w+", part)) < MIN_WORDS:
                continue
            if part.endswith("?") or _STARTS_AS_ASK.match(part):
                asks.append(part + suffix)
    return asks
