"""Unanswered questions grouped by meaning, each group labelled with its own words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

LABEL_TERMS = 3


@dataclass
class Group:
    """Indexes of the questions of one group, and the terms that label it."""

    members: list[int]
    terms: list[str]

    @property
    def label(self) -> str:
        return ", ".join(self.terms)


def cluster(vectors: np.ndarray, max_distance: float) -> list[list[int]]:
    """Average-linkage clusters of unit vectors: no two groups closer than ``max_distance``
    (mean cosine distance between their questions). Largest first."""
    if len(vectors) == 0:
        return []
    if len(vectors) == 1:
        return [[0]]
    labels = AgglomerativeClustering(
        n_clusters=None, distance_threshold=max_distance, metric="cosine", linkage="average"
    ).fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _without_parts(terms: list[str]) -> list[str]:
    """Terms minus single words already inside a chosen phrase."""
    phrases = [t for t in terms if " " in t]
    return [t for t in terms if " " in t or not any(t in p.split() for p in phrases)]


def label_groups(texts: list[str], groups: list[list[int]]) -> list[Group]:
    """Each group's top TF-IDF terms (words and two-word phrases) over all ``texts``: the
    words its questions share, less their weight in the other groups' questions."""
    if not groups:
        return []
    try:
        vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
        weights = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return [Group(members, []) for members in groups]
    vocabulary = vectorizer.get_feature_names_out()
    total = np.asarray(weights.sum(axis=0)).ravel()
    labelled = []
    for members in groups:
        inside = np.asarray(weights[members].sum(axis=0)).ravel()
        rest = len(texts) - len(members)
        outside = (total - inside) / rest if rest else 0.0
        scores = inside / len(members) - outside  # common here, rarer elsewhere
        top = [str(vocabulary[i]) for i in np.argsort(-scores, kind="stable")[:8] if scores[i] > 0]
        labelled.append(Group(members, _without_parts(top)[:LABEL_TERMS]))
    return labelled
