"""The score of every candidate for a block of targets: the terms of the ranking formula, summed.

Score of candidate ``c`` for target ``t`` (all vectors unit-norm)::

    text = (1 - knn_weight) * cos(profile_t, c)              # Rocchio (1971), TF-IDF
           + knn_weight * powermean_p(max(0, cos(liked_i, c)))  # item kNN / soft-max
    s = (1 - semantic_weight) * text
        + semantic_weight * cos(semantic_profile_t, e_c)     # recommender.ranking.semantic
        + community_weight * z(collab_t(c))                  # recommender.ranking.community
        + prior_weight * prior(c)

The power mean over the liked papers (weights = recency decay) sits between
the centroid (p = 1) and max-similarity (p -> inf): people with several
interests are not averaged into one blurry centroid.  ``z`` scales each
target's community scores so that their maximum is 1.  Targets with nothing
known are ranked by the prior alone; excluded candidates score ``-inf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Scoring", "block_scores"]


@dataclass
class Scoring:
    """What every block of targets needs to be scored against the same candidates.

    Attributes
    ----------
    profiles : csr_matrix, shape (n_targets, n_features)
    cand_t : csr_matrix, shape (n_features, n_candidates)
        The candidates, transposed.
    priors : ndarray, shape (n_candidates,), float32
    empty : ndarray of bool, shape (n_targets,)
        True where a target has no profile at all.
    exclude : csr_matrix of bool, shape (n_targets, n_candidates), optional
    community : (likes, propagation), optional
        Each target's 👍 on community items, shape (n_targets, n_items), and
        :func:`~recommender.ranking.community.propagation`, shape (n_items, n_candidates).
    knn : (like_weights, liked), optional
        Row-normalised 👍 weights, shape (n_targets, n_rows), and the liked
        rows, shape (n_rows, n_features).
    semantic : (profiles, candidates_t), optional
        Unit semantic profiles, shape (n_targets, dim) (zero rows: none), and
        the centred candidate embeddings transposed, shape (dim, n_candidates).
    community_scale : ndarray, shape (n_targets,), optional
        Per-target factor of the community weight (its evidence shrinkage).
    """

    profiles: sp.csr_matrix
    cand_t: sp.csr_matrix
    priors: np.ndarray
    empty: np.ndarray
    exclude: sp.csr_matrix | None
    community: tuple[sp.csr_matrix, sp.csr_matrix] | None = None
    knn: tuple[sp.csr_matrix, sp.csr_matrix] | None = None
    semantic: tuple[np.ndarray, np.ndarray] | None = None
    community_scale: np.ndarray | None = None


def _knn_block(w_like: sp.csr_matrix, liked: sp.csr_matrix, cand_t: sp.csr_matrix, power: float,
               block_cells: int) -> np.ndarray:
    """Power mean over each target's liked papers of max(0, cos), shape (n_block, n_c)."""
    used = np.unique(w_like.indices)
    n_c = cand_t.shape[1]
    if used.size == 0:
        return np.zeros((w_like.shape[0], n_c), dtype=np.float32)
    p = float(power)
    rows, w_used = liked[used], sp.csr_matrix(w_like[:, used])
    agg = np.empty((w_like.shape[0], n_c), dtype=np.float32)
    step = max(1, block_cells // used.size)  # bounds the (n_used, step) similarity block
    for lo in range(0, n_c, step):
        sims = (rows @ cand_t[:, lo : lo + step]).toarray()
        np.maximum(sims, 0, out=sims)
        if p != 1:
            np.power(sims, p, out=sims)
        agg[:, lo : lo + step] = w_used @ sims
    return agg if p == 1 else np.power(agg, 1.0 / p)


def block_scores(sc: Scoring, lo: int, hi: int, *, knn_weight: float, knn_power: float, semantic_weight: float,
                 community_weight: float, prior_weight: float, block_cells: int) -> np.ndarray:
    """Final scores of targets ``lo..hi`` (community, priors, exclusion as ``-inf``).

    Returns
    -------
    ndarray, shape (hi - lo, n_candidates), float32
    """
    scores = (sc.profiles[lo:hi] @ sc.cand_t).toarray()
    if sc.knn is not None:
        w, liked = sc.knn
        w_blk = w[lo:hi]
        has_likes = np.diff(w_blk.indptr) > 0
        mix = np.where(has_likes, knn_weight, 0.0).astype(np.float32)[:, None]
        scores = (1 - mix) * scores + mix * _knn_block(w_blk, liked, sc.cand_t, knn_power, block_cells)
    if sc.semantic is not None and semantic_weight > 0:
        profiles, cand_t = sc.semantic
        prof = profiles[lo:hi]
        mix = np.where(np.any(prof != 0, axis=1), semantic_weight, 0.0).astype(np.float32)[:, None]
        scores = (1 - mix) * scores + mix * (prof @ cand_t)
    if sc.community is not None:
        likes, prop_t = sc.community
        com = (likes[lo:hi] @ prop_t).toarray()
        top = com.max(axis=1, initial=0.0)
        top[top <= 0] = 1.0
        weight = np.full(hi - lo, community_weight, dtype=np.float32)
        if sc.community_scale is not None:
            weight *= sc.community_scale[lo:hi].astype(np.float32)
        com *= (weight / top.astype(np.float32))[:, None]
        scores += com
    if sc.priors.any():
        scores += np.float32(prior_weight) * sc.priors[None, :]
    empty = sc.empty[lo:hi]
    if empty.any():
        # nothing known: rank by the prior alone (candidate order breaks ties)
        scores[empty] = sc.priors[None, :]
    if sc.exclude is not None:
        ex = sc.exclude[lo:hi]
        scores[np.repeat(np.arange(hi - lo), np.diff(ex.indptr)), ex.indices] = -np.inf
    return scores
