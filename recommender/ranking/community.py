"""The community signal: papers co-liked by teammates lift similar new papers.

Content-based item kNN through collaborative neighbours: a candidate's
nearest corpus papers (:mod:`recommender.ranking.neighbourhood`: hybrid
cosine, top ``neighbors``) vote with how strongly each of them is co-liked
with the target's own 👍 papers (cosine of item co-occurrence columns, as in
item-based CF: Sarwar et al. 2001, "Item-based collaborative filtering
recommendation algorithms", WWW).  New papers need no ratings, only text.
Corpus papers nobody in the team liked take their share of the vote and
pass on nothing, so a candidate whose neighbours the team never read gets
little from the team.

The weight of that signal grows with its evidence (issue 10): a target whose
liked papers no teammate liked gets none of it, and the weight approaches
``community_weight`` as the count of teammates' 👍 on the target's own liked
papers grows (:func:`evidence`, shrinkage ``E / (E + community_shrinkage)``).
Fitted on the dev split (seed 0) of both CiteULike datasets with teams of 5,
20, 100 and everybody.  No community below some evidence (3, 5, 10, 20, 30 or
50) was tried on the dev split's per-user figures (``benchmarks/team_sweep.py
--per-user``) and not kept: none raised the twelve team cells' mean gain on
either dataset. A shrinkage of 100 (``--ranker-param community_shrinkage=100``) left every dev-split cell at
or above the lone reader, but over all six splits as many cells below it as 30 (three, each a different
one) for 80 % of similar teams' gain: not kept (``results/team_sweep_<dataset>_seed<N>_shrink100.txt``).

A team needs ``Ranker.community_min_members`` people with a 👍 (2) to have a
community. Requiring 10 was measured (``--ranker-param community_min_members=10``)
and not kept: it gave teams of 5 a lone reader's ranking exactly, where the
community's effect on random teams of 5 is noise (within 0.0002 of zero,
either sign), but it took from similar teams of 5 on citeulike-a their gain
(0.0006 to 0.0022 on all three splits) and, through the clusters' last, smaller
teams, lowered teams of 20 similar researchers on 5 of 6 dataset splits.

No community for a team that reads apart (less than half of its 👍 on papers
two or more members liked) was measured on all six splits and not kept
(``benchmarks/team_gate.py``): it gave random teams a lone reader's ranking,
but halved similar teams' gain and put teams of 20 similar researchers on
citeulike-t further below the lone reader where they were below it.

The co-likes include the target's own: two papers it liked are co-liked once
by the target itself. Taking that part out (each target's co-like counts less
its own, the cosine's norms kept) was measured on the dev split and not kept:
every team cell fell, most below the lone reader (citeulike-a similar teams of
20 from +0.0019 to -0.0015 against ``paperbot-text``, citeulike-t similar teams
of 5 from +0.0004 to -0.0010). Much of what a team adds is the target's own
library re-weighted by how many teammates share each paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .blocks import map_blocks
from .neighbourhood import Corpus, Neighbours, corpus_likes
from .scoring import Scoring
from .sparse import top_m_rows
from .targets import TargetBatch

__all__ = ["CO_LIKE_BLOCK", "Community", "add_corpus_terms", "build_community", "co_like_rows", "evidence", "in_corpus",
           "propagation"]


@dataclass(frozen=True)
class Community:
    """Who liked what in one team, ready for scoring.

    Attributes
    ----------
    items : csr_matrix, shape (n_items, n_features), float32
        TF-IDF rows of the papers anybody liked.
    co_likes : csr_matrix, shape (n_items, n_items), float32
        Cosine of the items' co-like columns, strongest entries per row only.
    index : dict
        Item key -> row of ``items``.
    like_counts : ndarray, shape (n_items,), float32
        How many people of the community liked each item.
    """

    items: sp.csr_matrix
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
    return Community(items, co_like_rows(ui, counts, item_neighbors), {k: i for i, k in enumerate(keys)}, counts)


#: Community papers whose co-like rows are computed (and cut to the strongest) at a time.
CO_LIKE_BLOCK = 2048


def co_like_rows(user_items: sp.csr_matrix, counts: np.ndarray, item_neighbors: int | None, *,
                 block: int = CO_LIKE_BLOCK) -> sp.csr_matrix:
    """Cosine of the items' like columns, the strongest ``item_neighbors`` per row, shape (n_items, n_items).

    Computed ``block`` items at a time (up to :data:`~recommender.ranking.blocks.BLOCK_THREADS` blocks
    side by side), each block cut to its strongest entries: the whole co-like matrix of thousands of
    people's libraries (millions of entries) is never held at once.

    Parameters
    ----------
    user_items : csr_matrix, shape (n_users, n_items), float32
        Binary: who liked what.
    counts : ndarray, shape (n_items,)
        Likes per item (the column sums of ``user_items``).
    item_neighbors : int or None
        Entries kept per row (None: all).
    block : int
        Items per block (the result does not depend on it).
    """
    n_items = user_items.shape[1]
    inv = (1.0 / np.sqrt(np.maximum(counts, 1.0))).astype(np.float32)
    by_item = sp.csr_matrix(user_items.T)
    columns = sp.csc_matrix(user_items)

    def rows(lo: int) -> sp.csr_matrix:
        hi = min(lo + block, n_items)
        # (by_item @ columns).T is the block's rows with sorted columns (a transpose, no sort)
        part = sp.csr_matrix((by_item @ sp.csr_matrix(columns[:, lo:hi])).T)
        part.data *= np.repeat(inv[lo:hi], np.diff(part.indptr)) * inv[part.indices]
        return top_m_rows(part, item_neighbors) if item_neighbors else part

    parts = map_blocks(rows, range(0, n_items, block))
    if not parts:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(parts, format="csr"), dtype=np.float32)


def in_corpus(community: Community, index: dict[Any, int]) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray]:
    """The community papers that are in a corpus: their corpus rows, co-likes and like counts.

    Parameters
    ----------
    index : dict
        Paper key -> corpus row (:attr:`~recommender.ranking.neighbourhood.Corpus.index`).

    Returns
    -------
    rows : ndarray of int64, shape (n_kept,)
        Corpus row of each community paper found in the corpus (the others are dropped).
    co_likes : csr_matrix, shape (n_kept, n_kept), float32
    like_counts : ndarray, shape (n_kept,), float32
    """
    keys = [None] * len(community.index)
    for key, row in community.index.items():
        keys[row] = key
    rows = np.fromiter((index.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
    kept = np.flatnonzero(rows >= 0)
    co = sp.csr_matrix(community.co_likes[kept][:, kept], dtype=np.float32)
    return rows[kept], co, community.like_counts[kept]


def propagation(by_item: sp.spmatrix, co_likes: sp.csr_matrix) -> sp.csr_matrix:
    """Candidate -> co-liked community paper weights, transposed: ``(neighbours @ co_likes).T``.

    Computed as ``co_likes.T @ by_item`` so that the product comes out in
    the layout the scoring reads (no transpose of the large result).

    Parameters
    ----------
    by_item : sparse matrix, shape (n_kept, n_candidates)
        :attr:`~recommender.ranking.neighbourhood.Neighbours.by_item`, the
        rows of the community papers only (:func:`in_corpus`).
    co_likes : csr_matrix, shape (n_kept, n_kept)

    Returns
    -------
    csr_matrix, shape (n_kept, n_candidates)
    """
    return sp.csr_matrix(sp.csr_matrix(co_likes.T) @ sp.csr_matrix(by_item))


def evidence(like_counts: np.ndarray, likes: sp.csr_matrix) -> np.ndarray:
    """Teammates' 👍 on each target's own liked papers, shape (n_targets,).

    For every item a target liked, the number of *other* people of the
    community who liked it too (the target itself is not evidence).

    Parameters
    ----------
    like_counts : ndarray, shape (n_items,)
        How many people of the community liked each item.
    likes : csr_matrix, shape (n_targets, n_items)
        Each target's 👍 on the same items (any positive entry counts as a like).
    """
    liked = sp.csr_matrix(likes, dtype=np.float32, copy=True)
    liked.data = (liked.data > 0).astype(np.float32)
    others = np.maximum(like_counts - 1.0, 0.0)
    return np.asarray(liked @ others, dtype=np.float64).reshape(-1)


def add_corpus_terms(scoring: Scoring, corpus: Corpus, community: Community | None, batch: TargetBatch,
                     neighbours: Neighbours, *, share: bool, shrinkage: float) -> None:
    """Fill ``scoring.share`` and ``scoring.community`` (with its evidence scale) from the targets' 👍 on corpus papers.

    Parameters
    ----------
    neighbours : Neighbours
        :func:`~recommender.ranking.neighbourhood.neighbourhood` in ``corpus``, both layouts.
    share : bool
        Add the share of each candidate's neighbours the target liked.
    shrinkage : float
        Evidence at which the community gets half its weight (0: full weight on any evidence).
    """
    likes = corpus_likes(corpus, batch)
    if likes is None or not likes.nnz:
        return
    if share:
        scoring.share = (likes, neighbours.by_item)
    if community is not None:
        rows, co_likes, counts = in_corpus(community, corpus.index)
        mine = sp.csr_matrix(likes[:, rows])  # the rest of the corpus passes no co-likes on
        scoring.community = (mine, propagation(neighbours.by_item[rows], co_likes))
        found = evidence(counts, mine)
        scoring.community_scale = found / (found + shrinkage) if shrinkage > 0 else (found > 0) * 1.0
