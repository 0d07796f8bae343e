"""Top-k selection: the one routine every ranking path uses (picks, search, evaluation)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["top_k_matrix", "top_k_entries", "top_k_indices"]


def top_k_matrix(scores: np.ndarray, k: int, bound_cols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``k`` largest finite scores of every row, best first.

    Vectorised over rows.  Split the first ``k * (n // k)`` columns into
    ``k`` chunks: the smallest of the ``k`` chunk maxima is a lower bound of
    the k-th largest score, so only scores at or above it (a few hundred per
    row rather than ``n``) are sorted, by row, score descending, then index.
    Ties are broken by lower index; ``-inf`` (excluded) entries are never
    returned.

    Parameters
    ----------
    scores : ndarray, shape (n_rows, n)
    k : int
    bound_cols : int, optional
        Limit the chunks to the first columns (e.g. the columns every row
        fills when the block is padded with ``-inf`` at the end).

    Returns
    -------
    indices : ndarray of int64, shape (n_rows, min(k, n))
        Best first; ``-1`` pads rows with fewer than ``k`` finite scores.
    values : ndarray, shape (n_rows, min(k, n))
        The scores of ``indices`` (``-inf`` for padding), dtype of ``scores``.
    """
    n_rows, n = scores.shape
    k = max(min(k, n), 0)
    idx = np.full((n_rows, k), -1, dtype=np.int64)
    out = np.full((n_rows, k), -np.inf, dtype=scores.dtype)
    if k == 0 or n_rows == 0:
        return idx, out
    width = (n if bound_cols is None else min(bound_cols, n)) // k
    if width >= 2:
        bound = scores[:, : k * width].reshape(n_rows, k, width).max(axis=2).min(axis=1)
        row, col = np.nonzero(scores >= bound[:, None])
    else:
        row, col = np.nonzero(np.ones(scores.shape, dtype=bool))
    val = scores[row, col]
    finite = np.isfinite(val)
    row, col, val = row[finite], col[finite], val[finite]
    row, col, val = _sorted_entries(scores, row, col, val)
    rank = np.arange(row.size) - np.searchsorted(row, np.arange(n_rows))[row]
    keep = rank < k
    idx[row[keep], rank[keep]] = col[keep]
    out[row[keep], rank[keep]] = val[keep]
    return idx, out


def _sorted_entries(scores: np.ndarray, row: np.ndarray, col: np.ndarray,
                    val: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries ``(row, col)`` of ``scores`` (``val`` their scores) by row, score descending, then column.

    float32 scores of a block whose row and column numbers fit in 32 bits are sorted as one packed
    ``uint64`` key (row, order-preserving bits of the negated score, column): a plain sort of unique
    keys, about three times faster than ``np.lexsort``.  Other blocks go through ``np.lexsort``.
    """
    n_rows, n = scores.shape
    row_bits, col_bits = int(max(n_rows - 1, 1)).bit_length(), int(max(n - 1, 1)).bit_length()
    if val.dtype != np.float32 or row_bits + col_bits > 32:
        order = np.lexsort((col, -val, row))
        return row[order], col[order], val[order]
    bits = (val + np.float32(0.0)).view(np.uint32)  # + 0.0 turns -0.0 into 0.0: equal scores, equal bits
    ascending = bits ^ np.where(bits >> np.uint32(31), np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    key = ((row.astype(np.uint64) << np.uint64(32 + col_bits))
           | ((~ascending).astype(np.uint64) << np.uint64(col_bits)) | col.astype(np.uint64))
    key.sort()
    row = (key >> np.uint64(32 + col_bits)).astype(np.int64)
    col = (key & np.uint64((1 << col_bits) - 1)).astype(np.int64)
    return row, col, scores[row, col]


def top_k_entries(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` largest *positive* scores of every row, in row-major order (not ranked).

    The set :func:`top_k_matrix` returns, less its scores at or below zero,
    found without sorting a row: the same cheap lower bound of the k-th
    score (the smallest of ``k`` chunk maxima) keeps a few candidates per
    row, and :func:`~recommender.ranking.sparse.top_m_rows` picks the ``k``
    largest among them (ties: lower column).  For callers that need the
    nearest items and not their order (the corpus neighbourhood).

    Parameters
    ----------
    scores : ndarray, shape (n_rows, n)
    k : int

    Returns
    -------
    rows, cols : ndarray of int64, shape (n_kept,)
        Sorted by row, then column; at most ``k`` per row.
    values : ndarray, shape (n_kept,)
        Their scores (all > 0), dtype of ``scores``.
    """
    from .sparse import top_m_rows  # sparse imports this module

    n_rows, n = scores.shape
    k = max(min(k, n), 0)
    if k == 0 or n_rows == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=scores.dtype)
    smallest = np.nextafter(np.zeros(1, dtype=scores.dtype), np.ones(1, dtype=scores.dtype))[0]
    width = n // k
    if width >= 2:
        bound = scores[:, : k * width].reshape(n_rows, k, width).max(axis=2).min(axis=1)
        floor = np.maximum(bound, smallest)[:, None]
    else:
        floor = np.full((n_rows, 1), smallest, dtype=scores.dtype)
    row, col = np.nonzero(scores >= floor)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n_rows))])
    best = top_m_rows(sp.csr_matrix((scores[row, col], col, indptr), shape=scores.shape), k)
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(best.indptr))
    return rows, best.indices.astype(np.int64), best.data


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """:func:`top_k_matrix` of one row, shape (n,): ndarray of int64, shape (<= k,), padding dropped."""
    best = top_k_matrix(np.asarray(scores).reshape(1, -1), k)[0][0]
    return best[best >= 0]
