"""The questions the guides could not answer, grouped by meaning, with the nearest guide."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from coach.insights.grouping import cluster, label_groups
from coach.insights.models import ClosestGuide, GroupedQuestion, UnansweredGroup
from coach.insights.records import Asked
from coach.schema import Chunk

EXAMPLES = 3
Nearest = Callable[[np.ndarray], tuple[Chunk, float] | None]
"""The stored chunk nearest to a unit vector, with its cosine similarity."""


def is_unanswered(asked: Asked, evidence_bar: float) -> bool:
    """Declined as not covered, or answered on evidence (relevance) under the bar."""
    if asked.outcome == "not_covered":
        return True
    return (
        asked.outcome == "answered"
        and asked.relevance is not None
        and asked.relevance < evidence_bar
    )


def unanswered_groups(
    questions: list[Asked],
    vectors: Callable[[list[str]], np.ndarray],
    nearest: Nearest | None,
    max_distance: float,
) -> list[UnansweredGroup]:
    """``questions`` (the unanswered ones) grouped, labelled, largest group first."""
    if not questions:
        return []
    texts = [q.text for q in questions]
    matrix = vectors(texts)
    groups = label_groups(texts, cluster(matrix, max_distance))
    result = []
    for group in groups:
        members = [questions[i] for i in group.members]
        rows = matrix[group.members]
        centroid = rows.mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        typical = np.argsort(-(rows @ centroid), kind="stable")
        examples = list(dict.fromkeys(members[i].text for i in typical))[:EXAMPLES]
        found = nearest(centroid) if nearest else None
        closest = (
            ClosestGuide(
                source=found[0].source,
                title=found[0].title,
                section=found[0].section,
                similarity=round(found[1], 4),
            )
            if found
            else None
        )
        result.append(
            UnansweredGroup(
                label=group.label,
                terms=group.terms,
                count=len(members),
                examples=examples,
                first_seen=min(m.asked_at for m in members),
                last_seen=max(m.asked_at for m in members),
                refused=sum(m.outcome == "not_covered" for m in members),
                low_evidence=sum(m.outcome == "answered" for m in members),
                closest_guide=closest,
                questions=[
                    GroupedQuestion(
                        text=m.text, asked_at=m.asked_at, channel=m.channel, outcome=m.outcome
                    )
                    for m in sorted(members, key=lambda m: m.asked_at)
                ],
            )
        )
    return result
