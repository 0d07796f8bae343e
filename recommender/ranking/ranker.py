"""The ranker: scores, exclusion, top-k, MMR and explanations for many targets at once.

All targets are ranked in one batch (:class:`~recommender.ranking.targets.TargetBatch`): the liked rows of
everybody are stacked once, the profiles are one sparse matrix (:func:`~recommender.ranking.profiles.rocchio_profiles`),
and the scores are computed in blocks of targets side by side (:mod:`recommender.ranking.blocks`), with
exclusions as ``-inf`` and a vectorised top-k (:func:`~recommender.ranking.topk.top_k_matrix`).
With a corpus (:meth:`Ranker.set_corpus`), each candidate's nearest known
papers carry the share a target liked and the community's co-likes
(:mod:`recommender.ranking.neighbourhood`).
:meth:`Ranker.rank` turns its :class:`Target` list into a batch; the offline
evaluation builds the batch straight from its user-item matrix
(:meth:`Ranker.top_k_batch`).  MMR (:mod:`recommender.ranking.mmr`) runs on
all targets' top pools at once, and explanations
(:mod:`recommender.ranking.explain`) are computed for the picks only.

The score formula is in :mod:`recommender.ranking.scoring`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..text.frozen import TextVectorizer
from .blocks import map_blocks
from .community import Community, add_corpus_terms, build_community
from .explain import ScoredRow, nearest_interest, nearest_liked, top_terms
from .mmr import mmr_rows
from .neighbourhood import Corpus, NeighbourCache, Neighbours, make_corpus, neighbourhood
from .profiles import declared_targets, expand_interests, interest_seeds, rocchio_profiles
from .scoring import Scoring, block_scores, prior_array
from .semantic import SemanticInputs, embed_interests, semantic_profiles
from .targets import Target, TargetBatch, batch_of
from .topk import top_k_matrix

__all__ = ["Ranker", "ScoredRow"]


class Ranker:
    """Rank candidate papers for many targets at once.

    Parameters
    ----------
    vectorizer : TextVectorizer
        Fitted; supplies ``transform_text`` for interests and queries and the
        feature names for explanations.
    half_life_days : float, default 30.0
        Recency half-life of 👍/👎 in days (``inf`` = no decay).
    mmr_lambda : float in [0, 1], default 0.3
        Diversity weight of MMR; 0 turns MMR off.
    interest_weight, like_weight, dislike_weight : float, default 1.0, 1.0, 0.25
        Rocchio weights (see :mod:`recommender.ranking.profiles`).
    prior_weight : float, default 0.02
        Weight of ``candidate_priors`` for targets that have a profile.
        Targets with nothing at all (no interests, no likes) are ranked by
        the priors alone (or :meth:`rank`'s ``cold_start_priors``), or by candidate order when none are given.
    mmr_pool : int, default 50
        How many top candidates MMR re-orders (at least ``3 * k``).
    n_terms : int, default 10
        Terms per explanation, best first (:func:`recommender.reasons.nameable_terms` picks what to say).
    embedder : PaperEmbedder, optional
        Embeds interests texts for the semantic profile
        (:mod:`recommender.text.embeddings`); None leaves interests TF-IDF only.
    semantic_weight : float in [0, 1], default 0.5
        Share of the embedding cosine in the hybrid score (used only when
        candidate embeddings are given; see :mod:`recommender.ranking.semantic`).
    interest_feedback : int, default 3
        Best candidates added to the profile of a target with declared interests (0: off; see ``expand_interests``).
    neighbourhood_weight : float, default 0.5
        Weight of the share of a candidate's nearest corpus papers that the
        target liked (its per-target maximum is scaled to this; needs a corpus
        of more than ``neighbors`` papers, see :meth:`set_corpus`).
    community_weight : float, default 0.5
        Largest weight of the community signal (its per-target maximum is
        scaled to this, times the evidence shrinkage).
    community_shrinkage : float, default 30.0
        Evidence ``E`` (teammates' 👍 on the target's liked papers) at which
        the community gets half of ``community_weight``: ``E / (E + this)``.
    community_min_members : int, default 2
        Fewest people with a 👍 for :meth:`set_community` to give the ranker a community (a smaller
        team's picks are a lone reader's); why not more: :mod:`recommender.ranking.community`.
    neighbors : int, default 100
        Nearest corpus papers (hybrid cosine) that vote for a candidate.
    neighbor_power : float, default 2.0
        Exponent of those neighbours' cosines.
    community_item_neighbors : int or None, default 20
        Strongest co-likes kept per community paper (None = all).  20 rather
        than 50 on the dev split: every team of ``paperbot eval --team-size``
        stays at or above the lone reader (50 left random teams of 100 on
        citeulike-t below it), and the ranking is faster; ``paperbot eval
        --ranker-param community_item_neighbors=50`` measures the other.
    center_interests : bool, default False
        Centre declared interests' embeddings like papers' (default: the mean's direction out; ``semantic.interest_rows``).
    split_interests : bool, default True
        Each declared interest (``targets.interest_parts``) weighs alike in the profile and its expansion; False reads
        them as one text, where one field outweighed the other (``benchmarks/two_interests.py``).
    block_cells : int, default 1_000_000
        Dense scores are computed for blocks of targets of about this many cells (targets x candidates),
        :data:`~recommender.ranking.blocks.BLOCK_THREADS` blocks side by side: bounded memory (4 MB of float32 each).

    Raises
    ------
    ValueError
        If ``mmr_lambda`` or ``semantic_weight`` is outside [0, 1].
    """

    def __init__(
        self,
        vectorizer: TextVectorizer,
        *,
        half_life_days: float = 30.0, mmr_lambda: float = 0.3, mmr_pool: int = 50, n_terms: int = 10,
        interest_weight: float = 1.0, like_weight: float = 1.0, dislike_weight: float = 0.25,
        prior_weight: float = 0.02, interest_feedback: int = 3,
        embedder=None, semantic_weight: float = 0.5,
        neighbourhood_weight: float = 0.5, community_weight: float = 0.5, community_shrinkage: float = 30.0,
        community_min_members: int = 2, neighbors: int = 100, neighbor_power: float = 2.0,
        community_item_neighbors: int | None = 20, block_cells: int = 1_000_000, center_interests: bool = False,
        split_interests: bool = True,
    ):
        if not 0.0 <= mmr_lambda <= 1.0:
            raise ValueError("mmr_lambda must be in [0, 1]")
        if not 0.0 <= semantic_weight <= 1.0:
            raise ValueError("semantic_weight must be in [0, 1]")
        self.embedder, self.semantic_weight = embedder, semantic_weight
        self.community_min_members = community_min_members
        self.vectorizer, self.half_life_days, self.block_cells = vectorizer, half_life_days, block_cells
        self.center_interests, self.community_shrinkage, self.split_interests = center_interests, community_shrinkage, split_interests
        self.mmr_lambda, self.mmr_pool, self.n_terms = mmr_lambda, mmr_pool, n_terms
        self.interest_weight, self.like_weight, self.dislike_weight = interest_weight, like_weight, dislike_weight
        self.prior_weight, self.interest_feedback = prior_weight, interest_feedback
        self.neighbourhood_weight, self.community_weight = neighbourhood_weight, community_weight
        self.neighbors, self.neighbor_power, self.community_item_neighbors = neighbors, neighbor_power, community_item_neighbors
        self.community: Community | None = None
        self.corpus: Corpus | None = None
        self._neighbours = NeighbourCache()
        self._features: tuple[np.ndarray, np.ndarray] | None = None
        self._transposed: tuple[object, sp.csr_matrix] | None = None  # (caller's candidates, transpose as CSR)

    # ------------------------------------------------------------- community
    def set_community(self, item_vectors: sp.csr_matrix, user_items: sp.csr_matrix,
                      item_keys: Sequence | None = None) -> Ranker:
        """Give the ranker a team's 👍 so it can learn which papers go together; returns this ranker.

        ``item_vectors``: TF-IDF rows of the papers anybody liked, shape
        (n_items, n_features); ``user_items``: who liked what, shape (n_users,
        n_items), binary; ``item_keys`` (default ``range(n_items)``) are matched
        against :attr:`Target.liked_keys` and the corpus keys (see
        :mod:`recommender.ranking.community`).  Fewer than ``community_min_members``
        people with a 👍 leave the ranker without a community.  Raises ValueError on mismatched shapes.
        """
        users = sp.csr_matrix(user_items)
        enough = np.count_nonzero(np.diff(users.indptr)) >= self.community_min_members
        self.community = build_community(item_vectors, users, item_keys, self.community_item_neighbors) if enough else None
        return self

    def clear_community(self) -> Ranker:
        """Forget the community; ranking falls back to text-only profiles."""
        self.community = None
        return self

    def set_corpus(self, vectors: sp.csr_matrix, keys: Sequence | None = None,
                   embeddings: np.ndarray | None = None) -> Ranker:
        """Give the ranker the papers known before the candidates; returns this ranker.

        Arguments as :func:`~recommender.ranking.neighbourhood.make_corpus`:
        unit TF-IDF rows, shape (n_items, n_features), keys matched against
        :attr:`Target.liked_keys` and the community's item keys, unit
        embeddings, shape (n_items, dim).  Raises ValueError on mismatched lengths.
        """
        self.corpus = make_corpus(vectors, keys, embeddings)
        return self

    # ---------------------------------------------------------------- batches
    def batch(self, targets: Sequence[Target], n_features: int, n_candidates: int | None = None) -> TargetBatch:
        """:func:`~recommender.ranking.targets.batch_of` with this ranker's vectorizer and half-life; with an
        ``embedder``, each declared interest embedded too (:func:`~recommender.ranking.semantic.embed_interests`)."""
        batch = batch_of(targets, n_features, n_candidates, vectorizer=self.vectorizer,
                         half_life_days=self.half_life_days, split_interests=self.split_interests)
        if self.embedder is not None:
            embed_interests(batch, targets, self.embedder, split=self.split_interests)
        return batch

    def profiles(self, batch: TargetBatch) -> sp.csr_matrix:
        """Rocchio profiles of a batch, shape (n_targets, n_features), float32, unit rows (zero = nothing known)."""
        return rocchio_profiles(batch, interest_weight=self.interest_weight, like_weight=self.like_weight,
                                dislike_weight=self.dislike_weight)

    # --------------------------------------------------------------- scoring
    def _prepare(self, candidates: sp.csr_matrix, batch: TargetBatch, candidate_priors,
                 semantic: SemanticInputs | None = None, cache_key: tuple = ()) -> Scoring:
        n_c, n_features = candidates.shape
        if batch.liked.shape[1] != n_features:
            raise ValueError(f"liked rows have {batch.liked.shape[1]} features, candidates {n_features}")
        priors = prior_array(candidate_priors, n_c)
        profiles = self.profiles(batch)
        scoring = Scoring(
            profiles=profiles,
            cand_t=self._transpose(candidates, cache_key[0] if cache_key else candidates),
            priors=priors,
            empty=np.diff(profiles.indptr) == 0,
            exclude=None if batch.exclude is None else sp.csr_matrix(batch.exclude, dtype=bool),
        )
        cand_emb = mean = None
        if semantic is not None and self.semantic_weight > 0:
            if semantic.candidates.shape[0] != n_c:
                raise ValueError(f"{semantic.candidates.shape[0]} candidate embeddings for {n_c} candidates")
            cand_emb, mean = semantic.centered_candidates()
            scoring.semantic, scoring.mean = (semantic_profiles(batch, mean, interest_weight=self.interest_weight, like_weight=self.like_weight,
                                                                center_interests=self.center_interests), np.ascontiguousarray(cand_emb.T)), mean
        declared = declared_targets(batch, semantic=scoring.semantic is not None)
        sem = None if scoring.semantic is None else scoring.semantic[0]
        scoring.expanded, sem = expand_interests(scoring.profiles, sem, candidates, cand_emb, declared,
                                                 semantic_weight=self.semantic_weight, top=self.interest_feedback,
                                                 candidates_t=scoring.cand_t, seeds=interest_seeds(batch, declared, mean, centered=self.center_interests))
        if scoring.semantic is not None and sem is not None:
            scoring.semantic = (sem, scoring.semantic[1])
        if scoring.semantic is not None:  # interests with no word of the vocabulary still have a meaning
            scoring.empty &= ~np.any(scoring.semantic[0] != 0, axis=1)
        self._prepare_neighbourhood(scoring, candidates, batch, cand_emb, mean, cache_key)
        return scoring

    def _transpose(self, candidates: sp.csr_matrix, given: object) -> sp.csr_matrix:
        """``candidates.T`` as CSR, shape (n_features, n_candidates); kept while the caller passes the same
        object ``given`` (a day's digests rank one candidate matrix target by target)."""
        cached = self._transposed
        if cached is not None and cached[0] is given:
            return cached[1]
        cand_t = sp.csr_matrix(candidates.T)
        self._transposed = (given, cand_t)
        return cand_t

    def _prepare_neighbourhood(self, scoring: Scoring, candidates: sp.csr_matrix, batch: TargetBatch,
                               cand_emb: np.ndarray | None, mean: np.ndarray | None, cache_key: tuple) -> None:
        """The share and community terms of ``scoring`` (:func:`~recommender.ranking.community.add_corpus_terms`)."""
        community = self.community if self.community_weight > 0 else None
        corpus = self.corpus
        if corpus is None and community is not None:
            corpus = make_corpus(community.items, list(community.index))  # no corpus: the liked papers alone
        share = self.corpus is not None and self.corpus.size > self.neighbors and self.neighbourhood_weight > 0
        if corpus is None or not (share or community is not None):
            return
        params = (self.semantic_weight, self.neighbors, self.neighbor_power)
        nb = self._neighbours.get((*cache_key, corpus), params, lambda: Neighbours.of(neighbourhood(
            corpus, candidates, cand_emb, mean, semantic_weight=self.semantic_weight, neighbors=self.neighbors,
            power=self.neighbor_power, block_cells=8 * self.block_cells)))  # one dense product per block: 2x faster
        add_corpus_terms(scoring, corpus, community, batch, nb, share=share, shrinkage=self.community_shrinkage)

    def _block_scores(self, sc: Scoring, lo: int, hi: int) -> np.ndarray:
        return block_scores(sc, lo, hi, semantic_weight=self.semantic_weight, community_weight=self.community_weight, prior_weight=self.prior_weight,
                            neighbourhood_weight=self.neighbourhood_weight)

    def _blocks(self, n_t: int, n_c: int) -> list[tuple[int, int]]:
        step = max(1, self.block_cells // max(n_c, 1))
        return [(lo, min(lo + step, n_t)) for lo in range(0, n_t, step)]

    def score_batch(self, candidates: sp.csr_matrix, batch: TargetBatch, *,
                    candidate_priors: np.ndarray | None = None,
                    semantic: SemanticInputs | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
        """Dense scores of every candidate for every target of ``batch`` (excluded = ``-inf``).

        ``semantic`` (the candidates' sentence embeddings) turns on the hybrid score.

        Returns
        -------
        scores : ndarray, shape (n_targets, n_candidates), float32
        profiles : csr_matrix, shape (n_targets, n_features)
        """
        sc = self._prepare(sp.csr_matrix(candidates, dtype=np.float32), batch, candidate_priors, semantic,
                           cache_key=(candidates, semantic))  # the caller's object: the neighbourhood cache's key
        n_t, n_c = batch.n_targets, sc.priors.shape[0]
        out = np.empty((n_t, n_c), dtype=np.float32)

        def one(block: tuple[int, int]) -> None:  # blocks side by side: each writes its own rows
            out[block[0]:block[1]] = self._block_scores(sc, *block)
        map_blocks(one, self._blocks(n_t, n_c))
        return out, sc.profiles

    def top_k_batch(self, candidates: sp.csr_matrix, batch: TargetBatch, k: int, *,
                    candidate_priors: np.ndarray | None = None,
                    semantic: SemanticInputs | None = None) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        """Top-k candidates of every target, computed block by block of targets.

        ``semantic`` (the candidates' sentence embeddings) turns on the hybrid score.

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
        idx, val, sc = self._top_k(candidates, batch, k, candidate_priors, semantic)
        return idx, val, sc.profiles

    def _top_k(self, candidates, batch, k, priors, semantic, cold=None) -> tuple[np.ndarray, np.ndarray, Scoring]:
        """:meth:`top_k_batch` (and :meth:`rank`'s ``cold_start_priors``), returning the :class:`Scoring` it used."""
        sc = self._prepare(sp.csr_matrix(candidates, dtype=np.float32), batch, priors, semantic,
                           cache_key=(candidates, semantic))
        sc.cold = None if cold is None else prior_array(cold, sc.priors.shape[0], "cold-start priors")
        n_t, kk = batch.n_targets, min(k, sc.priors.shape[0])
        idx, val = np.full((n_t, kk), -1, dtype=np.int64), np.full((n_t, kk), -np.inf, dtype=np.float32)

        def one(block: tuple[int, int]) -> None:
            idx[block[0]:block[1]], val[block[0]:block[1]] = top_k_matrix(self._block_scores(sc, *block), kk)
        map_blocks(one, self._blocks(n_t, sc.priors.shape[0]))
        return idx, val, sc

    def score(self, candidates: sp.csr_matrix, targets: Sequence[Target], *,
              candidate_priors: np.ndarray | None = None,
              semantic: SemanticInputs | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
        """Score every candidate for every target (no exclusion, no MMR).

        ``candidates``: L2-normalised TF-IDF rows, shape (n_candidates, n_features);
        ``candidate_priors``: popularity/recency prior in [0, 1], shape (n_candidates,);
        ``semantic``: candidate embeddings for the hybrid score.

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
        return self.score_batch(candidates, batch, candidate_priors=candidate_priors, semantic=semantic)

    # ---------------------------------------------------------------- ranking
    def rank(self, candidates: sp.csr_matrix, targets: Sequence[Target], k: int = 10, *,
             candidate_priors: np.ndarray | None = None, explain: bool = True, semantic: SemanticInputs | None = None,
             cold_start_priors: np.ndarray | None = None) -> list[list[ScoredRow]]:
        """Top-k rows per target, excluded rows never picked, MMR-diversified.

        Parameters
        ----------
        candidates : csr_matrix, shape (n_candidates, n_features)
        targets : sequence of Target, length n_targets
        k : int, default 10
        candidate_priors : ndarray, shape (n_candidates,), optional
            See :meth:`score`.  Used alone for targets with no interests and
            no likes (cold start with nothing at all), unless ``cold_start_priors`` are given.
        explain : bool, default True
            Fill ``terms``, ``similar_to`` and ``interest`` (the picks only, in one batch, :meth:`explain_pairs`); False: empty/None.
        semantic : SemanticInputs, optional
            Candidate embeddings for the hybrid score (targets' liked embeddings
            come with each :class:`Target`).
        cold_start_priors : ndarray, shape (n_candidates,), optional
            In [0, 1], the order for targets with nothing known: every candidate above 0 comes before those
            at 0, MMR ordering each group (dated papers, newest first, then undated ones).

        Returns
        -------
        list (length n_targets) of list of ScoredRow
            Best first, at most ``k`` each (fewer when fewer candidates are left after exclusion).
        """
        if not targets:
            return []
        given = candidates  # the caller's object: the neighbourhood cache knows candidates by identity
        candidates = sp.csr_matrix(candidates, dtype=np.float32)
        n_c, n_features = candidates.shape
        batch = self.batch(targets, n_features, n_c)
        pool = k if self.mmr_lambda <= 0 else max(self.mmr_pool, 3 * k)
        idx, val, sc = self._top_k(given, batch, pool, candidate_priors, semantic, cold_start_priors)
        if self.mmr_lambda > 0 and idx.shape[1] > 1:
            idx, val = mmr_rows(candidates, idx, val, k, self.mmr_lambda, first=sc.cold_start_first(idx))
        idx, val = idx[:, :k], val[:, :k]
        t_of, slot = np.nonzero(idx >= 0)
        c_of = idx[t_of, slot]
        terms: list[list[str]] = [[] for _ in range(t_of.size)]
        similar: list[object | None] = [None] * t_of.size
        near: list[int | None] = [None] * t_of.size  # which declared interest each pick is nearest in meaning
        if explain and t_of.size:
            terms, similar = self.explain_pairs(candidates, batch, sc.profiles, t_of, c_of)
            near = nearest_interest(batch, sc, t_of, c_of, centered=self.center_interests)
        out: list[list[ScoredRow]] = [[] for _ in targets]
        for n, (t, c) in enumerate(zip(t_of.tolist(), c_of.tolist(), strict=True)):
            out[t].append(ScoredRow(c, float(val[t, slot[n]]), terms[n], similar[n], near[n]))
        return out

    def explain_pairs(self, candidates: sp.csr_matrix, batch: TargetBatch, profiles: sp.csr_matrix,
                      t_of: np.ndarray, c_of: np.ndarray) -> tuple[list[list[str]], list[object | None]]:
        """Top terms and nearest liked paper of each (target row, candidate row) pair, shape (n_pairs,).

        See :func:`~recommender.ranking.explain.top_terms` and :func:`~recommender.ranking.explain.nearest_liked`.
        """
        if self._features is None:
            self._features = (self.vectorizer.feature_names(), self.vectorizer.is_author_feature())
        names, author = self._features
        return (top_terms(names, author, profiles, candidates, t_of, c_of, self.n_terms),
                nearest_liked(candidates, batch, t_of, c_of))
