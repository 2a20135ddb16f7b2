"""The offline answer generator: the guides' own sentences, list items and table rows, cited.

A fitted scorer (``scorer.py``) rates every unit of the retrieved chunks — the probability
that it carries what the question asks — from features of language and structure
(``features.py``). The answer quotes the best units verbatim, completes a list it quotes from,
and groups what it quotes by guide, so a comparison or a disagreement shows each guide's
own words with its own citation. Units and their vectors were computed at ingest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.citations import ANSWER_MARKER, CitationNumbers
from coach.generators.base import AnswerGenerator
from coach.generators.features import Candidate, featurize, term_set
from coach.generators.parts import question_parts
from coach.generators.scorer import StatementScorer, default_scorer
from coach.refusals import refusal_draft
from coach.schema import Chunk, Citation, Draft, Retrieved, Statement, Turn
from coach.units.index import UnitIndex
from coach.units.split import Unit

MAX_CHUNKS = 12  # chunks mined for units (the context is ranked best first)
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


def _informative(unit: Unit) -> bool:
    """Says something on its own: not a fragment, an empty cell or a stray citation marker."""
    text = unit.text
    if ANSWER_MARKER.search(text) or not any(ch.isalpha() for ch in text):
        return False
    if unit.kind == "sentence" and (text[:1].islower() or len(text.split()) < 3):
        return False
    return len(term_set(text)) >= 1


def _dedup_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9$%]+", " ", text.lower()).split())


def _near_duplicate(unit: Unit, chosen: Sequence[Candidate]) -> bool:
    mine = term_set(unit.text)
    for other in chosen:
        theirs = term_set(other.unit.text)
        union = mine | theirs
        if union and len(mine & theirs) / len(union) >= DUPLICATE_OVERLAP:
            return True
    return False


def _said(history: Sequence[Turn]) -> str:
    """What the coach already said in this conversation, without its citation markers."""
    said = ANSWER_MARKER.sub("", " ".join(t.content for t in history if t.role == "assistant"))
    return re.sub(r" +([.,;:!?])", r"\1", said)


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
    ) -> None:
        self.embeddings = embeddings
        self.units = units or UnitIndex(None, embeddings)  # None: computed on first use
        self._scorer = scorer
        self._max_statements = max_statements
        self._last: tuple[tuple[object, ...], list[Candidate]] | None = None

    @property
    def scorer(self) -> StatementScorer:
        """The given scorer, else the committed model (loaded on first use)."""
        if self._scorer is None:
            self._scorer = default_scorer()
        return self._scorer

    @scorer.setter
    def scorer(self, scorer: StatementScorer) -> None:
        self._scorer = scorer

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
        """The informative units of the top chunks, scored; exact repeats removed.

        A compound question's units are also scored against each of its asks, and keep
        their best score. The last call's result is kept: the coverage judge and the
        answer ask for the same question in turn.
        """
        said = _said(history)
        key = (
            question,
            tuple(hit.chunk.chunk_id for hit in context[:MAX_CHUNKS]),
            said,
            id(self.scorer),
        )
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        found = self._score(question, context, said)
        self._last = (key, found)
        return found

    def _score(self, question: str, context: Sequence[Retrieved], said: str) -> list[Candidate]:
        query = self._query_vector(question)
        seen: set[str] = set()
        found: list[Candidate] = []
        for rank, hit in enumerate(context[:MAX_CHUNKS]):
            record = self.units.get(hit.chunk)
            chunk_sim = hit.similarity
            if chunk_sim is None and len(record.vectors):
                chunk_sim = float((record.vectors @ query).max())
            for unit, vector, own in zip(
                record.units, record.vectors, record.own_vectors, strict=True
            ):
                key = _dedup_key(unit.text)
                if key in seen or not _informative(unit):
                    continue
                seen.add(key)
                found.append(
                    Candidate(
                        unit,
                        hit.chunk,
                        rank,
                        vector,
                        chunk_similarity=chunk_sim or 0.0,
                        own_vector=own,
                        repeated=bool(said) and unit.text in said,
                    )
                )
        rows = featurize(query, question, found)
        part_rows = [
            featurize(self._query_vector(part), part, found) for part in question_parts(question)
        ]
        scores = self.scorer.unit_scores(rows, part_rows)
        for i, (candidate, score) in enumerate(zip(found, scores, strict=True)):
            candidate.features = rows[i]
            candidate.part_features = tuple(part[i] for part in part_rows)
            candidate.score = float(score)
        return found

    def _query_vector(self, text: str) -> np.ndarray:
        query = np.asarray(self.embeddings.embed_query(text), dtype=np.float32)
        return query / max(float(np.linalg.norm(query)), 1e-12)

    def select(self, candidates: list[Candidate]) -> list[Candidate]:
        return select_units(candidates, self.scorer, self.max_statements)

    def compose(
        self, question: str, context: Sequence[Retrieved], history: Sequence[Turn]
    ) -> tuple[list[str], Draft]:
        """The answer as stream pieces (they concatenate to the text) and the final draft."""
        chosen = self.select(self.candidates(question, context, history))
        if not chosen:
            draft = refusal_draft("not_covered")
            return [draft.text], draft
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
