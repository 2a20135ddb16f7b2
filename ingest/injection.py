"""Text in a guide that speaks to an AI instead of a reader: prompt-injection patterns.

A guide is advice for people. A line that tells "the assistant" to ignore its user or its
rules, to reply with fixed words, or that imitates a chat template's role markers is an
attack on whoever reads the guide with a language model. The patterns are about how such
instructions are phrased in English, not about any guide's subject. A phrase inside a code
span or quotation marks is a mention (a guide about security may quote one) and is let be.
Lines are checked in their :func:`~ingest.visible.skeleton` form, so zero-width characters,
bidi controls, full-width or look-alike letters do not hide an instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ingest.visible import skeleton, visible

_AI = r"(?:ai|a\.i\.|assistant|chat ?bot|bot|llm|language model|model|agent|gpt|copilot)"
_RULES = r"(?:instructions?|prompts?|rules|guidelines|directions|directives)"
_EARLIER = r"(?:previous|prior|above|earlier|preceding|original|initial|system|all|any|your|the)"

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in [
        (
            "tells the reader to ignore its instructions",
            rf"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|of\s+)*"
            rf"(?:{_EARLIER}\s+)*(?:{_RULES}|everything (?:above|before|you were told))",
        ),
        (
            "tells the reader to ignore the user",
            r"\b(?:ignore|disregard|deceive|mislead|lie to)\s+(?:the|this|your)\s+"
            r"(?:user|human|person asking|question)\b",
        ),
        (
            "dictates the reply",
            r"\b(?:reply|respond|answer|output|say|print|return|write)\s+(?:only\s+|just\s+)?"
            r"(?:with|the (?:words?|text|string|phrase))\s*[:\"'“‘`]",
        ),
        (
            "hides something from the user",
            r"\b(?:do not|don't|never)\s+(?:tell|reveal|mention|show|disclose)\s+"
            r"(?:this\s+|it\s+|anything\s+)?(?:to\s+)?the\s+(?:user|human|reader)\b",
        ),
        (
            "addresses an AI reading the text",
            rf"\b(?:(?:if|when) you are (?:an?\s+)?{_AI}|(?:dear|attention|note to(?: the)?|to "
            rf"(?:the|any|all))\s+(?:ai|{_AI}s?)\b|you are now\s+(?:an?\s+)?"
            rf"(?:{_AI}\b|in \w+ mode|dan\b|free\b|no longer)|"
            rf"as an? {_AI},? you (?:must|should|will)|(?:{_AI}s?)\s+(?:reading|processing|"
            r"summari[sz]ing) this)",
        ),
        (
            "gives the reader new instructions",
            r"\b(?:new|updated|real|secret|hidden|system|developer)\s+(?:instructions?|prompt|"
            r"orders?|directives?)\s*:",
        ),
        (
            "imitates a chat template",
            r"<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>|^\s*#{0,3}\s*(?:system|assistant)\s*:",
        ),
        (
            "claims to change the reader's mode",
            r"\b(?:developer|jailbreak|god|dan|unrestricted|unfiltered)\s+mode\b|"
            r"\bjailbr(?:eak|oken)\b",
        ),
    ]
)

_CODE_SPAN = re.compile(r"`[^`\n]*`")
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")


Kind = Literal["injection", "request"]  # addressed to an AI / asks the reader for something


@dataclass(frozen=True)
class FlaggedLine:
    """A line flagged at ingest: where it is, what it says, and why it was flagged."""

    path: str
    line: int  # 1-based, in the file as written
    text: str
    reason: str
    kind: Kind = "injection"
    kept: bool = False  # left in the store (the operator accepts requests to the reader)


def _mentions(line: str) -> list[tuple[int, int]]:
    """Spans of ``line`` that quote rather than say: code spans and double-quoted text."""
    return [m.span() for m in _CODE_SPAN.finditer(line)] + [
        m.span() for m in _QUOTED.finditer(line)
    ]


def injection_reason(line: str) -> str | None:
    """Why ``line`` reads as instructions to an AI, or None when it reads as prose."""
    line = skeleton(line)
    quoted = _mentions(line)
    for reason, pattern in PATTERNS:
        for match in pattern.finditer(line):
            start = match.start()
            if not any(a <= start < b for a, b in quoted):
                return reason
    return None


def flag_lines(text: str, path: str) -> list[FlaggedLine]:
    """Every line of ``text`` (numbered from 1) that reads as instructions to an AI."""
    flagged: list[FlaggedLine] = []
    for number, line in enumerate(text.split("\n"), 1):
        reason = injection_reason(line)
        if reason:
            flagged.append(FlaggedLine(path, number, visible(line).strip()[:200], reason))
    return flagged
