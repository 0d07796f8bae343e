"""The community signal: papers co-liked by teammates lift similar new papers.

Content-based item kNN through collaborative neighbours: a candidate's
nearest community papers by TF-IDF cosine (top ``neighbors``) vote with how
strongly each of them is co-liked with the target's own 👍 papers (cosine of
item co-occurrence columns, as in item-based CF: Sarwar et al. 2001,
"Item-based collaborative filtering recommendation algorithms", WWW).  New
papers need no ratings, only text.

The weight of that signal grows with its evidence (issue 10): a target whose
liked papers no teammate liked gets none of it, and the weight approaches
``community_weight`` as the count of teammates' 👍 on the target's own liked
papers grows (:func:`evidence`, shrinkage ``E / (E + community_shrinkage)``).
Fitted on the dev split (seed 0) of both CiteULike datasets with teams of 5,
20, 100 and everybody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .sparse import scale_rows, top_m_product, top_m_rows
from .targets import TargetBatch

__all__ = ["Community", "build_community", "community_likes", "evidence", "propagation"]


@dataclass(frozen=True)
class Community:
    """Who liked what in one team, ready for scoring.

    Attributes
    ----------
    items : csr_matrix, shape (n_items, n_features), float32
        TF-IDF rows of the papers anybody liked.
    items_t : csr_matrix, shape (n_features, n_items)
        ``items`` transposed (kept to avoid transposing at every call).
    co_likes : csr_matrix, shape (n_items, n_items), float32
        Cosine of the items' co-like columns, strongest entries per row only.
    index : dict
        Item key -> row of ``items``.
    like_counts : ndarray, shape (n_items,), float32
        How many people of the community liked each item.
    """

    items: sp.csr_matrix
    items_t: sp.csr_matrix
    co_likes: sp.csr_matrix
    index: dict[Any, int]
    like_counts: np.ndarray


def build_community(item_vectors: sp.csr_matrix, user_items: sp.csr_matrix,
                    item_keys: Sequence | None, item_neighbors: int | None) -> Community:
    """The :class:`Community` of ``user_items``.

    Parameters
    ----------
    item_vectors : csr_matrix, shape (n_items, n_features)
    user_items : sparse matrix, shape (n_users, n_items)
        Who liked what (binarised).
    item_keys : sequence, length n_items, optional
        Default ``range(n_items)``.
    item_neighbors : int, optional
        Keep only this many strongest co-likes per item (item kNN); None keeps all.

    Raises
    ------
    ValueError
        On mismatched shapes.
    """
    items = sp.csr_matrix(item_vectors, dtype=np.float32)
    ui = sp.csr_matrix(user_items, dtype=np.float32)
    if ui.shape[1] != items.shape[0]:
        raise ValueError(f"user_items has {ui.shape[1]} items, item_vectors {items.shape[0]}")
    keys = list(range(items.shape[0])) if item_keys is None else list(item_keys)
    if len(keys) != items.shape[0]:
        raise ValueError("item_keys length differs from item_vectors rows")
    ui.sum_duplicates()
    ui.data[:] = 1.0
    counts = np.asarray(ui.sum(axis=0), dtype=np.float32).reshape(-1)
    co = sp.csr_matrix(sp.csr_matrix(ui.T) @ ui)
    inv = (1.0 / np.sqrt(np.maximum(co.diagonal(), 1.0))).astype(np.float32)
    co.data *= np.repeat(inv, np.diff(co.indptr)) * inv[co.indices]  # cosine of item columns
    co = sp.csr_matrix(co.T)  # symmetric: the transpose is the same matrix with sorted columns (linear, no sort)
    if item_neighbors:
        co = top_m_rows(co, item_neighbors)  # item-kNN: keep the strongest co-likes
    return Community(items, sp.csr_matrix(items.T), co, {k: i for i, k in enumerate(keys)}, counts)


def propagation(community: Community, candidates: sp.csr_matrix, *, neighbors: int, power: float,
                block_cells: int) -> sp.csr_matrix:
    """Candidate -> co-liked community item weights, transposed.

    Parameters
    ----------
    candidates : csr_matrix, shape (n_candidates, n_features)
    neighbors : int
        Nearest community papers (by TF-IDF cosine) that vote for a candidate.
    power : float
        Exponent of the neighbours' cosines before they are normalised.
    block_cells : int
        Dense cells per block of the candidate x item product.

    Returns
    -------
    csr_matrix, shape (n_items, n_candidates)
    """
    knn = top_m_product(candidates, community.items_t, neighbors, block_cells)
    if power != 1:
        knn.data **= power
    sums = np.asarray(knn.sum(axis=1)).ravel()
    knn = scale_rows(knn, 1.0 / np.maximum(sums, 1e-9))
    return sp.csr_matrix((knn @ community.co_likes).T)


def community_likes(community: Community, batch: TargetBatch) -> sp.csr_matrix | None:
    """Each target's decay-weighted 👍 on community items, shape (n_targets, n_items); None if none."""
    keys = batch.liked_keys
    if keys is None or batch.liked.shape[0] == 0:
        return None
    index = community.index
    cols = np.fromiter((-1 if key is None else index.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
    rows = np.flatnonzero(cols >= 0)
    if rows.size == 0:
        return None
    n_i = community.items.shape[0]
    to_items = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols[rows])), shape=(len(keys), n_i))
    return sp.csr_matrix(sp.csr_matrix(batch.like_weights, dtype=np.float32) @ to_items)


def evidence(community: Community, likes: sp.csr_matrix) -> np.ndarray:
    """Teammates' 👍 on each target's own liked papers, shape (n_targets,).

    For every community item a target liked, the number of *other* people of
    the community who liked it too (the target itself is not evidence).

    Parameters
    ----------
    likes : csr_matrix, shape (n_targets, n_items)
        :func:`community_likes` (any positive entry counts as a like).
    """
    liked = sp.csr_matrix(likes, dtype=np.float32, copy=True)
    liked.data = (liked.data > 0).astype(np.float32)
    others = np.maximum(community.like_counts - 1.0, 0.0)
    return np.asarray(liked @ others, dtype=np.float64).reshape(-1)
