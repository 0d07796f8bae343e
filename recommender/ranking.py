"""Scoring, top-k with exclusion, MMR diversification, explanations and search.

All candidates are scored against all targets at once: profiles are stacked
into one sparse matrix and multiplied with the candidate matrix; top-k uses
``numpy.argpartition``.

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

from .model import AUTHOR_PREFIX, PaperVectorizer
from .profiles import batch_profiles, decay_weights, owner_matrix

__all__ = ["Target", "Pick", "Ranker", "mmr_select", "top_k_indices"]


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
    """Keep the ``m`` largest positive entries of each CSR row (ties: lower column)."""
    mat.sum_duplicates()
    data, indices, indptr = mat.data, mat.indices, mat.indptr
    keep = np.zeros(data.shape[0], dtype=bool)
    for r in range(mat.shape[0]):
        lo, hi = indptr[r], indptr[r + 1]
        if hi - lo <= m:
            keep[lo:hi] = True
        else:
            part = np.argpartition(-data[lo:hi], m - 1)[:m]
            keep[lo + part] = True
    keep &= data > 0
    cum = np.concatenate([[0], np.cumsum(keep)])
    new_indptr = cum[indptr]
    return sp.csr_matrix((data[keep], indices[keep], new_indptr), shape=mat.shape)


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
    knn_weight : float in [0, 1], default 0.5
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
        ui.data[:] = 1.0
        co = sp.csr_matrix(ui.T @ ui)
        pop = np.sqrt(np.maximum(co.diagonal(), 1.0)).astype(np.float32)
        inv = sp.diags(1.0 / pop)
        co = sp.csr_matrix(inv @ co @ inv, dtype=np.float32)
        if self.community_item_neighbors:
            co = _top_m_rows(co, self.community_item_neighbors)  # item-kNN: keep the strongest co-likes
        self._community = {"items": items, "items_t": sp.csr_matrix(items.T), "co": co,
                           "index": {k: i for i, k in enumerate(keys)}}
        return self

    def clear_community(self) -> "Ranker":
        """Forget the community; ranking falls back to text-only profiles."""
        self._community = None
        return self

    def _community_scores(self, targets: Sequence[Target], candidates: sp.csr_matrix) -> np.ndarray | None:
        com = self._community
        index = com["index"]
        rows, cols, vals = [], [], []
        for t_idx, t in enumerate(targets):
            n = t.liked.shape[0] if t.liked is not None else 0
            if not n or len(t.liked_keys) != n:
                continue
            ages = t.liked_age_days if len(t.liked_age_days) == n else np.zeros(n)
            w = decay_weights(ages, self.half_life_days)
            for key, wk in zip(t.liked_keys, w):
                j = index.get(key)
                if j is not None:
                    rows.append(t_idx)
                    cols.append(j)
                    vals.append(wk)
        if not rows:
            return None
        n_i = com["items"].shape[0]
        rt = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(targets), n_i))
        knn = _top_m_rows(sp.csr_matrix(candidates @ com["items_t"]), self.community_neighbors)
        if self.community_power != 1:
            knn.data **= self.community_power
        sums = np.asarray(knn.sum(axis=1)).ravel()
        knn = sp.csr_matrix(sp.diags(1.0 / np.maximum(sums, 1e-9)) @ knn, dtype=np.float32)
        prop = sp.csr_matrix(knn @ com["co"])  # (n_c, n_i): candidate -> co-liked community items
        out = (rt @ prop.T).toarray()  # (n_t, n_c)
        top_val = out.max(axis=1, keepdims=True)
        top_val[top_val <= 0] = 1.0
        return out / top_val

    # --------------------------------------------------------------- scoring
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
        """Stack rated rows of all targets; returns (unique_rows, W (n_t, n_unique))."""
        mats, owners, weights, keys = [], [], [], []
        for t_idx, t in enumerate(targets):
            mat = getattr(t, which)
            n = mat.shape[0] if mat is not None else 0
            if not n:
                continue
            if mat.shape[1] != n_features:
                raise ValueError(f"target {t_idx}: {which} has {mat.shape[1]} features, expected {n_features}")
            ages = getattr(t, f"{which}_age_days")
            ages = np.zeros(n) if ages is None or len(ages) == 0 else np.asarray(ages, dtype=float)
            if ages.shape[0] != n:
                raise ValueError(f"target {t_idx}: {n} {which} rows but {ages.shape[0]} ages")
            mats.append(sp.csr_matrix(mat))
            owners.append(np.full(n, t_idx))
            weights.append(decay_weights(ages, self.half_life_days))
            tk = t.liked_keys if which == "liked" and dedup and len(t.liked_keys) == n else None
            keys.extend(("k", k) for k in tk) if tk is not None else keys.extend(("r", t_idx, i) for i in range(n))
        if not mats:
            return _empty_csr(n_features), sp.csr_matrix((len(targets), 0))
        rows = sp.vstack(mats, format="csr")
        owner = np.concatenate(owners)
        w = owner_matrix(owner, np.concatenate(weights), len(targets))
        first: dict = {}
        inverse = np.fromiter((first.setdefault(k, len(first)) for k in keys), dtype=np.int64, count=len(keys))
        if len(first) == len(keys):
            return rows, w
        uniq_pos = np.zeros(len(first), dtype=np.int64)
        uniq_pos[inverse[::-1]] = np.arange(len(keys))[::-1]
        merge = sp.csr_matrix((np.ones(len(keys)), (np.arange(len(keys)), inverse)), shape=(len(keys), len(first)))
        return rows[uniq_pos], sp.csr_matrix(w @ merge)

    def _profiles(self, targets: Sequence[Target], n_features: int):
        liked_rows, w_like = self._stack(targets, "liked", n_features, dedup=True)
        dis_rows, w_dis = self._stack(targets, "disliked", n_features, dedup=False)
        interests = self._interests(targets, n_features)
        liked_c = sp.csr_matrix(w_like @ liked_rows) if liked_rows.shape[0] else sp.csr_matrix((len(targets), n_features))
        dis_c = sp.csr_matrix(w_dis @ dis_rows) if dis_rows.shape[0] else None
        profiles = batch_profiles(
            interests,
            liked_c,
            dis_c,
            interest_weight=self.interest_weight,
            like_weight=self.like_weight,
            dislike_weight=self.dislike_weight,
        )
        return profiles, liked_rows, w_like

    def _knn_scores(self, liked_rows, w_like, candidates, block_cells: int = 20_000_000) -> np.ndarray:
        """Power mean over each target's liked papers of max(0, cos), shape (n_t, n_c)."""
        n_t, n_c = w_like.shape[0], candidates.shape[0]
        out = np.zeros((n_t, n_c), dtype=np.float32)
        n_u = liked_rows.shape[0]
        if n_u == 0:
            return out
        p = float(self.knn_power)
        w = sp.csr_matrix(w_like, dtype=np.float32)
        cand_t = sp.csr_matrix(candidates.T)
        step = max(1, block_cells // max(n_u, 1))
        liked_rows = sp.csr_matrix(liked_rows, dtype=np.float32)
        for lo in range(0, n_c, step):
            sims = (liked_rows @ cand_t[:, lo : lo + step]).toarray()
            np.maximum(sims, 0, out=sims)
            if p != 1:
                np.power(sims, p, out=sims)
            agg = np.asarray(w @ sims)
            out[:, lo : lo + step] = agg if p == 1 else np.power(agg, 1.0 / p)
        return out

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
        n_c, n_features = candidates.shape
        profiles, liked_rows, w_like = self._profiles(targets, n_features)
        scores = np.asarray((profiles @ candidates.T).toarray(), dtype=np.float32)
        if self.knn_weight > 0 and liked_rows.shape[0]:
            has_likes = np.asarray(w_like.sum(axis=1)).reshape(-1) > 0
            knn = self._knn_scores(liked_rows, w_like, candidates)
            mix = np.where(has_likes, self.knn_weight, 0.0).astype(np.float32)[:, None]
            scores = (1 - mix) * scores + mix * knn
        if self._community is not None and self.community_weight > 0:
            com = self._community_scores(targets, candidates)
            if com is not None:
                scores = scores + np.float32(self.community_weight) * com
        if candidate_priors is not None:
            priors = np.asarray(candidate_priors, dtype=np.float32).reshape(-1)
            if priors.shape[0] != n_c:
                raise ValueError(f"{priors.shape[0]} priors for {n_c} candidates")
        else:
            priors = np.zeros(n_c, dtype=np.float32)
        empty = np.diff(profiles.indptr) == 0
        scores += self.prior_weight * priors[None, :]
        if empty.any():
            # nothing known: rank by the prior alone (candidate order breaks ties)
            scores[empty] = priors[None, :]
        return scores, profiles

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
            Fill ``terms`` and ``similar_to``; False leaves them empty/None
            (faster, used by the evaluation).

        Returns
        -------
        list (length n_targets) of list of Pick
            Best first, at most ``k`` each (fewer when fewer candidates are
            left after exclusion).
        """
        if not targets:
            return []
        candidates = sp.csr_matrix(candidates, dtype=np.float32)
        scores, profiles = self.score(candidates, targets, candidate_priors=candidate_priors)
        n_c = candidates.shape[0]
        for t_idx, t in enumerate(targets):
            if t.exclude:
                ex = np.fromiter((i for i in t.exclude if 0 <= i < n_c), dtype=np.int64)
                scores[t_idx, ex] = -np.inf
        pool = k if self.mmr_lambda <= 0 else max(self.mmr_pool, 3 * k)
        out: list[list[Pick]] = []
        for t_idx, t in enumerate(targets):
            best = top_k_indices(scores[t_idx], pool)
            if self.mmr_lambda > 0 and len(best) > 1:
                sub = candidates[best]
                sim = (sub @ sub.T).toarray()
                best = best[mmr_select(scores[t_idx, best], sim, k, self.mmr_lambda)]
            best = best[:k]
            picks = []
            for idx in best:
                terms, similar = ([], None)
                if explain:
                    terms = self._terms(profiles[t_idx], candidates[idx])
                    similar = self._similar_to(t, candidates[idx])
                picks.append(Pick(int(idx), float(scores[t_idx, idx]), terms, similar))
            out.append(picks)
        return out

    # ----------------------------------------------------------- explanations
    def _feature_info(self):
        if self._names is None:
            self._names = self.vectorizer.feature_names()
            self._author_mask = self.vectorizer.is_author_feature()
        return self._names, self._author_mask

    def _terms(self, profile: sp.csr_matrix, candidate: sp.csr_matrix) -> list[str]:
        """Features with the largest profile*candidate contribution.

        Author features are shown only when one contributes at least as much
        as the best word (i.e. the author drove the match).
        """
        contrib = sp.csr_matrix(profile.multiply(candidate))
        if contrib.nnz == 0:
            return []
        names, author = self._feature_info()
        idx, val = contrib.indices, contrib.data
        keep = val > 0
        idx, val = idx[keep], val[keep]
        if idx.size == 0:
            return []
        is_auth = author[idx]
        best_word = val[~is_auth].max() if (~is_auth).any() else 0.0
        ok = ~is_auth | (val >= best_word)
        idx, val = idx[ok], val[ok]
        order = np.lexsort((idx, -val))[: self.n_terms]
        return [str(names[i]) for i in idx[order]]

    def _similar_to(self, target: Target, candidate: sp.csr_matrix):
        if target.liked is None or target.liked.shape[0] == 0:
            return None
        sims = np.asarray((target.liked @ candidate.T).toarray()).reshape(-1)
        j = int(np.argmax(sims))
        if sims[j] <= 0:
            return None
        keys = target.liked_keys
        return keys[j] if len(keys) == target.liked.shape[0] else j

    def explain(self, candidate: sp.csr_matrix, target: Target) -> tuple[list[str], object | None]:
        """Terms and most similar liked paper for one candidate row, shape (1, n_features)."""
        candidate = sp.csr_matrix(candidate, dtype=np.float32)
        profiles, _, _ = self._profiles([target], candidate.shape[1])
        return self._terms(profiles[0], candidate), self._similar_to(target, candidate)

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
