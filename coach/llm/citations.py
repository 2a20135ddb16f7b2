"""The citation markers an LLM writes: ``[3]``, ``[1, 2]``, ``[1][3]``, ``[2-4]``.

They name the numbered guide excerpts of the prompt; ``coach.llm.review`` renumbers them
in order of first use in the answer.
"""

from __future__ import annotations

import re

MARKER = re.compile(r"(?P<space>[ \t]*)\[\s*(?P<body>\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]")
_PART = re.compile(r"(\d+)\s*[\-–]\s*(\d+)|(\d+)")
MAX_RANGE = 10  # "[2-4]" expands; "[1-200]" does not
NOT_A_CITATION = 1000  # "[2019]", "[2019-2024]": years, kept as written


def marker_numbers(body: str) -> list[int]:
    """The citation numbers a marker's body names: ``"1, 3-4"`` → ``[1, 3, 4]``."""
    found: list[int] = []
    for start, end, single in _PART.findall(body):
        if single:
            found.append(int(single))
        elif 0 <= int(end) - int(start) <= MAX_RANGE:
            found.extend(range(int(start), int(end) + 1))
    return [n for n in found if n < NOT_A_CITATION]
