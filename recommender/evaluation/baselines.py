"""The methods paperbot is compared with: random, Rocchio and arxiv-sanity-lite.

random
    Uniform random scores (seeded).
rocchio
    Centroid of the user's history TF-IDF rows, cosine (Rocchio 1971), on
    paperbot's vectorizer.
arxiv-sanity-lite
    https://github.com/karpathy/arxiv-sanity-lite (``compute.py`` and
    ``serve.py``): its TfidfVectorizer settings, then per user a LinearSVC
    (class_weight='balanced', C=0.01) with the user's history papers as
    positives and all other history papers as negatives, scored with
    ``decision_function`` on the new papers.

Every method returns, per evaluated user, the top ``k`` new papers (column
indices into ``split.new``) best first, ties by candidate order
(:func:`~recommender.ranking.topk.top_k_matrix`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from ..ranking import top_k_matrix
from .data import Split

__all__ = ["random_ranking", "centroid_ranking", "arxiv_sanity_vectorizer", "arxiv_sanity_ranking"]


def random_ranking(n_users: int, n_new: int, k: int, seed: int) -> np.ndarray:
    """Top ``k`` of uniform random scores, shape (n_users, min(k, n_new)); seeded by ``seed + 12345``."""
    rng = np.random.default_rng(seed + 12345)
    return top_k_matrix(rng.random((n_users, n_new)), k)[0]


def centroid_ranking(x_hist: sp.csr_matrix, x_new: sp.csr_matrix, hist_items: sp.csr_matrix, k: int) -> np.ndarray:
    """Rocchio baseline: cosine of each user's history centroid with the new papers.

    Parameters
    ----------
    x_hist : csr_matrix, shape (n_history, n_features)
    x_new : csr_matrix, shape (n_new, n_features)
    hist_items : csr_matrix, shape (n_users, n_history)
    k : int

    Returns
    -------
    ndarray of int64, shape (n_users, min(k, n_new))
    """
    centroids = normalize(sp.csr_matrix(hist_items @ x_hist))
    scores = (centroids @ x_new.T).toarray()
    return top_k_matrix(scores, k)[0]


def arxiv_sanity_vectorizer() -> TfidfVectorizer:
    """arxiv-sanity-lite's TF-IDF settings (``compute.py``)."""
    return TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
        dtype=np.float32,
    )


def arxiv_sanity_ranking(split: Split, users: np.ndarray, x_all: sp.csr_matrix, k: int) -> np.ndarray:
    """One LinearSVC per user (arxiv-sanity-lite's ``serve.py``).

    Parameters
    ----------
    split : Split
    users : ndarray of int, shape (n_users,)
    x_all : csr_matrix, shape (n_papers, n_features)
        :func:`arxiv_sanity_vectorizer` rows of every paper.
    k : int

    Returns
    -------
    ndarray of int64, shape (n_users, min(k, n_new))
    """
    x_hist = x_all[split.history]
    x_new = x_all[split.new]
    out = np.zeros((len(users), min(k, x_new.shape[0])), dtype=np.int64)
    hist = split.history_items
    for row, u in enumerate(users):
        y = np.zeros(x_hist.shape[0], dtype=np.int32)
        y[hist.indices[hist.indptr[u] : hist.indptr[u + 1]]] = 1
        clf = LinearSVC(class_weight="balanced", C=0.01, max_iter=10000, tol=1e-6)
        clf.fit(x_hist, y)
        s = clf.decision_function(x_new)
        out[row] = top_k_matrix(s[None, :], k)[0][0]
    return out
