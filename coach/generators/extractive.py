"""The offline answer generator: the guides' own sentences and list items, each cited.

It splits the retrieved chunks into units (sentences, list items, table rows), scores them
against the question (embedding similarity + content-word overlap + the chunk's rank),
keeps the best few verbatim and arranges them: a lead line, then bullets for list-like
questions or a short paragraph otherwise. A list whose heading matches the question
("What You Need to Learn") is quoted as a list. Questions about figures (timelines,
salaries) quote one figure from each guide, so disagreements show instead of being settled.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from coach.generators.base import AnswerGenerator, Draft
from coach.generators.citations import MARKER, CitationNumbers
from coach.generators.sentences import Unit, is_dated, split_units
from coach.keywords import terms
from coach.refusals import load_prompt, refusal_draft
from coach.schema import Chunk, Citation, Retrieved, Turn

__all__ = ["ExtractiveGenerator", "load_prompt", "refusal_draft"]

Figure = Literal["duration", "money"]

# Tuned on the seed guides with all-MiniLM-L6-v2 (see tests/coach/generators).
SIMILARITY_FLOOR = 0.30  # below this no unit answers the question: refuse
FIGURE_FLOOR = 0.25  # a guide's figure must be at least this close to be quoted
LEXICAL_WEIGHT = 0.30
TITLE_WEIGHT = 1.0  # a question word in the guide's title counts for all its units
PRIOR_WEIGHT = 0.08
FIGURE_BONUS = 0.10  # units that carry the figure asked for
REPEAT_PENALTY = 0.3  # said already in this conversation: a follow-up hears something new
LIST_MARGIN = 0.16  # how far below the best unit a bullet may score
PARAGRAPH_MARGIN = 0.08
PARAGRAPH_STATEMENTS = 3
CONTINUATION_MARGIN = 0.25  # the next sentence of the lead's paragraph may score this much less
HEADING_WEIGHT = 0.6  # a list's score: its best heading, then its best members
NAMED_HEADING_BONUS = 0.10  # the question names the heading ("this week")
SHORT_LIST_PENALTY = 0.1
LEAD_FOCUS = 0.5  # a sentence leading a list must share half of what the question asks
GROUP_MARGIN_LIST = 0.20  # a list question takes a matching list this far below the best unit
GROUP_MARGIN_OTHER = 0.05  # other questions: only a list about as good as the best sentence
MAX_CHUNKS = 6  # chunks mined for units (context is ranked best first)
EMBEDDING_CACHE_SIZE = 20_000

DIFFER_LEAD = "The guides give different figures:"
AGREE_LEAD = "The guides give the same figure:"
COMPARE_LEAD = "Here is what each guide says:"

_LIST_QUESTION = re.compile(
    r"\b(?:what|which)\b.{0,40}\b(?:skills?|steps?|tools?|courses?|resources?|books?|"
    r"projects?|topics?|technolog(?:y|ies)|frameworks?|challenges?|advantages?|gaps?|tips?|"
    r"certifications?|things|ways|milestones?|phases?|stages?|responsibilities|tasks?)\b"
    r"|\bhow (?:do|can|should|would|could) i\b|\bhow to\b|\bwhat should i\b"
    r"|\b(?:roadmaps?|plans?|paths?|steps|checklists?|list|learning|learn|study|prepare"
    r"|priorit\w*)\b",
    re.IGNORECASE,
)
_COMPARISON = re.compile(
    r"\b(?:compar\w*|differ\w*|versus|vs\.?|in common|the (?:[\w-]+ ){0,3}guides"
    r"|each guide|which guides?|both guides)\b",
    re.IGNORECASE,
)
_HOW_LONG = re.compile(
    r"\bhow long\b|\bhow (?:much time|many (?:days|weeks|months|years))\b|\btime ?(?:line|frame)\b"
    r"|\bhow (?:quickly|fast|soon)\b",
    re.IGNORECASE,
)
_DURATION_QUESTION = re.compile(
    r"\bduration\b|\b(?:days|weeks|months|years)\b|\btake to\b", re.IGNORECASE
)
_EXPANSION = re.compile(r"\s*\([^()]*\)\s*$")
_MONEY_QUESTION = re.compile(
    r"\bsalar(?:y|ies)\b|\bpay(?:s|ing)?\b|\bpaid\b|\bearn\w*|\bcompensation\b|\bincome\b"
    r"|\bhow much (?:can|could|will|would|do|does|money)\b|\$|\bwages?\b|\braise\b|\bmoney\b",
    re.IGNORECASE,
)
_NUMBER = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_DURATION = re.compile(
    rf"\b{_NUMBER}(?:\s*(?:-|–|to)\s*{_NUMBER})?[\s-]*(?:days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"\$\s?\d[\d,.]*\s*[kKmM]?\b|\b\d+(?:\.\d+)?\s?[kK]\b"
    r"|\b\d+(?:\s*[-–]\s*\d+)?%\s+(?:increase|raise|more|higher|bump)",
)
# Calls to action and signposts: they carry no advice.
_BOILERPLATE = re.compile(
    r"^(?:great news|don'?t wait|here'?s (?:what|your|an honest)|follow this step-by-step"
    r"|before making this transition|take the next step|get personalized|ready to\b"
    r"|you already have valuable skills that will give you a head start)"
    r"|\bjoin our\b",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"\b(?:ai|ml|llm|api|mlops)\b", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!?:;]+[\"'”’]?$")


def _own_words(question: str) -> str:
    """The question without words a follow-up expansion appended ("... (salary architect)")."""
    return _EXPANSION.sub("", question)


def asked_figure(question: str) -> Figure | None:
    """The kind of figure a question asks for (a duration, an amount of money), if any."""
    own = _own_words(question)
    if _HOW_LONG.search(own):
        return "duration"
    if _MONEY_QUESTION.search(own):
        return "money"
    if _DURATION_QUESTION.search(own):
        return "duration"
    return None


def figures_in(text: str, figure: Figure) -> list[str]:
    """The figures of a kind in a text, normalised ("2-3 months", "$150,000")."""
    pattern = _DURATION if figure == "duration" else _MONEY
    return [" ".join(m.group(0).lower().split()) for m in pattern.finditer(text)]


def asks_comparison(question: str) -> bool:
    """Whether a question asks how the guides compare ("differ", "in common", "the guides")."""
    return bool(_COMPARISON.search(_own_words(question)))


def wants_list(question: str) -> bool:
    """Whether a question asks for a list or steps ("what skills", "how do I", "roadmap")."""
    return bool(_LIST_QUESTION.search(_own_words(question)))


def with_marker(text: str, marker: str) -> str:
    """``text`` with its citation marker before the closing punctuation: ``... months [2].``"""
    match = _TERMINAL.search(text)
    if match:
        return f"{text[: match.start()].rstrip()} {marker}{match.group(0)}"
    return f"{text} {marker}"


def guide_name(source: Chunk | Citation) -> str:
    """A guide's title short enough to lead a line ("From Backend Developer to AI ...")."""
    return _short_title(source.title, source.source)


@lru_cache(maxsize=1024)
def _short_title(title: str, source: str) -> str:
    title = title.split(":", 1)[0].strip()
    if not title:
        stem = source.rsplit(".", 1)[0]
        title = stem.replace("-", " ").replace("_", " ").capitalize()
    return _ACRONYM.sub(lambda m: m.group(0).upper(), title)


@dataclass(eq=False)
class _Candidate:
    """A unit of a retrieved chunk, with what scoring found."""

    unit: Unit
    chunk: Chunk
    rank: int  # the chunk's place in the context
    similarity: float = 0.0
    lexical: float = 0.0
    focus: float = 0.0  # share of the question's own words (beyond the guide's topic) it has
    repeated: bool = False  # the conversation already said it
    score: float = 0.0

    @property
    def order(self) -> tuple[int, int]:
        return (self.rank, self.unit.index)

    @property
    def scoring_text(self) -> str:
        return _in_guide(self.chunk, self.unit.scoring_text)


@dataclass(eq=False)
class _Group:
    """A list, a table or a run of dated roadmap phases in one chunk."""

    members: list[_Candidate]  # reading order
    phased: bool
    headings: list[str] = field(default_factory=list)  # headings above it, its lead-in
    intro: _Candidate | None = None  # "The main gaps ... are:"
    score: float = 0.0

    @property
    def rank(self) -> int:
        return self.members[0].rank


@lru_cache(maxsize=16_384)
def _terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def _guide_terms(chunk: Chunk) -> frozenset[str]:
    """What a guide is about: its title and file name ("...-roadmap.md")."""
    return _terms(f"{chunk.title} {chunk.source.rsplit('.', 1)[0].replace('-', ' ')}")


def _informative(unit: Unit) -> bool:
    """Long enough to say something, not a fragment, a call to action or a stray marker."""
    text = unit.text
    if MARKER.search(text) or _BOILERPLATE.search(text):
        return False
    if unit.kind == "sentence":
        if unit.intro or text[:1].islower() or len(text.split()) < 5:
            return False
    elif len(text) < 8 or not any(ch.isalpha() for ch in text):
        return False
    return len(_terms(unit.scoring_text)) >= 2


def _reading(c: _Candidate) -> tuple[str, int, int]:
    """Reading order within a guide."""
    return (c.chunk.source, c.chunk.position, c.unit.index)


def _in_guide(chunk: Chunk, text: str) -> str:
    """A text prefixed with its guide's name: which role it speaks about is part of its meaning."""
    name = guide_name(chunk)
    return text if text.startswith(name) else f"{name}. {text}"


def _dedup_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9$%]+", " ", text.lower()).split())


def _near_duplicate(a: _Candidate, chosen: Sequence[_Candidate]) -> bool:
    """Mostly the same words as a unit already chosen (overlapping or echoing guides)."""
    mine = _terms(a.unit.text)
    for b in chosen:
        theirs = _terms(b.unit.text)
        union = mine | theirs
        if union and len(mine & theirs) / len(union) >= 0.7:
            return True
    return False


class ExtractiveGenerator(AnswerGenerator):
    """Answers with verbatim, cited passages of the retrieved guides; no LLM needed."""

    mode = "extractive"

    def __init__(
        self,
        embeddings: Embeddings,
        max_statements: int = 5,
        similarity_floor: float = SIMILARITY_FLOOR,
    ) -> None:
        self.embeddings = embeddings
        self.max_statements = max(1, max_statements)
        self.similarity_floor = similarity_floor
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def stream(
        self, question: str, context: list[Retrieved], history: list[Turn]
    ) -> Iterator[str | Draft]:
        """The answer statement by statement (each ending with its citation), then the Draft."""
        pieces, draft = self.compose(question, context, history)
        yield from pieces
        yield draft

    def warm_up(self, chunks: Iterable[Chunk]) -> int:
        """Embed every unit and heading of ``chunks`` ahead of the first question.

        A server can call it at start-up so the first answers are as quick as later ones.
        Returns how many texts were embedded.
        """
        texts: list[str] = []
        for chunk in chunks:
            extra = [h.strip() for h in chunk.section.split(">") if h.strip()]
            for unit in split_units(chunk.text, chunk.section):
                extra += [unit.label, *unit.headings]
                if unit.kind == "sentence" and len(unit.text.split()) <= 20:
                    extra.append(unit.text)
                texts.append(_in_guide(chunk, unit.scoring_text))
            texts += [_in_guide(chunk, h) for h in extra if h]
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        for start in range(0, len(missing), 256):
            batch = missing[start : start + 256]
            with self._lock:
                self._vectors.update(zip(batch, self._embed(batch), strict=True))
        return len(missing)

    # Embeddings -------------------------------------------------------------------------

    def _embed(self, texts: list[str]) -> np.ndarray:
        embed_array = getattr(self.embeddings, "embed_array", None)
        if callable(embed_array):
            vectors = np.asarray(embed_array(texts), dtype=np.float32)
        else:
            vectors = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)

    def _similarities(self, question: str, texts: list[str]) -> dict[str, float]:
        """Cosine similarity of each text to the question; texts cached, new ones in one batch."""
        query = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        query /= max(float(np.linalg.norm(query)), 1e-12)
        unique = list(dict.fromkeys(texts))
        with self._lock:
            missing = [t for t in unique if t not in self._vectors]
        fresh = dict(zip(missing, self._embed(missing), strict=True)) if missing else {}
        with self._lock:
            for text, vector in fresh.items():
                self._vectors[text] = vector
            rows = []
            for text in unique:
                vector = fresh.get(text)
                if vector is None:
                    vector = self._vectors[text]
                    self._vectors.move_to_end(text)
                rows.append(vector)
            while len(self._vectors) > EMBEDDING_CACHE_SIZE:
                self._vectors.popitem(last=False)
        sims = np.stack(rows) @ query if rows else np.zeros(0)
        return {text: round(float(s), 4) for text, s in zip(unique, sims, strict=True)}

    # Candidates and scores ----------------------------------------------------------------

    def _candidates(self, context: Sequence[Retrieved]) -> list[_Candidate]:
        """Informative units of the top chunks, exact repeats (chunk overlaps) removed."""
        seen: set[str] = set()
        found: list[_Candidate] = []
        for rank, hit in enumerate(context[:MAX_CHUNKS]):
            chunk = hit.chunk
            for unit in split_units(chunk.text, chunk.section):
                key = _dedup_key(unit.text)
                if key in seen or not _informative(unit):
                    continue
                seen.add(key)
                found.append(_Candidate(unit=unit, chunk=chunk, rank=rank))
        return found

    def _groups(self, candidates: list[_Candidate]) -> list[_Group]:
        """Lists, tables and runs of roadmap phases among the candidates (two members or more)."""
        groups: list[_Group] = []
        for c in candidates:
            if c.unit.kind == "sentence":
                continue
            phased = c.unit.kind == "item" and is_dated(c.unit.label)
            last = groups[-1].members[-1] if groups else None
            gap = c.unit.block - last.unit.block if last is not None else -1
            joins = (
                last is not None
                and last.chunk is c.chunk
                and groups[-1].phased == phased
                and (gap in (0, 1) if phased else gap == 0)
            )
            if joins:
                groups[-1].members.append(c)
            else:
                groups.append(_Group(members=[c], phased=phased))
        groups = self._join_roadmaps(groups)
        # A phase of a roadmap ("This Week") also answers on its own.
        phases = [
            _Group(members=[m for m in g.members if m.unit.label == label], phased=False)
            for g in groups
            if g.phased and len({m.unit.label for m in g.members}) > 1
            for label in dict.fromkeys(m.unit.label for m in g.members)
        ]
        groups = [g for g in [*groups, *phases] if len(g.members) >= 2]
        for group in groups:
            first = group.members[0]
            units = split_units(first.chunk.text, first.chunk.section)
            before = units[first.unit.index - 1] if first.unit.index > 0 else None
            if group.phased:  # the roadmap as a whole: the headings above its phases
                labels = {m.unit.label for m in group.members}
                above = [*first.chunk.section.split(">"), *first.unit.headings]
                if before is not None:
                    above.append(before.label)
                    if before.kind == "sentence" and len(before.text.split()) <= 20:
                        above.append(before.text)  # "Follow this step-by-step roadmap..."
                headings = [h.strip() for h in above if h.strip() and h.strip() not in labels]
                headings = headings or sorted(labels)
            else:
                headings = [h for m in group.members for h in (*m.unit.headings, m.unit.label)]
            if before is not None and before.intro and not MARKER.search(before.text):
                group.intro = _Candidate(unit=before, chunk=first.chunk, rank=first.rank)
                headings.append(before.text)
            group.headings = list(dict.fromkeys(h.strip() for h in headings if h.strip()))
        return groups

    def _score(
        self,
        question: str,
        candidates: list[_Candidate],
        groups: list[_Group],
        figure: Figure | None,
        history: Sequence[Turn],
    ) -> None:
        """Score units (and lists, from their headings and best members) against the question."""
        intros = [g.intro for g in groups if g.intro is not None]
        heading_texts = [_in_guide(g.members[0].chunk, h) for g in groups for h in g.headings]
        sims = self._similarities(
            question, [c.scoring_text for c in [*candidates, *intros]] + heading_texts
        )
        asked = sorted(set(terms(question)))
        # Rarity among the units' own words: headings repeat on every unit under them.
        unit_terms = [_terms(c.unit.text) for c in candidates]
        total = len(candidates)
        weights = {t: math.log(1 + total / (1 + sum(t in ts for ts in unit_terms))) for t in asked}
        norm = sum(weights.values()) or 1.0

        def overlap(found: frozenset[str], title: frozenset[str] = frozenset()) -> float:
            own = sum(w for t, w in weights.items() if t in found)
            borrowed = sum(w for t, w in weights.items() if t not in found and t in title)
            return round((own + TITLE_WEIGHT * borrowed) / norm, 4)

        def focus(found: frozenset[str], title: frozenset[str]) -> float:
            """Coverage of what is asked beyond the guide's topic ("miss" in "what will I miss")."""
            intent = {t: w for t, w in weights.items() if t not in title}
            if not intent:
                return 1.0
            return round(sum(w for t, w in intent.items() if t in found) / sum(intent.values()), 4)

        said = MARKER.sub("", " ".join(t.content for t in history if t.role == "assistant"))
        said = re.sub(r" +([.,;:!?])", r"\1", said)  # "months [2]." was "months."
        for c in [*candidates, *intros]:
            c.similarity = sims[c.scoring_text]
            c.lexical = overlap(_terms(c.unit.scoring_text), _guide_terms(c.chunk))
            c.focus = focus(_terms(c.unit.scoring_text), _guide_terms(c.chunk))
            score = c.similarity + LEXICAL_WEIGHT * c.lexical + PRIOR_WEIGHT / (1 + 0.5 * c.rank)
            if figure and figures_in(c.unit.text, figure):
                score += FIGURE_BONUS
            c.repeated = bool(said) and c.unit.text in said
            if c.repeated:
                score -= REPEAT_PENALTY
            c.score = round(score, 4)
        asked_words = f" {_dedup_key(question)} "
        for g in groups:
            chunk = g.members[0].chunk
            heading = max((sims[_in_guide(chunk, h)] for h in g.headings), default=0.0)
            best = sorted((m.similarity for m in g.members), reverse=True)[:3]
            best += [min(best) - SHORT_LIST_PENALTY] * (3 - len(best))  # a two-item list is thin
            lexical = overlap(_terms(" ".join(g.headings)), _guide_terms(chunk))
            named = any(f" {_dedup_key(h)} " in asked_words for h in g.headings if len(h) > 3)
            g.score = round(
                HEADING_WEIGHT * heading
                + (1 - HEADING_WEIGHT) * sum(best) / len(best)
                + LEXICAL_WEIGHT * lexical
                + PRIOR_WEIGHT / (1 + 0.5 * g.rank)
                + (NAMED_HEADING_BONUS if named else 0.0)
                - REPEAT_PENALTY * sum(m.repeated for m in g.members) / len(g.members),
                4,
            )

    # Selection ----------------------------------------------------------------------------

    def _pick(
        self, ranked: list[_Candidate], limit: int, margin: float, chosen: list[_Candidate]
    ) -> list[_Candidate]:
        """Add the best candidates within ``margin`` of the top score, skipping near repeats.

        Beyond the closest ones, a unit must share a word of what the question asks (beyond
        its guide's topic), or it is filler on the same subject.
        """
        top = ranked[0].score
        for c in ranked:
            if len(chosen) >= limit:
                break
            if c in chosen or c.score < top - margin or c.similarity < self.similarity_floor:
                continue
            if chosen and c.focus == 0 and c.score < top - PARAGRAPH_MARGIN:
                continue
            if not _near_duplicate(c, chosen):
                chosen.append(c)
        return chosen

    def _figures_by_guide(self, ranked: list[_Candidate], figure: Figure) -> list[list[_Candidate]]:
        """Units carrying the asked figure, grouped by guide (best guide first).

        Each guide gets its best such unit; the others of the same paragraph or list
        ("Entry-level ...", "Mid-level ...") follow while the statement budget lasts.
        """
        carrying = [
            c for c in ranked if c.similarity >= FIGURE_FLOOR and figures_in(c.unit.text, figure)
        ]
        by_guide: dict[str, list[_Candidate]] = {}
        for c in carrying:
            by_guide.setdefault(c.chunk.source, [c])
        guides = list(by_guide.values())[: self.max_statements]
        budget = self.max_statements - len(guides)
        for c in carrying:
            if budget <= 0:
                break
            units = by_guide[c.chunk.source]
            first = units[0]
            if c in units or c.chunk is not first.chunk or c.unit.block != first.unit.block:
                continue
            if not _near_duplicate(c, units):
                units.append(c)
                budget -= 1
        return [sorted(units, key=lambda c: c.unit.index) for units in guides]

    def _views_by_guide(self, ranked: list[_Candidate]) -> list[list[_Candidate]]:
        """For comparisons: each guide's closest units (two at most), best guide first."""
        top = ranked[0].score
        close = [
            c
            for c in ranked
            if c.similarity >= self.similarity_floor
            and c.score >= top - LIST_MARGIN
            and (c.focus > 0 or c.score >= top - PARAGRAPH_MARGIN)
        ]
        by_guide: dict[str, list[_Candidate]] = {}
        for c in close:
            by_guide.setdefault(c.chunk.source, [c])
        guides = list(by_guide.values())[: self.max_statements]
        budget = self.max_statements - len(guides)
        for c in close:
            units = by_guide[c.chunk.source]
            if budget > 0 and len(units) < 2 and c not in units and not _near_duplicate(c, units):
                units.append(c)
                budget -= 1
        return [sorted(units, key=_reading) for units in guides]

    @staticmethod
    def _join_roadmaps(groups: list[_Group]) -> list[_Group]:
        """Join a roadmap's phases found in neighbouring chunks of the same guide."""
        joined: list[_Group] = []
        for g in sorted(groups, key=lambda g: _reading(g.members[0])):
            prev = next((p for p in reversed(joined) if p.phased), None) if g.phased else None
            if (
                prev is not None
                and prev.members[-1].chunk.source == g.members[0].chunk.source
                and g.members[0].chunk.position - prev.members[-1].chunk.position == 1
            ):
                prev.members += g.members
            else:
                joined.append(g)
        return sorted(joined, key=lambda g: min(m.order for m in g.members))

    def _list_members(self, group: _Group, limit: int) -> list[_Candidate]:
        """The best members of a list in reading order.

        Steps (a numbered list, a roadmap: one item per phase) keep their first ``limit``,
        since a path is not read from its middle.
        """
        members = group.members
        if group.phased and len({m.unit.label for m in members}) > 1:
            per_phase: dict[str, _Candidate] = {}
            for m in sorted(members, key=lambda m: (-m.score, _reading(m))):
                per_phase.setdefault(m.unit.label, m)
            members = list(per_phase.values())
        if group.phased or all(m.unit.ordered for m in members):
            steps = sorted(members, key=_reading)
            return [m for n, m in enumerate(steps) if not _near_duplicate(m, steps[:n])][:limit]
        chosen: list[_Candidate] = []
        for m in sorted(members, key=lambda m: (-m.score, _reading(m))):
            if len(chosen) < limit and not _near_duplicate(m, chosen):
                chosen.append(m)
        return sorted(chosen, key=_reading)

    def _arrange(self, lead: _Candidate, rest: list[_Candidate]) -> list[_Candidate]:
        """The lead, then the others grouped by chunk (best chunk first), in reading order."""
        groups: dict[str, list[_Candidate]] = {}
        for c in [lead, *sorted(rest, key=lambda c: (-c.score, c.order))]:
            groups.setdefault(c.chunk.chunk_id, []).append(c)
        ordered = [lead]
        for members in groups.values():
            ordered += sorted((c for c in members if c is not lead), key=lambda c: c.order)
        return ordered

    # Composition --------------------------------------------------------------------------

    def compose(
        self, question: str, context: Sequence[Retrieved], history: Sequence[Turn]
    ) -> tuple[list[str], Draft]:
        """The answer as stream pieces (they concatenate to the text) and the final draft."""
        candidates = self._candidates(context)
        if not candidates:
            return _refusal()
        figure = asked_figure(question)
        list_question = wants_list(question)
        groups = self._groups(candidates)
        self._score(question, candidates, groups, figure, history)
        if max(c.similarity for c in candidates) < self.similarity_floor:
            return _refusal()
        ranked = sorted(candidates, key=lambda c: (-c.score, c.order))
        writer = _Writer()
        figures = self._figures_by_guide(ranked, figure) if figure else []
        named = _named_guides(question, context)
        if named and any(units[0].chunk.source in named for units in figures):
            # "What do AI Solutions Architects earn?" wants that guide's figures, not every role's.
            figures = [units for units in figures if units[0].chunk.source in named]
        best_group = max(groups, key=lambda g: (g.score, -g.rank), default=None)
        margin = GROUP_MARGIN_LIST if list_question else GROUP_MARGIN_OTHER
        group = best_group if best_group and best_group.score >= ranked[0].score - margin else None
        if group and figure and not any(figures_in(m.unit.display, figure) for m in group.members):
            group = None  # a list without the figure asked for does not answer
        views = self._views_by_guide(ranked) if asks_comparison(question) else []
        if len(figures) >= 2 and not (group and group.phased and list_question):
            self._write_figures(writer, figures, figure)
        elif len(views) >= 2:
            writer.line(COMPARE_LEAD)
            for units in views:
                writer.guide_bullet(units)
        elif not (group and self._write_list(writer, group, ranked)):
            seed = figures[0] if figures else []
            self._write_passages(writer, ranked, seed, list_question)
        draft = Draft(text="".join(writer.pieces), citations=writer.numbers.citations())
        return writer.pieces, draft

    def _write_figures(
        self, writer: _Writer, figures: list[list[_Candidate]], figure: Figure | None
    ) -> None:
        """One bullet per guide with its own figures, under a lead saying whether they differ."""
        assert figure is not None
        found = {tuple(figures_in(c.unit.text, figure)) for units in figures for c in units}
        writer.line(DIFFER_LEAD if len(found) > 1 else AGREE_LEAD)
        for units in figures:
            writer.guide_bullet(units)

    def _write_list(self, writer: _Writer, group: _Group, ranked: list[_Candidate]) -> bool:
        """A lead (the list's lead-in or the best sentence), then the list; False if too thin."""
        lead = group.intro
        if lead is None or lead.similarity < self.similarity_floor:
            sentences = [c for c in ranked if c.unit.kind == "sentence"]
            lead = next(
                (
                    c
                    for c in sentences[:1]
                    if c.score >= ranked[0].score - LIST_MARGIN and c.focus >= LEAD_FOCUS
                ),
                None,
            )
        members = self._list_members(group, self.max_statements - (lead is not None))
        if len(members) < 2:
            return False
        if lead is None:
            lead, members = members[0], members[1:]
        writer.statements([lead])
        for member in members:
            writer.bullet([member])
        return True

    def _write_passages(
        self,
        writer: _Writer,
        ranked: list[_Candidate],
        seed: list[_Candidate],
        list_question: bool,
    ) -> None:
        """The best units: a lead line, then bullets (list questions, list items) or prose."""
        if list_question:
            chosen = self._pick(ranked, self.max_statements, LIST_MARGIN, list(seed))
        else:
            limit = max(min(self.max_statements, PARAGRAPH_STATEMENTS), len(seed))
            chosen = self._pick(ranked, limit, PARAGRAPH_MARGIN, list(seed)) or ranked[:1]
            chosen = self._continue(chosen, ranked, limit)
        chosen = chosen or ranked[:1]
        lead = self._lead(chosen, list_question)
        writer.statements([lead])
        for c in self._arrange(lead, [c for c in chosen if c is not lead])[1:]:
            if list_question or c.unit.kind != "sentence":
                writer.bullet([c])
            else:
                writer.statements([c])

    def _continue(
        self, chosen: list[_Candidate], ranked: list[_Candidate], limit: int
    ) -> list[_Candidate]:
        """Let the best sentence's paragraph go on while its next sentences stay on topic."""
        top = chosen[0]
        following = {
            c.unit.index: c
            for c in ranked
            if c.chunk is top.chunk and c.unit.block == top.unit.block and c.unit.kind == "sentence"
        }
        index = top.unit.index + 1
        while len(chosen) < limit and index in following:
            c = following[index]
            if c.score < top.score - CONTINUATION_MARGIN or c.similarity < self.similarity_floor:
                break
            if c not in chosen and not _near_duplicate(c, chosen):
                chosen.append(c)
            index += 1
        return chosen

    def _lead(self, chosen: list[_Candidate], list_question: bool) -> _Candidate:
        """The opening line: the best unit, or for lists the best prose sentence near it."""
        best = chosen[0]
        if list_question and best.unit.kind != "sentence":
            prose = [c for c in chosen if c.unit.kind == "sentence"]
            if prose and prose[0].score >= best.score - PARAGRAPH_MARGIN:
                return prose[0]
        return best


def _named_guides(question: str, context: Sequence[Retrieved]) -> set[str]:
    """Guides whose own title words (in no other guide's title) the question uses."""
    titles = {hit.chunk.source: set(terms(hit.chunk.title)) for hit in context}
    if len(titles) < 2:
        return set()
    asked = set(terms(question))
    named = set()
    for source, words in titles.items():
        others = set().union(*(w for s, w in titles.items() if s != source))
        if asked & (words - others):
            named.add(source)
    return named


def _refusal() -> tuple[list[str], Draft]:
    draft = refusal_draft("not_covered")
    return [draft.text], draft


class _Writer:
    """Builds the answer piece by piece; each piece ends with its statement's citation."""

    def __init__(self) -> None:
        self.numbers = CitationNumbers()
        self.pieces: list[str] = []
        self._label = ""  # the heading the previous statement showed
        self._open = False  # a paragraph is open (its last statement ended a sentence)

    def _cite(self, c: _Candidate) -> str:
        n = self.numbers.cite(c.chunk, c.unit.text, c.unit.index)
        repeated = c.unit.show_label and c.unit.label == self._label
        self._label = c.unit.label if c.unit.show_label else ""
        return with_marker(c.unit.text if repeated else c.unit.display, f"[{n}]")

    def line(self, text: str) -> None:
        """An uncited line of the coach's own (a lead such as "The guides differ:")."""
        self.pieces.append(f"\n{text}" if self.pieces else text)
        self._open = False

    def statements(self, units: Sequence[_Candidate]) -> None:
        """Sentences continuing the open paragraph, or starting one (after a list, a line)."""
        for c in units:
            joiner = (" " if self._open else "\n\n") if self.pieces else ""
            self.pieces.append(f"{joiner}{self._cite(c)}")
            self._open = _ends_sentence(self.pieces[-1])

    def bullet(self, units: Sequence[_Candidate], prefix: str = "") -> None:
        """A bullet of one or more statements (joined like the guide's own text)."""
        for n, c in enumerate(units):
            if n == 0:
                self.pieces.append(f"\n- {prefix}{self._cite(c)}")
            else:
                joiner = " " if _ends_sentence(self.pieces[-1]) else "; "
                self.pieces.append(f"{joiner}{self._cite(c)}")
        self._open = False

    def guide_bullet(self, units: Sequence[_Candidate]) -> None:
        """A bullet of one guide's statements, led by the guide's name."""
        name = guide_name(units[0].chunk)
        labelled = units[0].unit.show_label and units[0].unit.label
        self.bullet(units, prefix=f"{name} — " if labelled else f"{name}: ")


def _ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’").endswith((".", "!", "?"))
