"""Unanswered questions grouped by meaning, each group labelled with its own words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

LABEL_TERMS = 3
SAMPLE = 2000  # questions clustered exactly; the others join the nearest group


@dataclass
class Group:
    """Indexes of the questions of one group, and the terms that label it."""

    members: list[int]
    terms: list[str]

    @property
    def label(self) -> str:
        return ", ".join(self.terms)


def _average_linkage(vectors: np.ndarray, max_distance: float) -> np.ndarray:
    """Agglomerative (average linkage) labels of unit vectors under ``max_distance``."""
    # Cosine distance of unit vectors is 1 - dot product: one matrix product (scipy's own
    # cosine pdist is several times slower on thousands of questions).
    distances = vectors @ vectors.T
    np.subtract(1.0, distances, out=distances)
    np.clip(distances, 0.0, 2.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    labels: np.ndarray = AgglomerativeClustering(
        n_clusters=None, distance_threshold=max_distance, metric="precomputed", linkage="average"
    ).fit_predict(distances)
    return labels


def cluster(vectors: np.ndarray, max_distance: float, sample: int = SAMPLE) -> list[list[int]]:
    """Average-linkage clusters of unit vectors: no two groups closer than ``max_distance``
    (mean cosine distance between their questions). Largest first.

    Past ``sample`` questions (linkage costs grow with the square), an evenly spread sample
    is clustered; every other question joins the group whose centre is nearest, when
    within ``max_distance``, and those near none are clustered among themselves.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) == 0:
        return []
    if len(vectors) == 1:
        return [[0]]
    if len(vectors) <= sample:
        labels = _average_linkage(vectors, max_distance)
        groups: dict[int, list[int]] = {}
        for index, label in enumerate(labels.tolist()):
            groups.setdefault(label, []).append(index)
        return sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    chosen = np.linspace(0, len(vectors) - 1, sample).round().astype(int)
    chosen = np.unique(chosen)
    found = [[int(chosen[i]) for i in g] for g in cluster(vectors[chosen], max_distance, sample)]
    centres = np.stack([vectors[g].mean(axis=0) for g in found])
    centres /= np.clip(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12, None)
    rest = np.setdiff1d(np.arange(len(vectors)), chosen)
    similarity = vectors[rest] @ centres.T
    nearest = similarity.argmax(axis=1)
    close = 1.0 - similarity[np.arange(len(rest)), nearest] <= max_distance
    for index, group in zip(rest[close].tolist(), nearest[close].tolist(), strict=True):
        found[group].append(index)
    far = rest[~close]
    for group in cluster(vectors[far], max_distance, sample):
        found.append([int(far[i]) for i in group])
    return sorted((sorted(g) for g in found), key=lambda g: (-len(g), g[0]))


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
