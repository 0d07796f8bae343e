"""Free-text search over a matrix of papers: TF-IDF cosine, optionally re-ranked for one person."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .ranking import Ranker, Target, top_k_indices

__all__ = ["search"]


def search(ranker: Ranker, query: str, papers: sp.csr_matrix, k: int = 10, *,
           target: Target | None = None, personal_weight: float = 0.3) -> list[tuple[int, float]]:
    """Papers ranked by TF-IDF cosine to ``query``, optionally personalised.

    Parameters
    ----------
    ranker : Ranker
        Its vectorizer embeds the query; its profile scores personalise.
    query : str
    papers : csr_matrix, shape (n_papers, n_features)
    k : int, default 10
    target : Target, optional
        When given, the best ``max(100, 10 k)`` matches are re-ranked by
        ``(1 - w) * relevance + w * personal score`` with
        ``w = personal_weight``; ``target.exclude`` is ignored (search shows
        everything that matches).  A target with nothing known keeps the
        relevance order.
    personal_weight : float, default 0.3

    Returns
    -------
    list of (row index, score)
        Best first; only papers sharing at least one term with the query.
        Empty for an empty or out-of-vocabulary query.
    """
    papers = sp.csr_matrix(papers, dtype=np.float32)
    q = ranker.vectorizer.transform_text([query])
    if q.nnz == 0 or papers.shape[0] == 0:
        return []
    rel = np.asarray((papers @ q.T).toarray()).reshape(-1)
    rel[rel <= 0] = -np.inf
    if target is None:
        best = top_k_indices(rel, k)
        return [(int(i), float(rel[i])) for i in best]
    pool = top_k_indices(rel, max(100, 10 * k))
    if pool.size == 0:
        return []
    personal, profiles = ranker.score(papers[pool], [target])
    if np.diff(profiles.indptr)[0] == 0:
        mixed = rel[pool]
    else:
        mixed = (1 - personal_weight) * rel[pool] + personal_weight * personal[0]
    order = top_k_indices(mixed.astype(np.float64), k)
    return [(int(pool[i]), float(mixed[i])) for i in order]
