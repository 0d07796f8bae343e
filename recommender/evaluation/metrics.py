"""Ranking metrics of the offline evaluation: recall@k and nDCG@k.

recall@K = hits in top K / relevant; nDCG@K with binary gains and ideal DCG
over ``min(K, relevant)`` positions (Järvelin & Kekäläinen 2002,
"Cumulated gain-based evaluation of IR techniques", ACM TOIS).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["recall_at_k", "ndcg_at_k", "evaluate_rankings", "METRIC_KS"]

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


def evaluate_rankings(ranked: np.ndarray, relevant: sp.csr_matrix) -> dict[str, float]:
    """Mean recall@10, recall@50 and nDCG@10.

    Parameters
    ----------
    ranked : ndarray of int, shape (n_users, >= 50)
        Candidate column indices, best first.
    relevant : csr_matrix, shape (n_users, n_candidates)
        Binary relevance of each candidate for each evaluated user.

    Returns
    -------
    dict
        ``{"ndcg@10", "recall@10", "recall@50"}``, each a float in [0, 1].
    """
    rec10, rec50, ndcg = [], [], []
    for u in range(ranked.shape[0]):
        rel = set(relevant.indices[relevant.indptr[u] : relevant.indptr[u + 1]].tolist())
        rec10.append(recall_at_k(ranked[u], rel, 10))
        rec50.append(recall_at_k(ranked[u], rel, 50))
        ndcg.append(ndcg_at_k(ranked[u], rel, 10))
    return {
        "ndcg@10": float(np.mean(ndcg)),
        "recall@10": float(np.mean(rec10)),
        "recall@50": float(np.mean(rec50)),
    }
