"""One completion reviewed statement by statement while it streams.

The user sees a sentence only once it is settled (the next one has begun) and every claim
in it was checked: supported claims are released with their markers renumbered in order
of first use, unsupported ones are dropped before anyone sees them. A claim that cites
nothing waits for the end, where markers piled there are handed to it; everything after
a waiting sentence waits too, so the text keeps its order. The model's own refusal
sentence is never shown: it is dropped when a supported claim follows (the answer then
stands on that claim), and otherwise the generator answers with the coach's own refusal.
"""

from __future__ import annotations

import re

from coach.citations import MODEL_MARKER, CitationNumbers, marker_numbers
from coach.llm.statements import Parsed, Written, parse_answer, words_of
from coach.llm.support import SupportChecker, Verdict
from coach.schema import Citation, Statement

# "The guides don't cover that. However, …": the contrast goes with the dropped refusal.
_CONTRAST = re.compile(r"^(?:however|but|still|that said|nevertheless|yet)\b,?\s*", re.I)
_REPEATED = re.compile(r"(\[\d+\])(?:\s*\1)+")
_TERMINAL = re.compile(r"[.!?:;,…]*$")


class AnswerReview:
    """Feed it the completion piece by piece; it returns the checked text to show."""

    def __init__(self, checker: SupportChecker) -> None:
        self.checker = checker
        self.raw = ""
        self.text = ""  # everything released
        self.numbers = CitationNumbers()
        self.statements: list[Statement] = []
        self.declined = False  # the model said the guides do not cover the question
        self.problems: list[str] = []  # each dropped claim and why, for a regeneration
        self._next = 0  # the first sentence not released or dropped yet
        self._framing: list[Written] = []  # lead-ins waiting for a claim to introduce
        self._verdicts: dict[tuple[int, str], Verdict] = {}
        self._shown = False

    @property
    def answered(self) -> bool:
        """Whether at least one supported claim reached the answer."""
        return bool(self.statements)

    def citations(self) -> list[Citation]:
        return self.numbers.citations()

    def feed(self, piece: str) -> str:
        """Take a piece of the completion; return the text now checked and settled."""
        self.raw += piece
        return self._release(parse_answer(self.raw, final=False), final=False)

    def finish(self) -> str:
        """The rest of the checked text, once the completion has ended."""
        return self._release(parse_answer(self.raw), final=True)

    def _release(self, parsed: Parsed, final: bool) -> str:
        out: list[str] = []
        for sentence in range(self._next, parsed.settled):
            units = [s for s in parsed.statements if s.sentence == sentence]
            verdicts = self._judge(units, parsed.pile if final else None)
            if verdicts is None:
                break  # a claim that cites nothing: the pile at the end decides
            out.append(self._render(units, verdicts))
            self._next = sentence + 1
        released = "".join(out)
        self.text += released
        return released

    def _judge(
        self, units: list[Written], pile: list[int] | None
    ) -> dict[int, tuple[Verdict, bool]] | None:
        """Verdicts (and whether the markers were moved) of a sentence's claims, by index."""
        verdicts: dict[int, tuple[Verdict, bool]] = {}
        for index, unit in enumerate(units):
            if unit.kind == "refusal":
                self.declined = True
            if unit.kind != "claim":
                continue
            moved = not unit.cited
            if moved and pile is None:
                return None
            key = (unit.sentence, unit.body)
            if key not in self._verdicts:
                verdict = self.checker.check(unit.text, pile if moved and pile else unit.cited)
                self._verdicts[key] = verdict
                if not verdict.supported:
                    self.problems.append(f'"{unit.text}": {"; ".join(verdict.problems)}')
            verdicts[index] = (self._verdicts[key], moved)
        return verdicts

    def _render(self, units: list[Written], verdicts: dict[int, tuple[Verdict, bool]]) -> str:
        kept = [i for i, (v, _) in verdicts.items() if v.supported]
        if not kept:
            framing = [u for u in units if u.kind == "framing"]
            if framing:  # a new lead-in: the one before introduced only dropped claims
                self._framing = framing
            return ""
        shown = [i for i, u in enumerate(units) if i in kept or u.kind == "framing"]
        parts: list[str] = []
        for unit in self._framing:
            parts.append(self._lead(unit.lead) + unit.body)
        self._framing = []
        for position, index in enumerate(shown):
            unit = units[index]
            body = unit.body
            if index in verdicts:
                verdict, moved = verdicts[index]
                body, numbers = self._cite(body, verdict, moved)
                if not self.statements and self.declined:
                    body = _capitalised(_CONTRAST.sub("", body))
                text = words_of(body).rstrip(",;").rstrip()
                self.statements.append(Statement(text=text, citations=numbers))
            if position == 0 and index > 0:  # the sentence's opening clause was dropped
                body, lead = _capitalised(body), units[0].lead
            else:
                lead = unit.lead
            if position == len(shown) - 1 and index < len(units) - 1:
                body = _TERMINAL.sub("", body.rstrip()) + _ending(units[-1].body)
            parts.append(self._lead(lead) + body)
        return _REPEATED.sub(r"\1", "".join(parts))

    def _lead(self, lead: str) -> str:
        """The separator before a statement; none before the first one shown."""
        first, self._shown = not self._shown, True
        return lead.lstrip() if first else lead

    def _cite(self, body: str, verdict: Verdict, moved: bool) -> tuple[str, list[int]]:
        """``body`` with its markers renumbered, and the answer's numbers it cites."""
        cited: list[int] = []
        backing = verdict.backing

        def number(excerpt: int) -> int:
            chunk = self.checker.excerpts[excerpt - 1]
            passage = verdict.passages.get(excerpt)
            n = self.numbers.cite(chunk, passage, chunk.text.find(passage or ""))
            if n not in cited:
                cited.append(n)
            return n

        def replace(match: re.Match[str]) -> str:
            named = marker_numbers(match.group("body"))
            if not named:  # "[2019-2024]": not a citation
                return match.group(0)
            kept = list(dict.fromkeys(number(n) for n in named if n in backing))
            return match.group("space") + "".join(f"[{n}]" for n in kept) if kept else ""

        if not moved:
            return MODEL_MARKER.sub(replace, body), cited
        markers = "".join(f"[{number(n)}]" for n in backing)
        end = _TERMINAL.search(body.rstrip())
        cut = end.start() if end else len(body)
        return f"{body[:cut].rstrip()} {markers}{body[cut:]}", cited


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ending(body: str) -> str:
    """The closing punctuation of a sentence (a full stop when it has none)."""
    stripped = words_of(body).rstrip()
    return stripped[-1] if stripped and stripped[-1] in ".!?" else "."
