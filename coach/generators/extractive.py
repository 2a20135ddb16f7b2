"""The offline answer generator: the guides' own sentences, list items and table rows, cited.

A fitted scorer (``scorer.py``) rates every unit of the retrieved chunks (``candidates.py``) —
the probability that it carries what the question asks — from features of language and
structure (``features.py``). The answer quotes the best units verbatim, completes a list it
quotes from, and groups what it quotes by guide, so a comparison or a disagreement shows each
guide's own words with its own citation. Units and their vectors were computed at ingest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from langchain_core.embeddings import Embeddings

from coach.citations import CitationNumbers
from coach.generators.base import AnswerGenerator
from coach.generators.candidates import CandidateScorer, ScoredContext
from coach.generators.features import Candidate, term_set
from coach.generators.scorer import StatementScorer
from coach.schema import Chunk, Citation, Draft, Retrieved, Statement, Turn
from coach.units.index import UnitIndex
from coach.units.split import Unit

DUPLICATE_OVERLAP = 0.7  # share of words two units have in common to count as one
SHORT_WORDS = 8  # a unit this short can be wholly said by another

_TERMINAL = re.compile(r"[.!?:;]+[\"'”’]?$")


def with_marker(text: str, marker: str) -> str:
    """``text`` with its citation marker before the closing punctuation: ``... months [2].``"""
    match = _TERMINAL.search(text)
    if match:
        return f"{text[: match.start()].rstrip()} {marker}{match.group(0)}"
    return f"{text} {marker}"


def guide_name(source: Chunk | Citation) -> str:
    """A guide's title short enough to lead a line."""
    return _short_title(source.title, source.source)


@lru_cache(maxsize=1024)
def _short_title(title: str, source: str) -> str:
    title = title.split(":", 1)[0].strip()
    if not title:
        stem = source.rsplit(".", 1)[0]
        title = stem.replace("-", " ").replace("_", " ").capitalize()
    return title


def _near_duplicate(unit: Unit, chosen: Sequence[Candidate]) -> bool:
    mine = term_set(unit.text)
    for other in chosen:
        theirs = term_set(other.unit.text)
        union = mine | theirs
        if union and len(mine & theirs) / len(union) >= DUPLICATE_OVERLAP:
            return True
    return False


def select_units(
    candidates: list[Candidate], scorer: StatementScorer, limit: int
) -> list[Candidate]:
    """The units to quote: the best and those close to it, each list they open or belong to
    quoted whole right after them (while the budget lasts). What the conversation already
    said is left out while anything else clears the floor."""
    fresh = [c for c in candidates if not c.repeated]
    if fresh and max(c.score for c in fresh) >= scorer.floor:
        candidates = fresh  # a follow-up's answer adds to what was said, not repeats it
    if not candidates:
        return []
    ranked = sorted(candidates, key=lambda c: (-c.score, c.order))
    best = ranked[0].score
    if best < scorer.floor:
        return []
    picked = [c for c in ranked if c.score >= scorer.keep * best][: limit * 2]
    blocks: dict[tuple[str, int], list[Candidate]] = {}
    for c in candidates:  # reading order within each chunk
        blocks.setdefault((c.chunk.chunk_id, c.unit.block), []).append(c)
    picked_in: dict[tuple[str, int], int] = {}
    for c in picked[:limit]:
        key = (c.chunk.chunk_id, c.unit.block)
        picked_in[key] = picked_in.get(key, 0) + 1
    chosen: list[Candidate] = []

    def add(c: Candidate) -> None:
        if len(chosen) < limit and c not in chosen and not _near_duplicate(c.unit, chosen):
            chosen.append(c)

    for c in picked:
        if len(chosen) >= limit:
            break
        add(c)
        key = (c.chunk.chunk_id, c.unit.block)
        if c.unit.intro:  # "...the main gaps are:" — the list it opens
            key = (c.chunk.chunk_id, c.unit.block + 1)
            members = blocks.get(key, [])
            if members and members[0].unit.kind == "sentence":
                continue
        else:
            continue
        for member in blocks.get(key, []):
            add(member)
    for key, n in sorted(picked_in.items(), key=lambda kv: -kv[1]):  # lists quoted from
        if n >= 2 and blocks[key][0].unit.kind != "sentence":
            for member in blocks[key]:
                add(member)
    return [c for c in chosen if not _said_by_another(c, chosen)]


def _said_by_another(c: Candidate, chosen: Sequence[Candidate]) -> bool:
    """A short unit whose every word another chosen unit shows ("Formal reviews" beside
    "Formal reviews: At our company, …")."""
    if len(c.unit.text.split()) > SHORT_WORDS:
        return False
    mine = term_set(c.unit.text)
    return bool(mine) and any(
        o is not c and mine <= term_set(o.unit.display) and len(o.unit.display) > len(c.unit.text)
        for o in chosen
    )


class ExtractiveGenerator(AnswerGenerator):
    """Answers with verbatim, cited passages of the retrieved guides; no LLM needed."""

    mode = "extractive"

    def __init__(
        self,
        embeddings: Embeddings,
        units: UnitIndex | None = None,
        scorer: StatementScorer | None = None,
        max_statements: int | None = None,
        candidates: CandidateScorer | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.candidate_scorer = candidates or CandidateScorer(embeddings, units, scorer)
        self._max_statements = max_statements

    @property
    def units(self) -> UnitIndex:
        return self.candidate_scorer.units

    @property
    def scorer(self) -> StatementScorer:
        """The scorer that rates the units, else the committed model (loaded on first use)."""
        return self.candidate_scorer.scorer

    @scorer.setter
    def scorer(self, scorer: StatementScorer) -> None:
        self.candidate_scorer.scorer = scorer

    @property
    def max_statements(self) -> int:
        return max(1, self._max_statements or self.scorer.max_statements)

    def stream(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> Iterator[str | Draft]:
        """The answer statement by statement (each ending with its citation), then the Draft."""
        pieces, draft = self.compose(question, context, history)
        yield from pieces
        yield draft

    def candidates(
        self, question: str, context: Sequence[Retrieved], history: Sequence[Turn] = ()
    ) -> list[Candidate]:
        """The context's units scored for the question: as the chain scored them when it
        hands a ``ScoredContext``, else scored here."""
        if isinstance(context, ScoredContext):
            return context.candidates
        return self.candidate_scorer.score(question, context, history)

    def select(self, candidates: list[Candidate]) -> list[Candidate]:
        return select_units(candidates, self.scorer, self.max_statements)

    def compose(
        self, question: str, context: Sequence[Retrieved], history: Sequence[Turn]
    ) -> tuple[list[str], Draft]:
        """The answer as stream pieces (they concatenate to the text) and the final draft."""
        chosen = self.select(self.candidates(question, context, history))
        if not chosen:
            return [], Draft.refusal("not_covered")
        writer = _Writer(self._lead_ins(chosen))
        by_guide: dict[str, list[Candidate]] = {}
        for c in sorted(chosen, key=lambda c: -c.score):
            by_guide.setdefault(c.chunk.source, []).append(c)
        several = len(by_guide) > 1
        for units in by_guide.values():
            units.sort(key=lambda c: (c.chunk.position, c.unit.index))
            if several:
                writer.line(f"**{guide_name(units[0].chunk)}**")
            writer.passage(units, bullets=several)
        draft = Draft(
            text="".join(writer.pieces),
            citations=writer.numbers.citations(),
            statements=writer.statements,
        )
        return writer.pieces, draft

    def _lead_ins(self, chosen: Sequence[Candidate]) -> dict[int, str]:
        """The lead-in of each quoted list item or row whose lead-in the answer leaves out
        ("It's very easy for 1-1s to:" before "Not happen because you're both too busy")."""
        quoted = {(c.chunk.chunk_id, c.unit.index) for c in chosen}
        leads: dict[int, str] = {}
        for c in chosen:
            if c.unit.kind == "sentence":
                continue
            before = [u for u in self.units.get(c.chunk).units if u.block == c.unit.block - 1]
            if before and before[-1].intro and (c.chunk.chunk_id, before[-1].index) not in quoted:
                leads[id(c)] = before[-1].text
        return leads


class _Writer:
    """Builds the answer piece by piece; each piece ends with its statement's citation."""

    def __init__(self, leads: dict[int, str] | None = None) -> None:
        self.numbers = CitationNumbers()
        self.pieces: list[str] = []
        self.statements: list[Statement] = []
        self._leads = leads or {}  # id(candidate) -> the lead-in its list item needs
        self._label = ""  # the heading or lead-in the previous statement showed

    def _cite(self, c: Candidate) -> str:
        n = self.numbers.cite(c.chunk, c.unit.text, c.unit.index)
        shown = c.unit.show_label and c.unit.label != c.chunk.title  # a title says nothing here
        lead = "" if shown else self._leads.get(id(c), "")  # a phase's heading goes first
        label = lead or (c.unit.label if shown else "")
        if not label or label == self._label:  # nothing to show, or the statement above did
            text = c.unit.text
        else:
            text = f"{lead} {c.unit.text}" if lead else c.unit.display
        self._label = label
        self.statements.append(Statement(text=text, citations=[n], supported=True))
        return with_marker(text, f"[{n}]")

    def line(self, text: str) -> None:
        """An uncited line of the coach's own (a guide's name over its statements)."""
        self.pieces.append(f"\n\n{text}" if self.pieces else text)

    def passage(self, units: Sequence[Candidate], bullets: bool) -> None:
        """Sentences as a paragraph and list items as bullets; all bullets when ``bullets``."""
        previous: Candidate | None = None
        for c in units:
            as_bullet = bullets or c.unit.kind != "sentence"
            if as_bullet:
                self.pieces.append(f"\n- {self._cite(c)}" if self.pieces else f"- {self._cite(c)}")
            else:
                joins = (
                    previous is not None
                    and previous.unit.kind == "sentence"
                    and previous.chunk is c.chunk
                    and previous.unit.block == c.unit.block
                )
                joiner = " " if joins else ("\n\n" if self.pieces else "")
                self.pieces.append(f"{joiner}{self._cite(c)}")
            previous = c
