"""Scoring, top-k with exclusion, MMR diversification, explanations and search.

All targets are ranked in one batch (:class:`TargetBatch`): the liked rows of
everybody are stacked once, the profiles are one sparse matrix
(``normalise(W @ liked)``), and the scores are computed block by block of
targets (one sparse product per block, about ``block_cells`` dense scores at
a time) with exclusions as ``-inf`` and a vectorised top-k
(:func:`top_k_matrix`).  :meth:`Ranker.rank` turns its :class:`Target` list
into a batch; the offline evaluation builds the batch straight from its
user-item matrix (:meth:`Ranker.top_k_batch`).  MMR runs on all targets' top
pools at once, and explanations are computed for the picks only, in one batch.

Score of candidate ``c`` for target ``t`` (all vectors unit-norm TF-IDF)::

    s = (1 - knn_weight) * cos(profile_t, c)                 # Rocchio (1971)
        + knn_weight * powermean_p(max(0, cos(liked_i, c)))  # item kNN / soft-max
        + community_weight * z(collab_t(c))                  # optional, see below
        + prior_weight * prior(c)

The power mean over the liked papers (weights = recency decay) sits between
the centroid (p = 1) and max-similarity (p -> inf): people with several
interests are not averaged into one blurry centroid.  The optional community
term is described in :meth:`Ranker.set_community`.

Diversification: MMR, Carbonell & Goldstein 1998, "The use of MMR,
diversity-based reranking for reordering documents and producing summaries"
(SIGIR).  Here ``mmr_lambda`` is the weight of *diversity* so that 0 turns MMR
off: ``pick = argmax (1 - lambda) * rel(c) - lambda * max_{s in picked} cos(c, s)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .model import PaperVectorizer
from .profiles import batch_profiles, decay_weights

__all__ = ["Target", "TargetBatch", "Pick", "Ranker", "mmr_select", "top_k_indices", "top_k_matrix"]


def _empty_csr(n_features: int = 0) -> sp.csr_matrix:
    return sp.csr_matrix((0, n_features), dtype=np.float32)


@dataclass
class Target:
    """Everything known about one person (or channel) to rank for.

    Attributes
    ----------
    interests_text : str
        Declared interests, free text.
    liked : csr_matrix, shape (n_liked, n_features)
        TF-IDF rows of papers given 👍.
    liked_age_days : ndarray, shape (n_liked,)
        Age of each 👍 in days (0 = today); empty means all 0.
    liked_keys : list, length n_liked
        Opaque ids (paper ids) of the liked rows, echoed in
        :attr:`Pick.similar_to`.  Optional; also used to deduplicate rows
        shared across targets and to find the person's papers in the
        community matrix.
    disliked : csr_matrix, shape (n_disliked, n_features)
    disliked_age_days : ndarray, shape (n_disliked,)
    exclude : set of int
        Candidate row indices never to pick for this target (already
        delivered or rated).
    """

    interests_text: str = ""
    liked: sp.csr_matrix = field(default_factory=_empty_csr)
    liked_age_days: np.ndarray = field(default_factory=lambda: np.zeros(0))
    liked_keys: list = field(default_factory=list)
    disliked: sp.csr_matrix = field(default_factory=_empty_csr)
    disliked_age_days: np.ndarray = field(default_factory=lambda: np.zeros(0))
    exclude: set = field(default_factory=set)


@dataclass
class Pick:
    """One recommended paper.

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
        of the liked paper most similar to this pick; None without likes.
    """

    index: int
    score: float
    terms: list[str]
    similar_to: object | None


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest finite scores, best first.

    Uses ``argpartition`` (O(n)) then sorts only the k winners; ties are
    broken by lower index.  ``-inf`` entries (excluded) are never returned.

    Parameters
    ----------
    scores : ndarray, shape (n,)
    k : int

    Returns
    -------
    ndarray of int, shape (<= k,)
    """
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < n:
        kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > kth)
        ties = np.flatnonzero(scores == kth)[: k - above.size]  # lowest indices win ties
        part = np.concatenate([above, ties])
    else:
        part = np.arange(n)
    order = np.lexsort((part, -scores[part]))
    best = part[order]
    return best[np.isfinite(scores[best])]


def mmr_select(
    relevance: np.ndarray, similarity: np.ndarray, k: int, mmr_lambda: float
) -> np.ndarray:
    """Greedy MMR selection (Carbonell & Goldstein 1998).

    Parameters
    ----------
    relevance : ndarray, shape (n,)
        Relevance of each item, best first or in any order.
    similarity : ndarray, shape (n, n)
        Pairwise item similarity (cosine).
    k : int
    mmr_lambda : float in [0, 1]
        Weight of diversity; 0 returns the top-k by relevance.  Relevance is
        min-max scaled to [0, 1] first so it is comparable with cosine.

    Returns
    -------
    ndarray of int, shape (min(k, n),)
        Positions into ``relevance``, in pick order.
    """
    n = relevance.shape[0]
    k = min(k, n)
    if mmr_lambda <= 0 or n <= 1:
        return np.lexsort((np.arange(n), -relevance))[:k]
    lo, hi = float(relevance.min()), float(relevance.max())
    rel = (relevance - lo) / (hi - lo) if hi > lo else np.ones(n)
    chosen: list[int] = []
    max_sim = np.zeros(n)
    available = np.ones(n, dtype=bool)
    for _ in range(k):
        obj = (1.0 - mmr_lambda) * rel - mmr_lambda * max_sim
        obj[~available] = -np.inf
        j = int(np.argmax(obj))
        chosen.append(j)
        available[j] = False
        max_sim = np.maximum(max_sim, similarity[j])
    return np.asarray(chosen, dtype=np.int64)


def _top_m_rows(mat: sp.csr_matrix, m: int) -> sp.csr_matrix:
    """Keep the ``m`` largest positive entries of each CSR row (ties: lower column).

    Vectorised: rows with at most ``m`` entries are kept whole; the longer
    rows are padded (with ``-inf``) into dense blocks of similar length
    (powers of two, so at most twice their entries).  Blocks of very long rows go
    through :func:`top_k_matrix`; in the others the m-th largest value of
    each row is found by ``np.partition`` and entries equal to it are kept in
    column order until the row has ``m``.
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
    cum = np.concatenate([[0], np.cumsum(keep)])
    return sp.csr_matrix((data[keep], indices[keep], cum[indptr]), shape=mat.shape)


def _top_m_product(a: sp.csr_matrix, b_t: sp.csr_matrix, m: int, block_cells: int) -> sp.csr_matrix:
    """``_top_m_rows(a @ b_t, m)`` computed over blocks of rows of ``a``.

    Dense-ish blocks (long abstracts) go through :func:`top_k_matrix` on the
    dense product, sparse ones (titles) through :func:`_top_m_rows`.
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
            part = _top_m_rows(prod, m)
        parts.append(part)
    if not parts:
        return sp.csr_matrix((0, n_cols), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(parts, format="csr"), dtype=np.float32)


def _scale_rows(mat: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
    """``diag(scale) @ mat`` keeping the entry order of every row."""
    out = mat.copy()
    out.data = out.data * np.repeat(np.asarray(scale, dtype=out.data.dtype), np.diff(out.indptr))
    return out


def _row_normalize(mat: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to sum 1 (empty rows stay empty); entry order kept."""
    sums = np.asarray(mat.sum(axis=1), dtype=np.float64).reshape(-1)
    sums[sums == 0] = 1.0
    return _scale_rows(mat, 1.0 / sums)


def top_k_matrix(scores: np.ndarray, k: int, bound_cols: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise :func:`top_k_indices` for a dense block, shape (n_rows, n).

    Vectorised over rows.  Split the first ``k * (n // k)`` columns into
    ``k`` chunks: the smallest of the ``k`` chunk maxima is a lower bound of
    the k-th largest score, so only scores at or above it (a few hundred per
    row rather than ``n``) are sorted, by row, score descending, then index.
    The result equals :func:`top_k_indices` on every row (ties by lower
    index, ``-inf`` never returned).

    ``bound_cols`` limits the chunks to the first columns (e.g. the columns
    every row fills when the block is padded with ``-inf`` at the end).

    Returns
    -------
    indices : ndarray of int64, shape (n_rows, min(k, n))
        Best first; ``-1`` pads rows with fewer than ``k`` finite scores.
    values : ndarray, shape (n_rows, min(k, n))
        The scores of ``indices`` (``-inf`` for padding).
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
    order = np.lexsort((-val, row))  # stable: equal scores stay in column order
    row, col, val = row[order], col[order], val[order]
    rank = np.arange(row.size) - np.searchsorted(row, np.arange(n_rows))[row]
    keep = rank < k
    idx[row[keep], rank[keep]] = col[keep]
    out[row[keep], rank[keep]] = val[keep]
    return idx, out


@dataclass
class TargetBatch:
    """Many targets as matrices: the batched input of :meth:`Ranker.top_k_batch`.

    :meth:`Ranker.rank` builds one from its :class:`Target` list; callers that
    already hold a user-item matrix (the offline evaluation) build it directly
    and skip per-target Python objects.

    Attributes
    ----------
    liked : csr_matrix, shape (n_rows, n_features)
        TF-IDF rows liked by anybody in the batch, each shared row once.
    like_weights : csr_matrix, shape (n_targets, n_rows)
        Recency weight of each 👍 (absent = not liked).  Row-normalised
        internally; the entries of a row are in the target's own like order
        (``similar_to`` falls back to that position when a row has no key).
    liked_keys : sequence, length n_rows, optional
        Key of each liked row (``None`` = none); matched against the community
        (:meth:`Ranker.set_community`) and echoed in :attr:`Pick.similar_to`.
    interests : csr_matrix, shape (n_targets, n_features), optional
    disliked : csr_matrix, shape (n_dis_rows, n_features), optional
    dislike_weights : csr_matrix, shape (n_targets, n_dis_rows), optional
    exclude : sparse matrix, shape (n_targets, n_candidates), optional
        Non-zero = never pick this candidate for this target.
    """

    liked: sp.csr_matrix
    like_weights: sp.csr_matrix
    liked_keys: Sequence | None = None
    interests: sp.csr_matrix | None = None
    disliked: sp.csr_matrix | None = None
    dislike_weights: sp.csr_matrix | None = None
    exclude: sp.spmatrix | None = None

    @property
    def n_targets(self) -> int:
        return self.like_weights.shape[0]


class Ranker:
    """Rank candidate papers for many targets at once.

    Parameters
    ----------
    vectorizer : PaperVectorizer
        Fitted; supplies ``transform_text`` for interests and queries and the
        feature names for explanations.
    half_life_days : float, default 30.0
        Recency half-life of 👍/👎 in days (``inf`` = no decay).
    mmr_lambda : float in [0, 1], default 0.3
        Diversity weight of MMR; 0 turns MMR off.
    interest_weight, like_weight, dislike_weight : float, default 1.0, 1.0, 0.25
        Rocchio weights (see :mod:`recommender.profiles`).
    knn_weight : float in [0, 1], default 0.0
        Share of the item-kNN power-mean score versus the centroid cosine.
    knn_power : float >= 1, default 3.0
        Power of the power mean over liked papers (1 = mean, large = max).
    prior_weight : float, default 0.02
        Weight of ``candidate_priors`` for targets that have a profile.
        Targets with nothing at all (no interests, no likes) are ranked by
        the priors alone, or by candidate order when no priors are given.
    mmr_pool : int, default 50
        How many top candidates MMR re-orders (at least ``3 * k``).
    n_terms : int, default 3
        Terms per explanation.
    search_personal_weight : float, default 0.3
        Share of the personal score when re-ranking search results.
    community_weight, community_neighbors, community_power, community_item_neighbors
        See :meth:`set_community`.
    block_cells : int, default 1_000_000
        Dense scores are computed for blocks of targets of about this many
        cells (targets x candidates): bounded memory (4 MB of float32) that stays in cache.
    """

    def __init__(
        self,
        vectorizer: PaperVectorizer,
        *,
        half_life_days: float = 30.0,
        mmr_lambda: float = 0.3,
        interest_weight: float = 1.0,
        like_weight: float = 1.0,
        dislike_weight: float = 0.25,
        knn_weight: float = 0.0,
        knn_power: float = 3.0,
        prior_weight: float = 0.02,
        mmr_pool: int = 50,
        n_terms: int = 3,
        search_personal_weight: float = 0.3,
        community_weight: float = 0.5,
        community_neighbors: int = 20,
        community_power: float = 2.0,
        community_item_neighbors: int | None = 50,
        block_cells: int = 1_000_000,
    ):
        if not 0.0 <= mmr_lambda <= 1.0:
            raise ValueError("mmr_lambda must be in [0, 1]")
        if not 0.0 <= knn_weight <= 1.0:
            raise ValueError("knn_weight must be in [0, 1]")
        if knn_power < 1:
            raise ValueError("knn_power must be >= 1")
        self.vectorizer = vectorizer
        self.half_life_days = half_life_days
        self.mmr_lambda = mmr_lambda
        self.interest_weight = interest_weight
        self.like_weight = like_weight
        self.dislike_weight = dislike_weight
        self.knn_weight = knn_weight
        self.knn_power = knn_power
        self.prior_weight = prior_weight
        self.mmr_pool = mmr_pool
        self.n_terms = n_terms
        self.search_personal_weight = search_personal_weight
        self.community_weight = community_weight
        self.community_neighbors = community_neighbors
        self.community_power = community_power
        self.community_item_neighbors = community_item_neighbors
        self.block_cells = block_cells
        self._community: dict | None = None
        self._names: np.ndarray | None = None
        self._author_mask: np.ndarray | None = None

    # ------------------------------------------------------------- community
    def set_community(self, item_vectors: sp.csr_matrix, user_items: sp.csr_matrix,
                      item_keys: Sequence | None = None) -> "Ranker":
        """Give the ranker everyone's 👍 so it can learn which papers go together.

        Content-based item kNN through collaborative neighbours: a candidate's
        nearest community papers by TF-IDF cosine (top ``community_neighbors``)
        vote with how strongly each of them is co-liked with the target's own
        👍 papers (cosine of item co-occurrence columns, as in item-based CF,
        Sarwar et al. 2001).  New papers need no ratings, only text.

        Parameters
        ----------
        item_vectors : csr_matrix, shape (n_items, n_features)
            TF-IDF rows of the papers anybody liked.
        user_items : sparse matrix, shape (n_users, n_items)
            Who liked what (binary; team members' 👍).
        item_keys : sequence, length n_items, optional
            Keys matched against :attr:`Target.liked_keys`; default
            ``range(n_items)``.

        Returns
        -------
        self

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
        co = sp.csr_matrix(sp.csr_matrix(ui.T) @ ui)
        inv = (1.0 / np.sqrt(np.maximum(co.diagonal(), 1.0))).astype(np.float32)
        co.data *= np.repeat(inv, np.diff(co.indptr)) * inv[co.indices]  # cosine of item columns
        co = sp.csr_matrix(co.T)  # symmetric: the transpose is the same matrix with sorted columns (linear, no sort)
        if self.community_item_neighbors:
            co = _top_m_rows(co, self.community_item_neighbors)  # item-kNN: keep the strongest co-likes
        self._community = {"items": items, "items_t": sp.csr_matrix(items.T), "co": co,
                           "index": {k: i for i, k in enumerate(keys)}}
        return self

    def clear_community(self) -> "Ranker":
        """Forget the community; ranking falls back to text-only profiles."""
        self._community = None
        return self

    def _community_propagation(self, candidates: sp.csr_matrix) -> sp.csr_matrix:
        """Candidate -> co-liked community item weights, transposed: shape (n_items, n_c)."""
        com = self._community
        knn = _top_m_product(candidates, com["items_t"], self.community_neighbors, self.block_cells)
        if self.community_power != 1:
            knn.data **= self.community_power
        sums = np.asarray(knn.sum(axis=1)).ravel()
        knn = _scale_rows(knn, 1.0 / np.maximum(sums, 1e-9))
        return sp.csr_matrix((knn @ com["co"]).T)

    def _community_likes(self, batch: TargetBatch) -> sp.csr_matrix | None:
        """Each target's decay-weighted 👍 on community items, shape (n_t, n_items)."""
        keys = batch.liked_keys
        if keys is None or batch.liked.shape[0] == 0:
            return None
        index = self._community["index"]
        cols = np.fromiter((-1 if key is None else index.get(key, -1) for key in keys), dtype=np.int64, count=len(keys))
        rows = np.flatnonzero(cols >= 0)
        if rows.size == 0:
            return None
        n_i = self._community["items"].shape[0]
        to_items = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols[rows])), shape=(len(keys), n_i))
        return sp.csr_matrix(sp.csr_matrix(batch.like_weights, dtype=np.float32) @ to_items)

    # ---------------------------------------------------------------- batches
    def _interests(self, targets: Sequence[Target], n_features: int) -> sp.csr_matrix:
        texts = [t.interests_text.strip() for t in targets]
        rows = [i for i, s in enumerate(texts) if s]
        if not rows:
            return sp.csr_matrix((len(targets), n_features), dtype=np.float32)
        vecs = sp.csr_matrix(self.vectorizer.transform_text([texts[i] for i in rows]))
        sel = sp.csr_matrix(
            (np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(len(targets), len(rows))
        )
        return sp.csr_matrix(sel @ vecs)

    def _stack(self, targets: Sequence[Target], which: str, n_features: int, dedup: bool):
        """Stack rated rows of all targets.

        Returns (unique_rows, weights (n_t, n_unique) in each target's own
        order, key of each unique row or None).
        """
        mats, counts, weights, keys, raw = [], [], [], [], []
        for t_idx, t in enumerate(targets):
            mat = getattr(t, which)
            n = mat.shape[0] if mat is not None else 0
            counts.append(n)
            if not n:
                continue
            if mat.shape[1] != n_features:
                raise ValueError(f"target {t_idx}: {which} has {mat.shape[1]} features, expected {n_features}")
            ages = getattr(t, f"{which}_age_days")
            ages = np.zeros(n) if ages is None or len(ages) == 0 else np.asarray(ages, dtype=float)
            if ages.shape[0] != n:
                raise ValueError(f"target {t_idx}: {n} {which} rows but {ages.shape[0]} ages")
            mats.append(sp.csr_matrix(mat, dtype=np.float32))
            weights.append(decay_weights(ages, self.half_life_days))
            tk = t.liked_keys if which == "liked" and len(t.liked_keys) == n else None
            if tk is not None:
                raw.extend(tk)
                keys.extend(("k", k) for k in tk) if dedup else keys.extend(("r", t_idx, i) for i in range(n))
            else:
                raw.extend([None] * n)
                keys.extend(("r", t_idx, i) for i in range(n))
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        if not mats:
            return _empty_csr(n_features), sp.csr_matrix((len(targets), 0), dtype=np.float32), []
        rows = sp.vstack(mats, format="csr")
        first: dict = {}
        inverse = np.fromiter((first.setdefault(k, len(first)) for k in keys), dtype=np.int64, count=len(keys))
        uniq_pos = np.zeros(len(first), dtype=np.int64)
        uniq_pos[inverse[::-1]] = np.arange(len(keys))[::-1]
        w = sp.csr_matrix((np.concatenate(weights), inverse, indptr), shape=(len(targets), len(first)))
        uniq_rows = rows if len(first) == len(keys) else rows[uniq_pos]
        return uniq_rows, w, [raw[i] for i in uniq_pos]

    def batch(self, targets: Sequence[Target], n_features: int, n_candidates: int | None = None) -> TargetBatch:
        """Turn :class:`Target` objects into one :class:`TargetBatch`.

        Liked rows shared by several targets (same ``liked_keys`` entry) are
        stored once; exclusions outside ``[0, n_candidates)`` are dropped.
        """
        liked, w_like, keys = self._stack(targets, "liked", n_features, dedup=True)
        dis, w_dis, _ = self._stack(targets, "disliked", n_features, dedup=False)
        exclude = None
        if n_candidates is not None and any(t.exclude for t in targets):
            ex = [np.fromiter((i for i in t.exclude if 0 <= i < n_candidates), dtype=np.int64) for t in targets]
            rows = np.repeat(np.arange(len(targets)), [e.size for e in ex])
            cols = np.concatenate(ex) if ex else np.zeros(0, dtype=np.int64)
            exclude = sp.csr_matrix((np.ones(cols.size, dtype=bool), (rows, cols)), shape=(len(targets), n_candidates))
        return TargetBatch(
            liked=liked,
            like_weights=w_like,
            liked_keys=keys if any(k is not None for k in keys) else None,
            interests=self._interests(targets, n_features),
            disliked=dis if dis.shape[0] else None,
            dislike_weights=w_dis if dis.shape[0] else None,
            exclude=exclude,
        )

    def profiles(self, batch: TargetBatch) -> sp.csr_matrix:
        """Rocchio profiles of a batch, shape (n_targets, n_features), float32, unit rows (zero = nothing known)."""
        n_t, n_features = batch.n_targets, batch.liked.shape[1]
        if batch.liked.shape[0]:
            liked_c = sp.csr_matrix(_row_normalize(batch.like_weights) @ sp.csr_matrix(batch.liked, dtype=np.float32))
        else:
            liked_c = sp.csr_matrix((n_t, n_features), dtype=np.float32)
        dis_c = None
        if batch.disliked is not None and batch.disliked.shape[0]:
            dis_c = sp.csr_matrix(_row_normalize(batch.dislike_weights) @ sp.csr_matrix(batch.disliked, dtype=np.float32))
        interests = batch.interests if batch.interests is not None else sp.csr_matrix((n_t, n_features), dtype=np.float32)
        return batch_profiles(
            interests,
            liked_c,
            dis_c,
            interest_weight=self.interest_weight,
            like_weight=self.like_weight,
            dislike_weight=self.dislike_weight,
        )

    # --------------------------------------------------------------- scoring
    def _prepare(self, candidates: sp.csr_matrix, batch: TargetBatch, candidate_priors) -> dict:
        n_c, n_features = candidates.shape
        if batch.liked.shape[1] != n_features:
            raise ValueError(f"liked rows have {batch.liked.shape[1]} features, candidates {n_features}")
        if candidate_priors is not None:
            priors = np.asarray(candidate_priors, dtype=np.float32).reshape(-1)
            if priors.shape[0] != n_c:
                raise ValueError(f"{priors.shape[0]} priors for {n_c} candidates")
        else:
            priors = np.zeros(n_c, dtype=np.float32)
        profiles = self.profiles(batch)
        ctx = {
            "profiles": profiles,
            "cand_t": sp.csr_matrix(candidates.T),
            "priors": priors,
            "has_prior": bool(priors.any()),
            "empty": np.diff(profiles.indptr) == 0,
            "community": None,
            "knn": None,
            "exclude": None if batch.exclude is None else sp.csr_matrix(batch.exclude, dtype=bool),
        }
        if self._community is not None and self.community_weight > 0:
            likes = self._community_likes(batch)
            if likes is not None and likes.nnz:
                ctx["community"] = (likes, self._community_propagation(candidates))
        if self.knn_weight > 0 and batch.liked.shape[0]:
            ctx["knn"] = (sp.csr_matrix(_row_normalize(batch.like_weights), dtype=np.float32),
                          sp.csr_matrix(batch.liked, dtype=np.float32))
        return ctx

    def _knn_block(self, w_like: sp.csr_matrix, liked: sp.csr_matrix, cand_t: sp.csr_matrix) -> np.ndarray:
        """Power mean over each target's liked papers of max(0, cos), shape (n_block, n_c)."""
        used = np.unique(w_like.indices)
        n_c = cand_t.shape[1]
        if used.size == 0:
            return np.zeros((w_like.shape[0], n_c), dtype=np.float32)
        p = float(self.knn_power)
        rows, w_used = liked[used], sp.csr_matrix(w_like[:, used])
        agg = np.empty((w_like.shape[0], n_c), dtype=np.float32)
        step = max(1, self.block_cells // used.size)  # bounds the (n_used, step) similarity block
        for lo in range(0, n_c, step):
            sims = (rows @ cand_t[:, lo : lo + step]).toarray()
            np.maximum(sims, 0, out=sims)
            if p != 1:
                np.power(sims, p, out=sims)
            agg[:, lo : lo + step] = w_used @ sims
        return agg if p == 1 else np.power(agg, 1.0 / p)

    def _block_scores(self, ctx: dict, lo: int, hi: int) -> np.ndarray:
        """Final scores (community, priors, exclusion as -inf) of targets lo..hi, float32."""
        scores = (ctx["profiles"][lo:hi] @ ctx["cand_t"]).toarray()
        if ctx["knn"] is not None:
            w, liked = ctx["knn"]
            w_blk = w[lo:hi]
            has_likes = np.diff(w_blk.indptr) > 0
            mix = np.where(has_likes, self.knn_weight, 0.0).astype(np.float32)[:, None]
            scores = (1 - mix) * scores + mix * self._knn_block(w_blk, liked, ctx["cand_t"])
        if ctx["community"] is not None:
            likes, prop_t = ctx["community"]
            com = (likes[lo:hi] @ prop_t).toarray()
            top = com.max(axis=1, initial=0.0)
            top[top <= 0] = 1.0
            com *= (np.float32(self.community_weight) / top.astype(np.float32))[:, None]
            scores += com
        if ctx["has_prior"]:
            scores += np.float32(self.prior_weight) * ctx["priors"][None, :]
        empty = ctx["empty"][lo:hi]
        if empty.any():
            # nothing known: rank by the prior alone (candidate order breaks ties)
            scores[empty] = ctx["priors"][None, :]
        if ctx["exclude"] is not None:
            ex = ctx["exclude"][lo:hi]
            scores[np.repeat(np.arange(hi - lo), np.diff(ex.indptr)), ex.indices] = -np.inf
        return scores

    def _blocks(self, n_t: int, n_c: int):
        step = max(1, self.block_cells // max(n_c, 1))
        return [(lo, min(lo + step, n_t)) for lo in range(0, n_t, step)]

    def score_batch(self, candidates: sp.csr_matrix, batch: TargetBatch, *,
                    candidate_priors: np.ndarray | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
        """Dense scores of every candidate for every target of ``batch`` (excluded = ``-inf``).

        Returns
        -------
        scores : ndarray, shape (n_targets, n_candidates), float32
        profiles : csr_matrix, shape (n_targets, n_features)
        """
        candidates = sp.csr_matrix(candidates, dtype=np.float32)
        ctx = self._prepare(candidates, batch, candidate_priors)
        n_t, n_c = batch.n_targets, candidates.shape[0]
        out = np.empty((n_t, n_c), dtype=np.float32)
        for lo, hi in self._blocks(n_t, n_c):
            out[lo:hi] = self._block_scores(ctx, lo, hi)
        return out, ctx["profiles"]

    def top_k_batch(self, candidates: sp.csr_matrix, batch: TargetBatch, k: int, *,
                    candidate_priors: np.ndarray | None = None):
        """Top-k candidates of every target, computed block by block of targets.

        Memory stays at one dense block of about ``block_cells`` scores; no
        per-target Python work.  No MMR, no explanations.

        Returns
        -------
        indices : ndarray of int64, shape (n_targets, min(k, n_candidates))
            Best first, ties by lower candidate index; ``-1`` pads targets
            with fewer than ``k`` candidates left after exclusion.
        scores : ndarray of float32, same shape (``-inf`` for padding)
        profiles : csr_matrix, shape (n_targets, n_features)
        """
        candidates = sp.csr_matrix(candidates, dtype=np.float32)
        ctx = self._prepare(candidates, batch, candidate_priors)
        n_t, n_c = batch.n_targets, candidates.shape[0]
        kk = min(k, n_c)
        idx = np.full((n_t, kk), -1, dtype=np.int64)
        val = np.full((n_t, kk), -np.inf, dtype=np.float32)
        for lo, hi in self._blocks(n_t, n_c):
            idx[lo:hi], val[lo:hi] = top_k_matrix(self._block_scores(ctx, lo, hi), kk)
        return idx, val, ctx["profiles"]

    def score(
        self,
        candidates: sp.csr_matrix,
        targets: Sequence[Target],
        *,
        candidate_priors: np.ndarray | None = None,
    ) -> tuple[np.ndarray, sp.csr_matrix]:
        """Score every candidate for every target (no exclusion, no MMR).

        Parameters
        ----------
        candidates : csr_matrix, shape (n_candidates, n_features)
            L2-normalised TF-IDF rows (:meth:`PaperVectorizer.transform`).
        targets : sequence of Target, length n_targets
        candidate_priors : ndarray, shape (n_candidates,), optional
            Popularity/recency prior in [0, 1] (e.g. normalised upvotes).

        Returns
        -------
        scores : ndarray, shape (n_targets, n_candidates), float32
        profiles : csr_matrix, shape (n_targets, n_features)
            The Rocchio profile of each target (zero row = nothing known).

        Raises
        ------
        ValueError
            On mismatched feature counts or prior length.
        """
        candidates = sp.csr_matrix(candidates, dtype=np.float32)
        batch = self.batch(targets, candidates.shape[1], None)
        return self.score_batch(candidates, batch, candidate_priors=candidate_priors)

    # ---------------------------------------------------------------- ranking
    def rank(
        self,
        candidates: sp.csr_matrix,
        targets: Sequence[Target],
        k: int = 10,
        *,
        candidate_priors: np.ndarray | None = None,
        explain: bool = True,
    ) -> list[list[Pick]]:
        """Top-k picks per target, excluded rows never picked, MMR-diversified.

        Parameters
        ----------
        candidates : csr_matrix, shape (n_candidates, n_features)
        targets : sequence of Target, length n_targets
        k : int, default 10
        candidate_priors : ndarray, shape (n_candidates,), optional
            See :meth:`score`.  Used alone for targets with no interests and
            no likes (cold start with nothing at all).
        explain : bool, default True
            Fill ``terms`` and ``similar_to`` (computed for the picks only,
            in one batch); False leaves them empty/None.

        Returns
        -------
        list (length n_targets) of list of Pick
            Best first, at most ``k`` each (fewer when fewer candidates are
            left after exclusion).
        """
        if not targets:
            return []
        candidates = sp.csr_matrix(candidates, dtype=np.float32)
        n_c, n_features = candidates.shape
        batch = self.batch(targets, n_features, n_c)
        pool = k if self.mmr_lambda <= 0 else max(self.mmr_pool, 3 * k)
        idx, val, profiles = self.top_k_batch(candidates, batch, pool, candidate_priors=candidate_priors)
        if self.mmr_lambda > 0 and idx.shape[1] > 1:
            idx, val = self._mmr_batch(candidates, idx, val, k)
        idx, val = idx[:, :k], val[:, :k]
        t_of, slot = np.nonzero(idx >= 0)
        c_of = idx[t_of, slot]
        terms: list = [[] for _ in range(t_of.size)]
        similar: list = [None] * t_of.size
        if explain and t_of.size:
            terms, similar = self._explain_pairs(candidates, batch, profiles, t_of, c_of)
        out: list[list[Pick]] = [[] for _ in targets]
        for n, (t, c) in enumerate(zip(t_of.tolist(), c_of.tolist())):
            out[t].append(Pick(c, float(val[t, slot[n]]), terms[n], similar[n]))
        return out

    def _mmr_batch(self, candidates: sp.csr_matrix, idx: np.ndarray, val: np.ndarray, k: int):
        """:func:`mmr_select` on every row of a top-``pool`` table at once."""
        n_t, pool = idx.shape
        kk = min(k, pool)
        n_c = candidates.shape[0]
        gram = (candidates @ candidates.T).toarray() if n_c <= 6000 else None
        out_i = np.full((n_t, kk), -1, dtype=np.int64)
        out_v = np.full((n_t, kk), -np.inf, dtype=np.float32)
        step = max(1, 2_000_000 // (pool * pool))
        lam = float(self.mmr_lambda)
        for lo in range(0, n_t, step):
            hi = min(lo + step, n_t)
            ii, vv = idx[lo:hi], val[lo:hi]
            valid = ii >= 0
            safe = np.where(valid, ii, 0)
            if gram is not None:
                sims = gram[safe[:, :, None], safe[:, None, :]]
            else:
                sims = np.zeros((hi - lo, pool, pool), dtype=np.float32)
                for r in range(hi - lo):
                    sub = candidates[safe[r]]
                    sims[r] = (sub @ sub.T).toarray()
            lo_v = np.where(valid, vv, np.inf).min(axis=1, keepdims=True)
            hi_v = np.where(valid, vv, -np.inf).max(axis=1, keepdims=True)
            span = hi_v - lo_v
            rel = np.where(span > 0, (vv - lo_v) / np.where(span > 0, span, 1), 1.0)
            avail = valid.copy()
            max_sim = np.zeros((hi - lo, pool))
            rows = np.arange(hi - lo)
            for s in range(kk):
                obj = (1.0 - lam) * rel - lam * max_sim
                obj[~avail] = -np.inf
                j = np.argmax(obj, axis=1)
                ok = avail[rows, j]
                out_i[lo:hi, s] = np.where(ok, ii[rows, j], -1)
                out_v[lo:hi, s] = np.where(ok, vv[rows, j], -np.inf)
                avail[rows[ok], j[ok]] = False
                max_sim = np.maximum(max_sim, sims[rows, j])
        return out_i, out_v

    # ----------------------------------------------------------- explanations
    def _feature_info(self):
        if self._names is None:
            self._names = self.vectorizer.feature_names()
            self._author_mask = self.vectorizer.is_author_feature()
        return self._names, self._author_mask

    def _terms_pairs(self, profiles: sp.csr_matrix, candidates: sp.csr_matrix,
                     t_of: np.ndarray, c_of: np.ndarray) -> list[list[str]]:
        """Features with the largest profile*candidate contribution, per (target, candidate) pair.

        Author features are shown only when one contributes at least as much
        as the best word of that pair (i.e. the author drove the match).
        """
        contrib = sp.csr_matrix(profiles[t_of].multiply(candidates[c_of]))
        contrib.sum_duplicates()
        names, author = self._feature_info()
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
        take = rank < self.n_terms
        out: list[list[str]] = [[] for _ in range(n_pairs)]
        for r, i in zip(row[take].tolist(), idx[take].tolist()):
            out[r].append(str(names[i]))
        return out

    def _similar_pairs(self, candidates: sp.csr_matrix, batch: TargetBatch,
                       t_of: np.ndarray, c_of: np.ndarray, chunk: int = 200_000) -> list:
        """Most similar liked paper (key, or position in the target's likes) per pair; None if none."""
        n_pairs = t_of.size
        w = batch.like_weights
        counts = np.diff(w.indptr)[t_of]
        total = int(counts.sum())
        out: list = [None] * n_pairs
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
        for p, b, m in zip(np.flatnonzero(has).tolist(), best.tolist(), seg_max.tolist()):
            if m <= 0:
                continue
            key = keys[liked_row[b]] if keys is not None else None
            out[p] = key if key is not None else int(local[b])
        return out

    def _explain_pairs(self, candidates, batch, profiles, t_of, c_of):
        return (self._terms_pairs(profiles, candidates, t_of, c_of),
                self._similar_pairs(candidates, batch, t_of, c_of))

    def explain(self, candidate: sp.csr_matrix, target: Target) -> tuple[list[str], object | None]:
        """Terms and most similar liked paper for one candidate row, shape (1, n_features)."""
        candidate = sp.csr_matrix(candidate, dtype=np.float32)
        batch = self.batch([target], candidate.shape[1], None)
        profiles = self.profiles(batch)
        zero = np.zeros(1, dtype=np.int64)
        terms, similar = self._explain_pairs(candidate, batch, profiles, zero, zero)
        return terms[0], similar[0]

    # ----------------------------------------------------------------- search
    def search(
        self,
        query: str,
        papers: sp.csr_matrix,
        k: int = 10,
        *,
        target: Target | None = None,
    ) -> list[tuple[int, float]]:
        """Free-text search ranked by TF-IDF cosine, optionally personalised.

        Parameters
        ----------
        query : str
        papers : csr_matrix, shape (n_papers, n_features)
        k : int, default 10
        target : Target, optional
            When given, the best ``max(100, 10 k)`` matches are re-ranked by
            ``(1 - w) * relevance + w * personal score`` with
            ``w = search_personal_weight``; ``target.exclude`` is ignored
            (search shows everything that matches).

        Returns
        -------
        list of (row index, score)
            Best first; only papers sharing at least one term with the query.
            Empty for an empty or out-of-vocabulary query.
        """
        papers = sp.csr_matrix(papers, dtype=np.float32)
        q = self.vectorizer.transform_text([query])
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
        personal, profiles = self.score(papers[pool], [target])
        if np.diff(profiles.indptr)[0] == 0:
            mixed = rel[pool]
        else:
            w = self.search_personal_weight
            mixed = (1 - w) * rel[pool] + w * personal[0]
        order = top_k_indices(mixed.astype(np.float64), k)
        return [(int(pool[i]), float(mixed[i])) for i in order]
