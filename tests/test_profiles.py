import numpy as np
import pytest
import scipy.sparse as sp

from recommender.profiles import batch_profiles, build_profile, decay_weights, owner_matrix, weighted_centroid


def rows(*vecs):
    return sp.csr_matrix(np.asarray(vecs, dtype=float))


def test_decay_halves_per_half_life():
    np.testing.assert_allclose(decay_weights([0, 30, 60], 30.0), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(decay_weights([0, 100], float("inf")), [1.0, 1.0])
    np.testing.assert_allclose(decay_weights([-5], 10.0), [1.0])  # future dates count as today


def test_weighted_centroid():
    c = weighted_centroid(rows([1, 0], [0, 1]), np.array([3.0, 1.0]))
    np.testing.assert_allclose(c.toarray().ravel(), [0.75, 0.25])
    assert weighted_centroid(sp.csr_matrix((0, 2)), np.zeros(0)).nnz == 0


def test_profile_from_likes_with_decay():
    liked = rows([1, 0, 0], [0, 1, 0])
    p = build_profile(3, liked=liked, liked_age_days=[0, 30], half_life_days=30).toarray().ravel()
    # weights 1 and 0.5 -> direction (2, 1, 0)
    np.testing.assert_allclose(p, np.array([2, 1, 0]) / np.sqrt(5))


def test_interests_and_likes_combine():
    p = build_profile(3, interests=rows([0, 0, 1]), liked=rows([1, 0, 0]), interest_weight=1, like_weight=1)
    np.testing.assert_allclose(p.toarray().ravel(), [1 / np.sqrt(2), 0, 1 / np.sqrt(2)])


def test_dislike_only_removes_orthogonal_part():
    liked = rows([1, 0, 0])
    disliked = rows([np.sqrt(0.5), np.sqrt(0.5), 0])  # shares the liked topic and adds topic 2
    p = build_profile(3, liked=liked, disliked=disliked, dislike_weight=1.0).toarray().ravel()
    assert p[0] > 0.8  # liked topic is kept
    assert p[1] < 0  # the other topic of the disliked paper is pushed away
    assert p[2] == 0


def test_nothing_known_gives_zero_profile():
    assert build_profile(3).nnz == 0
    assert build_profile(3, disliked=rows([1, 0, 0])).nnz == 0


def test_batch_matches_single():
    liked = rows([1, 0, 0], [0, 1, 1], [0, 0, 1])
    owner = np.array([0, 0, 1])
    ages = np.array([0, 30, 0])
    w = owner_matrix(owner, decay_weights(ages, 30), 2)
    dis = rows([0, 1, 0])
    wd = owner_matrix(np.array([1]), np.ones(1), 2)
    batch = batch_profiles(sp.csr_matrix((2, 3)), sp.csr_matrix(w @ liked), sp.csr_matrix(wd @ dis), dislike_weight=0.5)
    one = build_profile(3, liked=liked[:2], liked_age_days=ages[:2], half_life_days=30)
    two = build_profile(3, liked=liked[2:], disliked=dis, dislike_weight=0.5)
    np.testing.assert_allclose(batch.toarray(), sp.vstack([one, two]).toarray(), atol=1e-6)


def test_shape_errors():
    with pytest.raises(ValueError):
        build_profile(3, liked=rows([1, 0, 0]), liked_age_days=[1, 2])
