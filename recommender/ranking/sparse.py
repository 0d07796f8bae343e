"""Sparse-row helpers of the ranking core: row scaling and the top ``m`` entries of each row.

All inputs and outputs are ``scipy.sparse`` CSR matrices; entry order inside
a row is kept wherever it matters for tie-breaking (lower column first).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .topk import top_k_matrix

__all__ = ["scale_rows", "row_normalize", "top_m_rows", "top_m_product"]


def scale_rows(mat: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
    """``diag(scale) @ mat`` keeping the entry order of every row.

    Parameters
    ----------
    mat : csr_matrix, shape (n_rows, n_cols)
    scale : ndarray, shape (n_rows,)
    """
    out = mat.copy()
    out.data = out.data * np.repeat(np.asarray(scale, dtype=out.data.dtype), np.diff(out.indptr))
    return out


def row_normalize(mat: sp.csr_matrix) -> sp.csr_matrix:
    """Rows of ``mat`` (shape (n_rows, n_cols)) scaled to sum 1; empty rows stay empty, entry order kept."""
    sums = np.asarray(mat.sum(axis=1), dtype=np.float64).reshape(-1)
    sums[sums == 0] = 1.0
    return scale_rows(mat, 1.0 / sums)


def top_m_rows(mat: sp.csr_matrix, m: int) -> sp.csr_matrix:
    """Keep the ``m`` largest positive entries of each CSR row (ties: lower column).

    Vectorised: rows with at most ``m`` entries are kept whole; the longer
    rows are padded (with ``-inf``) into dense blocks of similar length
    (powers of two, so at most twice their entries).  Blocks of very long rows go
    through :func:`~recommender.ranking.topk.top_k_matrix`; in the others the
    m-th largest value of each row is found by ``np.partition`` and entries
    equal to it are kept in column order until the row has ``m``.

    Parameters
    ----------
    mat : sparse matrix, shape (n_rows, n_cols)
    m : int

    Returns
    -------
    csr_matrix, shape (n_rows, n_cols)
    """
    mat = sp.csr_matrix(mat)
    mat.sum_duplicates()  # canonical: sorted columns, so lower slot = lower column
    data, indices, indptr = mat.data, mat.indices, mat.indptr
    counts = np.diff(indptr)
    keep = data > 0
    long_rows = np.flatnonzero(counts > m)
    if long_rows.size:
        width = 1 << np.ceil(np.log2(counts[long_rows])).astype(np.int64)
        for w in np.unique(width).tolist():
            rows = long_rows[width == w]
            n = counts[rows]
            row_of = np.repeat(np.arange(rows.size, dtype=np.int64), n)
            offset = np.arange(row_of.size, dtype=np.int64) - (np.cumsum(n) - n)[row_of]
            src = indptr[rows][row_of] + offset
            block = np.full((rows.size, w), -np.inf, dtype=data.dtype)
            flat = row_of * w + offset
            block.reshape(-1)[flat] = data[src]
            if int(n.min()) >= 64 * m:  # very long rows: sort only the scores above a cheap bound
                best, _ = top_k_matrix(block, m, bound_cols=int(n.min()))
                chosen = np.zeros(rows.size * w, dtype=bool)
                r, c = np.nonzero(best >= 0)
                chosen[r * w + best[r, c]] = True
            else:  # m-th largest by partition, then equal values in column order
                kth = np.partition(block, w - m, axis=1)[:, w - m][:, None]
                above = block > kth
                equal = block == kth
                chosen = above | equal
                need = m - above.sum(axis=1)
                ties = np.flatnonzero(equal.sum(axis=1) > need)  # more equal entries than places left
                if ties.size:
                    r, c = np.nonzero(equal[ties])  # row-major: column order inside each row
                    rank = np.arange(r.size) - np.searchsorted(r, np.arange(ties.size))[r]
                    chosen[ties[r], c] = rank < need[ties][r]
                chosen = chosen.reshape(-1)
            keep[src] &= chosen[flat]
    kept = np.flatnonzero(keep)
    return sp.csr_matrix((data[kept], indices[kept], np.searchsorted(kept, indptr)), shape=mat.shape)


def top_m_product(a: sp.csr_matrix, b_t: sp.csr_matrix, m: int, block_cells: int) -> sp.csr_matrix:
    """``top_m_rows(a @ b_t, m)`` computed over blocks of rows of ``a``.

    Dense-ish blocks (long abstracts) go through ``top_k_matrix`` on the
    dense product, sparse ones (titles) through :func:`top_m_rows`.

    Parameters
    ----------
    a : csr_matrix, shape (n, n_features)
    b_t : csr_matrix, shape (n_features, n_cols)
    m : int
    block_cells : int
        About this many dense cells per block of rows.

    Returns
    -------
    csr_matrix, shape (n, n_cols), float32
    """
    n, n_cols = a.shape[0], b_t.shape[1]
    step = max(1, block_cells // max(n_cols, 1))
    parts = []
    for lo in range(0, n, step):
        prod = sp.csr_matrix(a[lo : lo + step] @ b_t)
        if prod.nnz > 0.05 * prod.shape[0] * n_cols:
            best, val = top_k_matrix(prod.toarray(), m)
            ok = (best >= 0) & (val > 0)
            rows = np.nonzero(ok)[0]
            part = sp.csr_matrix((val[ok], (rows, best[ok])), shape=prod.shape)
        else:
            part = top_m_rows(prod, m)
        parts.append(part)
    if not parts:
        return sp.csr_matrix((0, n_cols), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(parts, format="csr"), dtype=np.float32)
