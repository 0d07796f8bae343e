"""Why a paper was picked: the terms that weighed most, and the liked paper it is closest to.

Computed for the picks only, for all (target, candidate) pairs in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .scoring import Scoring
from .targets import TargetBatch

__all__ = ["MIN_SIMILAR_COSINE", "ScoredRow", "nearest_interest", "nearest_liked", "top_terms"]

#: The least TF-IDF cosine at which a liked paper is named as the one a pick is "similar to". Measured on the
#: bundled samples: a paper's on-topic neighbours are at 0.12 to 0.22 (post-training quantization papers to
#: PD-Quant, GNN papers to "Evaluating Deep Graph Neural Networks"), while any two of its machine-learning
#: papers are at 0.04 (median) and 0.07 (90th percentile) sharing words such as "learning" or "deep".
MIN_SIMILAR_COSINE = 0.12


@dataclass
class ScoredRow:
    """One candidate row picked for one target.

    Attributes
    ----------
    index : int
        Row of the candidate matrix.
    score : float
        Relevance score (before MMR); higher is better.
    terms : list of str
        Features that contributed most to the profile match, best first.
    similar_to : object or None
        The ``liked_keys`` entry (or liked row index when no keys were given)
        of the liked paper most similar to this row; None without likes.
    interest : int or None
        Which of the target's declared interests (:func:`~recommender.ranking.targets.interest_parts`, in
        order) this row is nearest in meaning; None for a target of fewer than two, or without embeddings.
    """

    index: int
    score: float
    terms: list[str]
    similar_to: object | None
    interest: int | None = None


def top_terms(names: np.ndarray, author: np.ndarray, profiles: sp.csr_matrix, candidates: sp.csr_matrix,
              t_of: np.ndarray, c_of: np.ndarray, n_terms: int) -> list[list[str]]:
    """Features with the largest profile*candidate contribution, per (target, candidate) pair.

    Author features are shown only when one contributes at least as much
    as the best word of that pair (i.e. the author drove the match).

    Parameters
    ----------
    names : ndarray of str, shape (n_features,)
        Feature names (``PaperVectorizer.feature_names()``).
    author : ndarray of bool, shape (n_features,)
        True for author features (``PaperVectorizer.is_author_feature()``).
    profiles : csr_matrix, shape (n_targets, n_features)
    candidates : csr_matrix, shape (n_candidates, n_features)
    t_of, c_of : ndarray of int, shape (n_pairs,)
        Target row and candidate row of each pair.
    n_terms : int
        Terms per pair, best first (ties: lower feature index).

    Returns
    -------
    list (length n_pairs) of list of str
    """
    contrib = sp.csr_matrix(profiles[t_of].multiply(candidates[c_of]))
    contrib.sum_duplicates()
    n_pairs = t_of.size
    row = np.repeat(np.arange(n_pairs), np.diff(contrib.indptr))
    idx, val = contrib.indices, contrib.data
    keep = val > 0
    row, idx, val = row[keep], idx[keep], val[keep]
    is_auth = author[idx]
    best_word = np.zeros(n_pairs, dtype=val.dtype)
    np.maximum.at(best_word, row[~is_auth], val[~is_auth])
    ok = ~is_auth | (val >= best_word[row])
    row, idx, val = row[ok], idx[ok], val[ok]
    order = np.lexsort((idx, -val, row))
    row, idx = row[order], idx[order]
    starts = np.searchsorted(row, np.arange(n_pairs))
    rank = np.arange(row.size) - starts[row]
    take = rank < n_terms
    out: list[list[str]] = [[] for _ in range(n_pairs)]
    for r, i in zip(row[take].tolist(), idx[take].tolist(), strict=True):
        out[r].append(str(names[i]))
    return out


def nearest_liked(candidates: sp.csr_matrix, batch: TargetBatch, t_of: np.ndarray, c_of: np.ndarray,
                  chunk: int = 200_000, min_cosine: float = MIN_SIMILAR_COSINE) -> list[object | None]:
    """Most similar liked paper per (target, candidate) pair.

    Parameters
    ----------
    candidates : csr_matrix, shape (n_candidates, n_features)
    batch : TargetBatch
    t_of, c_of : ndarray of int, shape (n_pairs,)
    chunk : int
        Pairs x likes multiplied at a time (bounds memory).
    min_cosine : float
        A like less similar than this to the candidate is not named (:data:`MIN_SIMILAR_COSINE`).

    Returns
    -------
    list, length n_pairs
        The liked row's key (``batch.liked_keys``), else its position in the
        target's likes; None when no like of the target has a cosine of at
        least ``min_cosine`` to the candidate (ties: the earlier like).
    """
    n_pairs = t_of.size
    w = batch.like_weights
    counts = np.diff(w.indptr)[t_of]
    total = int(counts.sum())
    out: list[object | None] = [None] * n_pairs
    if total == 0:
        return out
    pair = np.repeat(np.arange(n_pairs), counts)
    first = np.cumsum(counts) - counts
    local = np.arange(total) - np.repeat(first, counts)
    liked_row = w.indices[np.repeat(w.indptr[t_of], counts) + local]
    sims = np.empty(total, dtype=np.float64)
    liked = sp.csr_matrix(batch.liked, dtype=np.float32)
    for lo in range(0, total, chunk):
        hi = min(lo + chunk, total)
        prod = liked[liked_row[lo:hi]].multiply(candidates[c_of[pair[lo:hi]]])
        sims[lo:hi] = np.asarray(prod.sum(axis=1)).reshape(-1)
    has = counts > 0
    starts = first[has]
    seg_max = np.maximum.reduceat(sims, starts)
    pos = np.where(sims == np.repeat(seg_max, counts[has]), np.arange(total), total)
    best = np.minimum.reduceat(pos, starts)
    keys = batch.liked_keys
    for p, b, m in zip(np.flatnonzero(has).tolist(), best.tolist(), seg_max.tolist(), strict=True):
        if m <= 0 or m < min_cosine:  # a zero cosine is never similar, whatever min_cosine
            continue
        key = keys[liked_row[b]] if keys is not None else None
        out[p] = key if key is not None else int(local[b])
    return out


def nearest_interest(batch: TargetBatch, scoring: Scoring, t_of: np.ndarray, c_of: np.ndarray, *,
                     centered: bool = False) -> list[int | None]:
    """The declared interest each (target, candidate) pair is nearest in meaning, shape (n_pairs,).

    A reader of two fields whose pick shares no word with them is told which field it is close to. The
    interests are read as the ranking reads them (:func:`~recommender.ranking.semantic.interest_rows` on the
    mean the candidates were centred on), against the centred candidates of ``scoring.semantic``.

    Parameters
    ----------
    batch : TargetBatch
        With ``interest_part_embeddings`` and ``interest_owner`` (targets in order).
    scoring : Scoring
        Of the ranking: ``semantic`` (the candidates transposed, shape (dim, n_candidates)) and ``mean``.
    t_of, c_of : ndarray of int, shape (n_pairs,)
    centered : bool
        ``Ranker.center_interests``.

    Returns
    -------
    list, length n_pairs
        The interest's position among its target's (ties: the first); None where the target has fewer
        than two interests, the candidate has no embedding, or there are no embeddings.
    """
    from .semantic import interest_rows  # semantic imports targets, as explain does; kept beside its one use

    out: list[int | None] = [None] * t_of.size
    parts, owner = batch.interest_part_embeddings, batch.interest_owner
    if parts is None or owner is None or scoring.semantic is None or scoring.mean is None or not owner.size:
        return out
    rows, candidates_t = interest_rows(parts, scoring.mean, centered=centered), scoring.semantic[1]
    counts = np.bincount(owner, minlength=batch.n_targets)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for n, (t, c) in enumerate(zip(t_of.tolist(), c_of.tolist(), strict=True)):
        if counts[t] >= 2 and np.any(candidates_t[:, c] != 0):
            out[n] = int(np.argmax(rows[starts[t]:starts[t] + counts[t]] @ candidates_t[:, c]))
    return out
