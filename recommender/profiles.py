"""Profile arithmetic: Rocchio-style profiles with recency decay.

A profile is one vector in the TF-IDF space built from declared interests,
liked papers and disliked papers (Rocchio 1971, "Relevance feedback in
information retrieval", in *The SMART Retrieval System*):

    profile = a * interests + b * sum_i w_i liked_i / sum_i w_i
              - c * orth(sum_j v_j disliked_j / sum_j v_j)

with recency weights ``w = 0.5 ** (age_days / half_life_days)``.  ``orth``
keeps only the part of the disliked centroid orthogonal to the liked+interests
direction, so a 👎 never cancels what the person said they like (it only
pushes away from the *other* topics of the disliked papers).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

__all__ = ["decay_weights", "weighted_centroid", "build_profile", "build_profiles"]


def decay_weights(age_days, half_life_days: float) -> np.ndarray:
    """Exponential recency weights ``0.5 ** (age_days / half_life_days)``.

    Parameters
    ----------
    age_days : array-like, shape (n,)
        Age of each rating in days; negative ages count as 0.
    half_life_days : float
        Days after which a rating weighs half.  ``inf`` or ``<= 0`` disables
        decay (all weights 1).

    Returns
    -------
    numpy.ndarray, shape (n,), float64 in (0, 1]
    """
    age = np.clip(np.asarray(age_days, dtype=np.float64).reshape(-1), 0.0, None)
    if not np.isfinite(half_life_days) or half_life_days <= 0:
        return np.ones_like(age)
    # floor keeps very old ratings from vanishing to exactly 0
    return np.maximum(np.exp2(-age / half_life_days), 1e-12)


def weighted_centroid(rows: sp.spmatrix, weights: np.ndarray) -> sp.csr_matrix:
    """Weighted mean of sparse rows.

    Parameters
    ----------
    rows : sparse matrix, shape (n, n_features)
    weights : ndarray, shape (n,)

    Returns
    -------
    scipy.sparse.csr_matrix, shape (1, n_features), float64
        Empty (all zero) when ``n == 0`` or all weights are 0.
    """
    n_features = rows.shape[1]
    total = float(np.sum(weights)) if rows.shape[0] else 0.0
    if total <= 0:
        return sp.csr_matrix((1, n_features), dtype=np.float64)
    w = sp.csr_matrix(np.asarray(weights, dtype=np.float64).reshape(1, -1) / total)
    return sp.csr_matrix(w @ sp.csr_matrix(rows, dtype=np.float64))


def _sparse_row(x, n_features: int) -> sp.csr_matrix:
    if x is None:
        return sp.csr_matrix((1, n_features), dtype=np.float64)
    row = sp.csr_matrix(x, dtype=np.float64)
    if row.shape != (1, n_features):
        raise ValueError(f"expected shape (1, {n_features}), got {row.shape}")
    return row


def _ages(ages, n: int) -> np.ndarray:
    if ages is None or len(ages) == 0:
        return np.zeros(n)
    ages = np.asarray(ages, dtype=np.float64).reshape(-1)
    if ages.shape[0] != n:
        raise ValueError(f"{ages.shape[0]} ages for {n} rated papers")
    return ages


def build_profile(
    n_features: int,
    *,
    interests=None,
    liked=None,
    liked_age_days=None,
    disliked=None,
    disliked_age_days=None,
    half_life_days: float = 30.0,
    interest_weight: float = 1.0,
    like_weight: float = 1.0,
    dislike_weight: float = 0.25,
) -> sp.csr_matrix:
    """One Rocchio profile, L2-normalised.

    Parameters
    ----------
    n_features : int
    interests : sparse or dense row, shape (1, n_features), optional
        TF-IDF of the declared interests text.
    liked, disliked : sparse matrix, shape (n, n_features), optional
        TF-IDF rows of rated papers.
    liked_age_days, disliked_age_days : ndarray, shape (n,), optional
        Age of each rating in days (0 = today).  Missing ages count as 0.
    half_life_days : float
        See :func:`decay_weights`.
    interest_weight, like_weight, dislike_weight : float
        Rocchio's alpha, beta, gamma.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (1, n_features), float64
        Unit L2 norm, or all zeros when there is nothing to go on (no
        interests, no likes; dislikes alone do not make a profile).

    Raises
    ------
    ValueError
        If shapes disagree (ages vs rows, interests width).
    """
    pos = interest_weight * _sparse_row(interests, n_features)
    if liked is not None and liked.shape[0]:
        w = decay_weights(_ages(liked_age_days, liked.shape[0]), half_life_days)
        pos = pos + like_weight * weighted_centroid(liked, w)
    pos = sp.csr_matrix(pos)
    pos_norm = float(np.sqrt(pos.multiply(pos).sum()))
    if pos_norm == 0:
        return sp.csr_matrix((1, n_features), dtype=np.float64)
    if disliked is not None and disliked.shape[0] and dislike_weight > 0:
        w = decay_weights(_ages(disliked_age_days, disliked.shape[0]), half_life_days)
        neg = weighted_centroid(disliked, w)
        unit = pos / pos_norm
        neg = neg - float(neg.multiply(unit).sum()) * unit  # part orthogonal to what is liked
        pos = sp.csr_matrix(pos - dislike_weight * neg)
    pos.eliminate_zeros()
    return sp.csr_matrix(normalize(pos))


def build_profiles(profiles: list) -> sp.csr_matrix:
    """Stack profile rows into one CSR matrix, shape (n_profiles, n_features), float32."""
    if not profiles:
        raise ValueError("no profiles")
    return sp.vstack(profiles, format="csr").astype(np.float32)


def owner_matrix(owner: np.ndarray, weights: np.ndarray, n_targets: int) -> sp.csr_matrix:
    """Row-normalised weight matrix mapping stacked rows to their target.

    Parameters
    ----------
    owner : ndarray of int, shape (n_rows,)
        Target index of each stacked row.
    weights : ndarray, shape (n_rows,)
        Non-negative weight of each row (e.g. recency decay).
    n_targets : int

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_targets, n_rows)
        Each non-empty row sums to 1, so ``W @ rows`` gives weighted centroids.
    """
    n_rows = len(owner)
    w = sp.csr_matrix(
        (np.asarray(weights, dtype=np.float64), (np.asarray(owner, dtype=np.int64), np.arange(n_rows))),
        shape=(n_targets, n_rows),
    )
    sums = np.asarray(w.sum(axis=1)).reshape(-1)
    sums[sums == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / sums) @ w)


def batch_profiles(
    interests: sp.csr_matrix,
    liked_centroids: sp.csr_matrix,
    disliked_centroids: sp.csr_matrix | None = None,
    *,
    interest_weight: float = 1.0,
    like_weight: float = 1.0,
    dislike_weight: float = 0.25,
) -> sp.csr_matrix:
    """Many Rocchio profiles at once (same formula as :func:`build_profile`).

    Parameters
    ----------
    interests : csr_matrix, shape (n_targets, n_features)
        TF-IDF of each target's interests text (zero rows when none).
    liked_centroids, disliked_centroids : csr_matrix, shape (n_targets, n_features)
        Decay-weighted centroids, e.g. ``owner_matrix(...) @ stacked_rows``.
    interest_weight, like_weight, dislike_weight : float

    Returns
    -------
    csr_matrix, shape (n_targets, n_features), float32
        Rows of unit L2 norm; all-zero rows for targets with nothing to go on.
    """
    pos = sp.csr_matrix(interest_weight * interests + like_weight * liked_centroids, dtype=np.float64)
    if disliked_centroids is not None and dislike_weight > 0 and disliked_centroids.nnz:
        unit = normalize(pos)
        neg = sp.csr_matrix(disliked_centroids, dtype=np.float64)
        proj = np.asarray(neg.multiply(unit).sum(axis=1)).reshape(-1)
        neg = neg - sp.diags(proj) @ unit
        has_pos = np.asarray(pos.multiply(pos).sum(axis=1)).reshape(-1) > 0
        neg = sp.diags(has_pos.astype(np.float64)) @ neg  # dislikes alone make no profile
        pos = pos - dislike_weight * neg
    pos = sp.csr_matrix(pos)
    pos.eliminate_zeros()
    return sp.csr_matrix(normalize(pos), dtype=np.float32)
