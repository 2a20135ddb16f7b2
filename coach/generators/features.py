"""What the statement scorer sees of each candidate unit: language and structure, no wording.

Every feature is a property of the question, the unit, its chunk or its place in the
retrieved context (similarities, word overlap, position, kind, list membership); none names
a word, phrase or topic of any set of guides. ``FEATURES`` fixes their order in the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from coach.keywords import terms
from coach.schema import Chunk
from coach.units.split import Unit

FEATURES = (
    "similarity",  # cosine(question, unit), the unit embedded in its passage
    "similarity_gap",  # best candidate's similarity minus this one's
    "chunk_similarity",  # cosine(question, the unit's chunk)
    "rank_prior",  # 1 / (1 + the chunk's rank in the context)
    "overlap",  # idf-weighted share of the question's terms in the unit
    "overlap_gap",  # best candidate's overlap minus this one's
    "label_overlap",  # the same, in the unit's heading and section path
    "is_item",
    "is_row",
    "is_intro",  # a lead-in ending with ':'
    "position",  # place in the chunk, 0 (first) to 1 (last)
    "log_words",
    "has_number",
    "block_size",  # log of the members of its list or paragraph
    "block_similarity",  # best similarity among the other members of its block
    "repeated",  # the conversation already said it
    "matched_terms",  # log of the question's distinct terms the unit has
    "phrase_match",  # longest run of the question's terms the unit has in the same order
    "similarity_rank",  # place of its similarity among the candidates, 0 (best) to 1
    "best_in_chunk",  # the closest unit of its chunk
    "quantity_match",  # the question asks how much/long/many and the unit has a figure
    "time_match",  # the question asks how long/when and the unit names a span of time
    "own_similarity",  # cosine(question, the unit embedded on its own after title and heading)
    "own_gap",  # best candidate's own similarity minus this one's
)

# English question forms that ask for a quantity, and how a span of time is written.
_QUANTITY = re.compile(
    r"\bhow (?:long|much|many|often|soon|fast|quickly|big|large)\b"
    r"|\bwhat (?:percentage|share|proportion|range|number)\b",
    re.IGNORECASE,
)
_TIME_QUESTION = re.compile(r"\bhow (?:long|soon|quickly|fast|often)\b|\bwhen\b", re.IGNORECASE)
_UNITS_OF_TIME = r"(?:minutes?|hours?|days?|weeks?|months?|quarters?|years?)"
_SPAN = re.compile(
    rf"\b\d+(?:\.\d+)?(?:\s*(?:-|–|to)\s*\d+)?[\s-]*{_UNITS_OF_TIME}\b"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)"
    rf"(?:\s+(?:to|or)\s+\w+)?\s+{_UNITS_OF_TIME}\b"
    r"|\b(?:hourly|daily|weekly|biweekly|monthly|quarterly|yearly|annually|biannual(?:ly)?)\b"
    rf"|\b(?:every|each|per|once a|twice a)\s+(?:\w+\s+)?{_UNITS_OF_TIME}\b"
    r"|\b(?-i:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)\b",
    re.IGNORECASE,
)

_NUMBER = re.compile(r"\d")


@dataclass(eq=False)
class Candidate:
    """A unit of a retrieved chunk, with its vector and features."""

    unit: Unit
    chunk: Chunk
    rank: int  # the chunk's place in the context
    vector: np.ndarray  # the unit as its passage shapes it
    chunk_similarity: float = 0.0
    own_vector: np.ndarray | None = None  # the unit on its own (None: ``vector``)
    features: np.ndarray | None = None
    part_features: tuple[np.ndarray, ...] = ()  # one row per ask of a compound question
    score: float = 0.0  # the scorer's probability that the unit carries what is asked
    repeated: bool = False  # the coach already said it in this conversation

    @property
    def order(self) -> tuple[int, int]:
        return (self.rank, self.unit.index)


@lru_cache(maxsize=32_768)
def term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def featurize(
    question_vector: np.ndarray,
    question: str,
    candidates: Sequence[Candidate],
) -> np.ndarray:
    """The feature matrix of ``candidates`` (rows) in ``FEATURES`` order (columns)."""
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    sims = np.stack([c.vector for c in candidates]) @ question_vector
    own = np.stack([c.vector if c.own_vector is None else c.own_vector for c in candidates])
    own_sims = own @ question_vector
    best_own = float(own_sims.max())
    asked = sorted(term_set(question))
    unit_terms = [term_set(c.unit.text) for c in candidates]
    label_terms = [term_set(f"{c.chunk.section} {c.unit.label}") for c in candidates]
    total = len(candidates)
    weights = {t: math.log(1 + total / (1 + sum(t in ts for ts in unit_terms))) for t in asked}
    norm = sum(weights.values()) or 1.0
    overlap = np.array([sum(w for t, w in weights.items() if t in ts) / norm for ts in unit_terms])
    label = np.array([sum(w for t, w in weights.items() if t in ts) / norm for ts in label_terms])
    blocks: dict[tuple[str, int], list[int]] = {}
    for i, c in enumerate(candidates):
        blocks.setdefault((c.chunk.chunk_id, c.unit.block), []).append(i)
    rows = np.zeros((total, len(FEATURES)), dtype=np.float32)
    best_sim, best_overlap = float(sims.max()), float(overlap.max())
    order = np.argsort(-sims, kind="stable")
    sim_rank = np.empty(total)
    sim_rank[order] = np.arange(total) / max(1, total - 1)
    best_of_chunk: dict[str, int] = {}
    for i, c in enumerate(candidates):
        j = best_of_chunk.get(c.chunk.chunk_id)
        if j is None or sims[i] > sims[j]:
            best_of_chunk[c.chunk.chunk_id] = i
    sequence = list(terms(question))
    quantity = bool(_QUANTITY.search(question))
    timing = bool(_TIME_QUESTION.search(question))
    for i, c in enumerate(candidates):
        members = blocks[(c.chunk.chunk_id, c.unit.block)]
        others = [float(sims[j]) for j in members if j != i]
        rows[i] = (
            sims[i],
            best_sim - sims[i],
            c.chunk_similarity,
            1.0 / (1 + c.rank),
            overlap[i],
            best_overlap - overlap[i],
            label[i],
            c.unit.kind == "item",
            c.unit.kind == "row",
            c.unit.intro,
            c.unit.index / max(1, _last_index(candidates, c)),
            math.log1p(len(c.unit.text.split())),
            bool(_NUMBER.search(c.unit.text)),
            math.log1p(len(members)),
            max(others, default=float(sims[i])),
            c.repeated,
            math.log1p(sum(t in unit_terms[i] for t in asked)),
            _longest_run(sequence, terms(c.unit.text)) / max(1, len(sequence)),
            sim_rank[i],
            best_of_chunk[c.chunk.chunk_id] == i,
            quantity and bool(_NUMBER.search(c.unit.text)),
            timing and bool(_SPAN.search(c.unit.display)),
            own_sims[i],
            best_own - own_sims[i],
        )
    return rows


def _longest_run(question: list[str], unit: list[str]) -> int:
    """The longest run of consecutive question terms that the unit has consecutively."""
    best = 0
    for i in range(len(question)):
        for j in range(len(unit)):
            n = 0
            while i + n < len(question) and j + n < len(unit) and question[i + n] == unit[j + n]:
                n += 1
            best = max(best, n)
    return best


def _last_index(candidates: Sequence[Candidate], c: Candidate) -> int:
    return max(o.unit.index for o in candidates if o.chunk is c.chunk)
