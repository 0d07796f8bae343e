import numpy as np
import pytest
import scipy.sparse as sp

from recommender.ranking import Target, decay_weights, rocchio_profiles
from recommender.ranking.profiles import weighted_centroids
from recommender.ranking.targets import batch_of


def rows(*vecs):
    return sp.csr_matrix(np.asarray(vecs, dtype=float))


def batch(targets, n_features, half_life_days=30.0, interests=None):
    """Targets as the ranker batches them (no interests text: no vectorizer needed)."""
    b = batch_of(targets, n_features, None, vectorizer=None, half_life_days=half_life_days)
    if interests is not None:
        b.interests = sp.csr_matrix(interests, dtype=np.float32)
    return b


def profile(n_features, *, interests=None, half_life_days=30.0, weights=None, **target):
    """One target's profile, shape (n_features,), through the batched production path."""
    for key in ("liked_age_days", "disliked_age_days"):
        if key in target:
            target[key] = np.asarray(target[key], dtype=float)
    b = batch([Target(**target)], n_features, half_life_days, interests)
    return rocchio_profiles(b, **(weights or {})).toarray().ravel()


def test_decay_halves_per_half_life():
    np.testing.assert_allclose(decay_weights([0, 30, 60], 30.0, floor=0.0), [1.0, 0.5, 0.25])
    np.testing.assert_allclose(decay_weights([0, 15, 60, 5000], 30.0, floor=0.5), [1.0, 2 ** -0.5, 0.5, 0.5])
    assert decay_weights([10**6], 30.0, floor=0.0)[0] > 0  # never exactly 0
    np.testing.assert_allclose(decay_weights([0, 100], float("inf")), [1.0, 1.0])
    np.testing.assert_allclose(decay_weights([-5], 10.0), [1.0])  # future dates count as today


def test_weighted_centroids():
    c = weighted_centroids(sp.csr_matrix([[3.0, 1.0]]), rows([1, 0], [0, 1]))
    np.testing.assert_allclose(c.toarray().ravel(), [0.75, 0.25])
    assert weighted_centroids(sp.csr_matrix((1, 0)), sp.csr_matrix((0, 2))).nnz == 0


def test_profile_from_likes_with_decay():
    p = profile(3, liked=rows([1, 0, 0], [0, 1, 0]), liked_age_days=[0, 30], half_life_days=30)
    # weights 1 and 0.5 -> direction (2, 1, 0)
    np.testing.assert_allclose(p, np.array([2, 1, 0]) / np.sqrt(5), rtol=1e-6)  # float32 rows


def test_interests_and_likes_combine():
    p = profile(3, interests=rows([0, 0, 1]), liked=rows([1, 0, 0]), weights={"interest_weight": 1, "like_weight": 1})
    np.testing.assert_allclose(p, [1 / np.sqrt(2), 0, 1 / np.sqrt(2)], rtol=1e-6)


def test_dislike_only_removes_orthogonal_part():
    disliked = rows([np.sqrt(0.5), np.sqrt(0.5), 0])  # shares the liked topic and adds topic 2
    p = profile(3, liked=rows([1, 0, 0]), disliked=disliked, weights={"dislike_weight": 1.0})
    assert p[0] > 0.8  # liked topic is kept
    assert p[1] < 0  # the other topic of the disliked paper is pushed away
    assert p[2] == 0


def test_nothing_known_gives_zero_profile():
    assert not profile(3).any()
    assert not profile(3, disliked=rows([1, 0, 0])).any()


def test_batch_matches_single():
    liked = rows([1, 0, 0], [0, 1, 1], [0, 0, 1])
    ages = np.array([0, 30, 0.0])
    dis = rows([0, 1, 0])
    targets = [
        Target(liked=liked[:2], liked_age_days=ages[:2]),
        Target(liked=liked[2:], disliked=dis),
    ]
    both = rocchio_profiles(batch(targets, 3), dislike_weight=0.5).toarray()
    one = profile(3, liked=liked[:2], liked_age_days=ages[:2], weights={"dislike_weight": 0.5})
    two = profile(3, liked=liked[2:], disliked=dis, weights={"dislike_weight": 0.5})
    np.testing.assert_allclose(both, np.vstack([one, two]), atol=1e-6)


def test_shape_errors():
    with pytest.raises(ValueError, match="1 liked rows but 2 ages"):
        batch([Target(liked=rows([1, 0, 0]), liked_age_days=np.array([1.0, 2.0]))], 3)
    with pytest.raises(ValueError, match="expected 4"):
        batch([Target(liked=rows([1, 0, 0]))], 4)


def test_interests_lose_the_corpus_direction_without_gaining_its_opposite():
    from recommender.ranking.semantic import center_present, interest_rows

    mean = np.array([3.0, 0.0, 0.0], dtype=np.float32)
    other_field = np.array([[0.6, 0.8, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)  # a text far from the corpus; none
    rows = interest_rows(other_field, mean, centered=False)
    assert rows[0] == pytest.approx([0.0, 1.0, 0.0])  # the shared direction is gone, the topic kept
    assert not rows[1].any()
    paper_of_a_third_field = center_present(np.array([[0.6, 0.0, 0.8]]), mean)[0]
    assert rows[0] @ paper_of_a_third_field == pytest.approx(0.0)  # unrelated stays unrelated...
    assert center_present(other_field[:1], mean)[0] @ paper_of_a_third_field > 0.8  # ...where centring made it close
