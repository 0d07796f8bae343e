"""Profile arithmetic: Rocchio profiles with recency decay, for a whole batch of targets at once.

A profile is one vector in the TF-IDF space built from declared interests,
liked papers and disliked papers (Rocchio 1971, "Relevance feedback in
information retrieval", in *The SMART Retrieval System*)::

    profile = a * interests + b * sum_i w_i liked_i / sum_i w_i
              - c * orth(sum_j v_j disliked_j / sum_j v_j)

with recency weights ``w = 0.5 ** (age_days / half_life_days)``.  ``orth``
keeps only the part of the disliked centroid orthogonal to the liked+interests
direction, so a 👎 never cancels what the person said they like (it only
pushes away from the *other* topics of the disliked papers).  Profiles are
never stored: they are derived from the feedback at every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .sparse import row_normalize

if TYPE_CHECKING:
    from .targets import TargetBatch

__all__ = ["decay_weights", "weighted_centroids", "rocchio_profiles"]


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


def weighted_centroids(weights: sp.csr_matrix, rows: sp.csr_matrix) -> sp.csr_matrix:
    """Weighted mean of ``rows`` for every row of ``weights``.

    Parameters
    ----------
    weights : csr_matrix, shape (n_targets, n_rows)
        Non-negative weights (e.g. recency decay); each row is scaled to sum 1.
    rows : sparse matrix, shape (n_rows, n_features)

    Returns
    -------
    csr_matrix, shape (n_targets, n_features), float32
        All-zero rows where a target has no weight.
    """
    return sp.csr_matrix(row_normalize(weights) @ sp.csr_matrix(rows, dtype=np.float32))


def rocchio_profiles(
    batch: TargetBatch,
    *,
    interest_weight: float = 1.0,
    like_weight: float = 1.0,
    dislike_weight: float = 0.25,
) -> sp.csr_matrix:
    """The Rocchio profile of every target of ``batch``.

    Parameters
    ----------
    batch : TargetBatch
        Interests, liked and disliked rows with their recency weights.
    interest_weight, like_weight, dislike_weight : float
        Rocchio's alpha, beta, gamma.

    Returns
    -------
    csr_matrix, shape (n_targets, n_features), float32
        Rows of unit L2 norm; all-zero rows for targets with nothing to go on
        (no interests, no likes: dislikes alone make no profile).
    """
    n_t, n_features = batch.n_targets, batch.liked.shape[1]
    if batch.liked.shape[0]:
        liked_c = weighted_centroids(batch.like_weights, batch.liked)
    else:
        liked_c = sp.csr_matrix((n_t, n_features), dtype=np.float32)
    interests = batch.interests if batch.interests is not None else sp.csr_matrix((n_t, n_features), dtype=np.float32)
    pos = sp.csr_matrix(interest_weight * interests + like_weight * liked_c, dtype=np.float64)
    if batch.disliked is not None and batch.disliked.shape[0] and dislike_weight > 0:
        dis_c = weighted_centroids(batch.dislike_weights, batch.disliked)
        if dis_c.nnz:
            unit = normalize(pos)
            neg = sp.csr_matrix(dis_c, dtype=np.float64)
            proj = np.asarray(neg.multiply(unit).sum(axis=1)).reshape(-1)
            neg = neg - sp.diags(proj) @ unit
            has_pos = np.asarray(pos.multiply(pos).sum(axis=1)).reshape(-1) > 0
            neg = sp.diags(has_pos.astype(np.float64)) @ neg  # dislikes alone make no profile
            pos = pos - dislike_weight * neg
    pos = sp.csr_matrix(pos)
    pos.eliminate_zeros()
    return sp.csr_matrix(normalize(pos), dtype=np.float32)
