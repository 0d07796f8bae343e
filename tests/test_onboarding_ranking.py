"""The onboarding rounds' choice (recommender/ranking/onboarding.py) on small hand-made matrices."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.ranking.onboarding import follow_up_round, opening_round


def topics(counts: list[int], n_features: int = 6, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """Unit rows in clusters: cluster c has ``counts[c]`` papers around feature c; returns (rows, cluster of each)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for c, n in enumerate(counts):
        for _ in range(n):
            v = rng.random(n_features) * 0.1
            v[c] = 1.0
            rows.append(v / np.linalg.norm(v))
            labels.append(c)
    return sp.csr_matrix(np.array(rows)), np.array(labels)


def test_the_opening_covers_clusters_and_prefers_popular_papers():
    X, cluster = topics([30, 20, 10, 5])
    popularity = np.zeros(X.shape[0])
    popularity[np.flatnonzero(cluster == 3)[2]] = 50  # one much-read paper in the smallest cluster
    rows = opening_round(X, 4, popularity=popularity)
    assert len(set(rows.tolist())) == 4
    assert set(cluster[rows]) == {0, 1, 2, 3}  # diverse: one per cluster
    assert np.flatnonzero(cluster == 3)[2] in rows
    without = opening_round(X, 4, popularity=popularity, exclude=np.isin(np.arange(X.shape[0]), rows))
    assert not set(without.tolist()) & set(rows.tolist())


def test_the_follow_up_asks_near_the_boundary_and_never_repeats():
    X, cluster = topics([10, 10, 10])
    liked, disliked = np.array([0]), np.array([10])
    scores = np.where(cluster == 0, 0.9, np.where(cluster == 1, 0.1, 0.5))  # cluster 2 is the uncertain one
    rows = follow_up_round(X, scores, liked, disliked, 3, diversity=0.0)
    assert set(cluster[rows]) == {2}
    top = follow_up_round(X, scores, liked, disliked, 3, diversity=0.0, mode="top")
    assert set(cluster[top]) == {0} and 0 not in top


def test_without_a_like_the_follow_up_explores_away_from_the_dislikes():
    X, cluster = topics([10, 10, 10])
    rows = follow_up_round(X, np.zeros(30), np.array([], dtype=np.int64), np.arange(10), 4)
    assert 0 not in set(cluster[rows])


def test_mismatched_inputs_are_refused():
    X, _ = topics([5, 5])
    with pytest.raises(ValueError, match="popularity"):
        opening_round(X, 2, popularity=np.ones(3))
    with pytest.raises(ValueError, match="scores"):
        follow_up_round(X, np.ones(3), np.array([0]), np.array([1]))
    with pytest.raises(ValueError, match="mode"):
        follow_up_round(X, np.ones(10), np.array([0]), np.array([1]), mode="sideways")
