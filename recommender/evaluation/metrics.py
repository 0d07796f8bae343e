"""Ranking metrics of the offline evaluation: recall@k and nDCG@k.

recall@K = hits in top K / relevant; nDCG@K with binary gains and ideal DCG
over ``min(K, relevant)`` positions (Järvelin & Kekäläinen 2002,
"Cumulated gain-based evaluation of IR techniques", ACM TOIS).
:func:`paired_difference` tells a difference between two methods on the same
users from resampling noise (bootstrap percentile interval, Efron & Tibshirani
1993, "An Introduction to the Bootstrap", through ``scipy.stats.bootstrap``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy import stats

__all__ = ["recall_at_k", "ndcg_at_k", "evaluate_rankings", "per_user_metrics", "paired_difference", "METRIC_KS"]

METRIC_KS = (10, 50)


def recall_at_k(ranked: np.ndarray, relevant: set, k: int) -> float:
    """Share of ``relevant`` found in the first ``k`` of ``ranked`` (shape (n,)); 0.0 when ``relevant`` is empty."""
    if not relevant:
        return 0.0
    return sum(1 for i in ranked[:k] if i in relevant) / len(relevant)


def ndcg_at_k(ranked: np.ndarray, relevant: set, k: int) -> float:
    """nDCG@k with binary gains (Järvelin & Kekäläinen 2002).

    ``DCG = sum_{r < k, ranked[r] relevant} 1 / log2(r + 2)``, divided by
    the DCG of ``min(k, len(relevant))`` hits at the top.  0.0 when
    ``relevant`` is empty.
    """
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant))))
    return float(dcg / ideal)


def per_user_metrics(ranked: np.ndarray, relevant: sp.csr_matrix) -> dict[str, np.ndarray]:
    """recall@10, recall@50 and nDCG@10 of each user.

    Parameters
    ----------
    ranked : ndarray of int, shape (n_users, >= 50)
        Candidate column indices, best first.
    relevant : csr_matrix, shape (n_users, n_candidates)
        Binary relevance of each candidate for each evaluated user.

    Returns
    -------
    dict
        ``{"ndcg@10", "recall@10", "recall@50"}``, each an ndarray of shape (n_users,) in [0, 1].
    """
    rec10, rec50, ndcg = [], [], []
    for u in range(ranked.shape[0]):
        rel = set(relevant.indices[relevant.indptr[u] : relevant.indptr[u + 1]].tolist())
        rec10.append(recall_at_k(ranked[u], rel, 10))
        rec50.append(recall_at_k(ranked[u], rel, 50))
        ndcg.append(ndcg_at_k(ranked[u], rel, 10))
    return {"ndcg@10": np.array(ndcg), "recall@10": np.array(rec10), "recall@50": np.array(rec50)}


def evaluate_rankings(ranked: np.ndarray, relevant: sp.csr_matrix) -> dict[str, float]:
    """Mean recall@10, recall@50 and nDCG@10 (:func:`per_user_metrics` averaged over users).

    Returns
    -------
    dict
        ``{"ndcg@10", "recall@10", "recall@50"}``, each a float in [0, 1].
    """
    return {name: float(values.mean()) for name, values in per_user_metrics(ranked, relevant).items()}


def paired_difference(a: np.ndarray, b: np.ndarray, *, seed: int = 0, confidence: float = 0.95) -> dict:
    """Mean of ``a - b`` over the same users, with a bootstrap percentile interval of that mean.

    Parameters
    ----------
    a, b : ndarray, shape (n_users,)
        One metric of two methods, user by user.
    seed : int
        Seed of the resampling (the interval is reproducible).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    dict
        ``{"mean": float, "ci": [low, high]}``; ``ci`` is None for fewer than two users.

    Raises
    ------
    ValueError
        If ``a`` and ``b`` differ in shape.
    """
    if a.shape != b.shape:
        raise ValueError(f"paired values need one shape, not {a.shape} and {b.shape}")
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.size < 2:
        return {"mean": float(diff.mean()) if diff.size else 0.0, "ci": None}
    if not diff.any():  # the same ranking for everyone: nothing to resample
        return {"mean": 0.0, "ci": [0.0, 0.0]}
    res = stats.bootstrap((diff,), np.mean, confidence_level=confidence, n_resamples=9999, batch=500,
                          method="percentile", random_state=np.random.default_rng(seed))
    return {"mean": float(diff.mean()), "ci": [float(res.confidence_interval.low), float(res.confidence_interval.high)]}
