"""Diversification by MMR, for every target's top pool at once.

MMR: Carbonell & Goldstein 1998, "The use of MMR, diversity-based reranking
for reordering documents and producing summaries" (SIGIR).  Here
``mmr_lambda`` is the weight of *diversity* so that 0 turns MMR off::

    pick = argmax (1 - lambda) * rel(c) - lambda * max_{s in picked} cos(c, s)

with the relevance of each target's pool min-max scaled to [0, 1] so it is
comparable with the cosine.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["mmr_rows"]

#: Pool unions up to this many candidates use one dense Gram matrix of those candidates.
_DENSE_GRAM_MAX = 6000


def mmr_rows(candidates: sp.csr_matrix, idx: np.ndarray, val: np.ndarray, k: int,
             mmr_lambda: float, *, first: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy MMR on every row of a top-``pool`` table at once.

    Parameters
    ----------
    candidates : csr_matrix, shape (n_candidates, n_features)
        Unit-norm TF-IDF rows (dot product = cosine).
    idx : ndarray of int64, shape (n_targets, pool)
        Each target's best candidates, best first; ``-1`` pads.
    val : ndarray, shape (n_targets, pool)
        Their relevance scores.
    k : int
        Picks per target.
    mmr_lambda : float in [0, 1]
        Weight of diversity.
    first : ndarray of bool, shape (n_targets, pool), optional
        Candidates picked before every other candidate of their row while
        any is left (MMR orders each group; e.g. dated papers before undated ones).

    Returns
    -------
    indices : ndarray of int64, shape (n_targets, min(k, pool))
        Candidate rows in pick order; ``-1`` pads.
    values : ndarray of float32, same shape
        Their relevance scores (``-inf`` for padding).
    """
    n_t, pool = idx.shape
    kk = min(k, pool)
    n_c = candidates.shape[0]
    used = np.unique(idx[idx >= 0])  # the Gram matrix of the pools' rows only: the other candidates never meet
    pos = np.zeros(n_c, dtype=np.int64)
    pos[used] = np.arange(used.size)
    if used.size <= _DENSE_GRAM_MAX:
        sub = candidates[used]
        gram = (sub @ sub.T).toarray()
    else:
        gram = None
    out_i = np.full((n_t, kk), -1, dtype=np.int64)
    out_v = np.full((n_t, kk), -np.inf, dtype=np.float32)
    step = max(1, 2_000_000 // (pool * pool))
    lam = float(mmr_lambda)
    for lo in range(0, n_t, step):
        hi = min(lo + step, n_t)
        ii, vv = idx[lo:hi], val[lo:hi]
        valid = ii >= 0
        safe = np.where(valid, ii, 0)
        if gram is not None:
            at = pos[safe]
            sims = gram[at[:, :, None], at[:, None, :]]
        else:
            sims = np.zeros((hi - lo, pool, pool), dtype=np.float32)
            for r in range(hi - lo):
                sub = candidates[safe[r]]
                sims[r] = (sub @ sub.T).toarray()
        lo_v = np.where(valid, vv, np.inf).min(axis=1, keepdims=True)
        hi_v = np.where(valid, vv, -np.inf).max(axis=1, keepdims=True)
        span = hi_v - lo_v
        rel = np.where(span > 0, (vv - lo_v) / np.where(span > 0, span, 1), 1.0)
        # the objective spans at most 1 within a group: 2 more puts the ``first`` group ahead
        ahead = 0.0 if first is None else 2.0 * first[lo:hi]
        avail = valid.copy()
        max_sim = np.zeros((hi - lo, pool))
        rows = np.arange(hi - lo)
        for s in range(kk):
            obj = (1.0 - lam) * rel - lam * max_sim + ahead
            obj[~avail] = -np.inf
            j = np.argmax(obj, axis=1)
            ok = avail[rows, j]
            out_i[lo:hi, s] = np.where(ok, ii[rows, j], -1)
            out_v[lo:hi, s] = np.where(ok, vv[rows, j], -np.inf)
            avail[rows[ok], j[ok]] = False
            max_sim = np.maximum(max_sim, sims[rows, j])
    return out_i, out_v
