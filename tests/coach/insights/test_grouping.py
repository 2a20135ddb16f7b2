"""Grouping past the exact-clustering sample gives the groups the exact clustering gives."""

from __future__ import annotations

import numpy as np

from coach.insights.grouping import cluster, label_groups


def topics(per_topic: int, dimension: int = 64, seed: int = 25) -> tuple[np.ndarray, list[int]]:
    """Unit vectors around four far-apart centres, and the centre of each."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dimension)[:4]
    rows, truth = [], []
    for topic, centre in enumerate(centres):
        noise = rng.normal(scale=0.05, size=(per_topic, dimension))
        rows.append(centre + noise)
        truth += [topic] * per_topic
    vectors = np.concatenate(rows)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True), truth


def test_a_sample_and_the_rest_joining_it_match_the_exact_groups() -> None:
    vectors, truth = topics(60)
    exact = cluster(vectors, 0.5)
    sampled = cluster(vectors, 0.5, sample=50)
    assert [len(g) for g in exact] == [len(g) for g in sampled] == [60] * 4
    for group in sampled:
        assert len({truth[i] for i in group}) == 1
    assert sorted(i for g in sampled for i in g) == list(range(len(vectors)))


def test_a_question_near_no_group_is_a_group_of_its_own() -> None:
    vectors, _ = topics(30)
    stray = np.zeros((1, vectors.shape[1]))
    stray[0, -1] = 1.0
    groups = cluster(np.concatenate([vectors, stray]), 0.5, sample=40)
    assert [len(g) for g in groups] == [30, 30, 30, 30, 1]


def test_labels_fall_back_to_nothing_on_stop_words_only() -> None:
    assert label_groups(["the and of", "it is"], [[0, 1]])[0].terms == []
