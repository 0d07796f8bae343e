"""Free-text search over a matrix of papers: TF-IDF cosine plus meaning, optionally re-ranked for one person.

With sentence embeddings, relevance is ``(1 - w) * cos_tfidf(query, paper) +
w * cos_embedding(query, paper)`` (``w`` = the ranker's ``semantic_weight``,
embeddings centred on the papers' mean as in :mod:`recommender.ranking.semantic`),
and the papers closest in meaning join those sharing a term with the query.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .ranking import Ranker, Target, top_k_indices
from .ranking.semantic import SemanticInputs
from .text.embeddings import center

__all__ = ["search"]


def search(ranker: Ranker, query: str, papers: sp.csr_matrix, k: int = 10, *,
           target: Target | None = None, personal_weight: float = 0.3,
           embeddings: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Papers ranked by relevance to ``query``, optionally personalised.

    Parameters
    ----------
    ranker : Ranker
        Its vectorizer (and embedder) read the query; its profile scores personalise.
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
    embeddings : ndarray, shape (n_papers, dim), optional
        Sentence embeddings of ``papers``; used when the ranker has an embedder.

    Returns
    -------
    list of (row index, score)
        Best first: papers sharing at least one term with the query and,
        with embeddings, the ``max(100, 10 k)`` closest in meaning.  Empty for
        an empty or out-of-vocabulary query.
    """
    papers = sp.csr_matrix(papers, dtype=np.float32)
    q = ranker.vectorizer.transform_text([query])
    if q.nnz == 0 or papers.shape[0] == 0:
        return []
    n_pool = max(100, 10 * k)
    lexical = np.asarray((papers @ q.T).toarray(), dtype=np.float64).reshape(-1)
    rel = np.where(lexical > 0, lexical, -np.inf)
    semantic = None
    if embeddings is not None and ranker.embedder is not None and ranker.semantic_weight > 0:
        semantic = SemanticInputs(embeddings)
        cand, mean = semantic.centered_candidates()
        meaning = (cand @ center(ranker.embedder.encode([query]), mean)[0]).astype(np.float64)
        w = ranker.semantic_weight
        close = np.zeros(papers.shape[0], dtype=bool)
        close[top_k_indices(meaning, n_pool)] = True
        rel = np.where((lexical > 0) | close, (1 - w) * lexical + w * meaning, -np.inf)
    if target is None:
        best = top_k_indices(rel, k)
        return [(int(i), float(rel[i])) for i in best]
    pool = top_k_indices(rel, n_pool)
    if pool.size == 0:
        return []
    pool_semantic = None if semantic is None or embeddings is None else SemanticInputs(embeddings[pool], mean=mean)
    personal, profiles = ranker.score(papers[pool], [target], semantic=pool_semantic)
    if np.diff(profiles.indptr)[0] == 0:
        mixed = rel[pool]
    else:
        mixed = (1 - personal_weight) * rel[pool] + personal_weight * personal[0]
    order = top_k_indices(mixed.astype(np.float64), k)
    return [(int(pool[i]), float(mixed[i])) for i in order]
