"""The score of every candidate for a block of targets: the terms of the ranking formula, summed.

Score of candidate ``c`` for target ``t`` (all vectors unit-norm)::

    s = (1 - semantic_weight) * cos(profile_t, c)            # Rocchio (1971), TF-IDF
        + semantic_weight * cos(semantic_profile_t, e_c)     # recommender.ranking.semantic
        + neighbourhood_weight * z(share_t(c))               # recommender.ranking.neighbourhood
        + community_weight * z(collab_t(c))                  # recommender.ranking.community
        + prior_weight * prior(c)

``share_t(c)`` is the part of the vote of ``c``'s nearest corpus papers cast
by papers ``t`` liked: people with several interests are matched paper by
paper, not only through one blurred centroid.  ``z`` scales each target's
share and community scores so that their maximum is 1.  Targets with
nothing known are ranked by the prior alone (or by a cold-start prior of their
own); excluded candidates score ``-inf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["Scoring", "block_scores", "prior_array"]


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
        Each target's 👍 on the community's papers, shape (n_targets, n_kept), and
        :func:`~recommender.ranking.community.propagation`, shape (n_kept, n_candidates).
    share : (likes, neighbours_t), optional
        Each target's 👍 on corpus papers, shape (n_targets, n_items), and the
        transposed :func:`~recommender.ranking.neighbourhood.neighbourhood`,
        shape (n_items, n_candidates).
    semantic : (profiles, candidates_t), optional
        Unit semantic profiles, shape (n_targets, dim) (zero rows: none), and
        the centred candidate embeddings transposed, shape (dim, n_candidates).
    community_scale : ndarray, shape (n_targets,), optional
        Per-target factor of the community weight (its evidence shrinkage).
    expanded : csr_matrix, shape (n_targets, n_features), optional
        The profiles that score, when declared interests were expanded
        (:func:`~recommender.ranking.profiles.expand_interests`); ``profiles``
        stay the target's own words for explanations.
    cold : ndarray, shape (n_candidates,), float32, optional
        The score of every candidate for targets with nothing known (default: ``priors``).
    mean : ndarray, shape (dim,), optional
        The mean the candidates' embeddings were centred on (with ``semantic``).
    """

    profiles: sp.csr_matrix
    cand_t: sp.csr_matrix
    priors: np.ndarray
    empty: np.ndarray
    exclude: sp.csr_matrix | None
    community: tuple[sp.csr_matrix, sp.csr_matrix] | None = None
    semantic: tuple[np.ndarray, np.ndarray] | None = None
    community_scale: np.ndarray | None = None
    expanded: sp.csr_matrix | None = None
    share: tuple[sp.csr_matrix, sp.csr_matrix] | None = None
    cold: np.ndarray | None = None
    mean: np.ndarray | None = None

    def cold_start_first(self, idx: np.ndarray) -> np.ndarray | None:
        """Which of each target's candidates ``idx`` (rows, shape (n_targets, pool); -1 pads) MMR picks first.

        Those of a target with nothing known whose ``cold`` prior is above 0 (dated papers before
        undated ones), as MMR's ``first`` (:func:`~recommender.ranking.mmr.mmr_rows`); None without ``cold``.
        """
        return None if self.cold is None else self.empty[:, None] & (self.cold[np.maximum(idx, 0)] > 0)


def prior_array(values: np.ndarray | None, n_candidates: int, what: str = "priors") -> np.ndarray:
    """``values`` as float32, shape (n_candidates,); zeros when None.

    Raises
    ------
    ValueError
        When ``values`` does not hold one value per candidate.
    """
    if values is None:
        return np.zeros(n_candidates, dtype=np.float32)
    out = np.asarray(values, dtype=np.float32).reshape(-1)
    if out.shape[0] != n_candidates:
        raise ValueError(f"{out.shape[0]} {what} for {n_candidates} candidates")
    return out


def _max_scaled(part: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
    """Each row of ``part`` (shape (n, n_c)) scaled so that its maximum is ``weight`` (per row or one value)."""
    top = part.max(axis=1, initial=0.0)
    top[top <= 0] = 1.0
    part *= (np.asarray(weight, dtype=np.float32) / top.astype(np.float32)).reshape(-1, 1)
    return part


def block_scores(sc: Scoring, lo: int, hi: int, *, semantic_weight: float,
                 community_weight: float, prior_weight: float,
                 neighbourhood_weight: float = 0.0) -> np.ndarray:
    """Final scores of targets ``lo..hi`` (community, priors, exclusion as ``-inf``).

    Returns
    -------
    ndarray, shape (hi - lo, n_candidates), float32
    """
    scores = ((sc.profiles if sc.expanded is None else sc.expanded)[lo:hi] @ sc.cand_t).toarray()
    if sc.semantic is not None and semantic_weight > 0:
        profiles, cand_t = sc.semantic
        prof = profiles[lo:hi]
        mix = np.where(np.any(prof != 0, axis=1), semantic_weight, 0.0).astype(np.float32)[:, None]
        scores = (1 - mix) * scores + mix * (prof @ cand_t)
    if sc.share is not None and neighbourhood_weight > 0:
        likes, nb_t = sc.share
        scores += _max_scaled((likes[lo:hi] @ nb_t).toarray(), neighbourhood_weight)
    if sc.community is not None:
        likes, prop_t = sc.community
        weight = np.full(hi - lo, community_weight, dtype=np.float32)
        if sc.community_scale is not None:
            weight *= sc.community_scale[lo:hi].astype(np.float32)
        scores += _max_scaled((likes[lo:hi] @ prop_t).toarray(), weight)
    if sc.priors.any():
        scores += np.float32(prior_weight) * sc.priors[None, :]
    empty = sc.empty[lo:hi]
    if empty.any():
        # nothing known: rank by the (cold-start) prior alone (candidate order breaks ties)
        scores[empty] = (sc.priors if sc.cold is None else sc.cold)[None, :]
    if sc.exclude is not None:
        ex = sc.exclude[lo:hi]
        scores[np.repeat(np.arange(hi - lo), np.diff(ex.indptr)), ex.indices] = -np.inf
    return scores
