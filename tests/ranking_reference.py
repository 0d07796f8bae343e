"""Plain, per-row reference versions of the batched ranking code, for the tests to compare against.

Not used by paperbot: the production paths are the batched ones in
``recommender.ranking``.  Each function here is the textbook form, one target
or one row at a time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.ranking import Ranker, Target


def top_k_reference(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first, ties by lower index (argpartition, then sort)."""
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: k - above.size]  # lowest indices win ties
        part = np.concatenate([above, ties])
    else:
        part = np.arange(n)
    order = np.lexsort((part, -scores[part]))
    best = part[order]
    return best[np.isfinite(scores[best])]


def mmr_select(relevance: np.ndarray, similarity: np.ndarray, k: int, mmr_lambda: float) -> np.ndarray:
    """Greedy MMR for one target (Carbonell & Goldstein 1998); positions into ``relevance`` in pick order."""
    n = relevance.shape[0]
    k = min(k, n)
    if mmr_lambda <= 0 or n <= 1:
        return np.lexsort((np.arange(n), -relevance))[:k]
    lo, hi = float(relevance.min()), float(relevance.max())
    rel = (relevance - lo) / (hi - lo) if hi > lo else np.ones(n)
    chosen: list[int] = []
    max_sim = np.zeros(n)
    available = np.ones(n, dtype=bool)
    for _ in range(k):
        obj = (1.0 - mmr_lambda) * rel - mmr_lambda * max_sim
        obj[~available] = -np.inf
        j = int(np.argmax(obj))
        chosen.append(j)
        available[j] = False
        max_sim = np.maximum(max_sim, similarity[j])
    return np.asarray(chosen, dtype=np.int64)


def explain_one(ranker: Ranker, candidate: sp.csr_matrix, target: Target) -> tuple[list[str], object | None]:
    """Terms and most similar liked paper for one candidate row, shape (1, n_features), through the batched code."""
    candidate = sp.csr_matrix(candidate, dtype=np.float32)
    batch = ranker.batch([target], candidate.shape[1], None)
    zero = np.zeros(1, dtype=np.int64)
    terms, similar = ranker.explain_pairs(candidate, batch, ranker.profiles(batch), zero, zero)
    return terms[0], similar[0]
