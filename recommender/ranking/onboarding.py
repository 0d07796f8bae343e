"""Onboarding by rating: which papers a newcomer rates first, and which next.

A person with no interests and no feedback rates two rounds of papers before
their first picks (:mod:`bot.commands.onboarding` runs the conversation).

- The **opening round** covers the corpus and finds likes: each candidate's
  relevance mixes how central it is (its cosine to the corpus centroid, which
  grows with the size of the cluster it sits in) and how popular it is (👍
  given by others, upvotes), and for a newcomer who declared interests how
  well it fits them, then the one MMR (:mod:`.mmr`) keeps the round diverse.  Popularity matters: most papers of a corpus are 👎 to any one
  person, and a round of 👎 teaches the profile little.
- The **follow-up round** asks about what the first ratings leave uncertain:
  with at least one 👍, the candidates whose score under the current profile
  lies closest to the boundary between the person's 👍 and 👎 (the midpoint of
  their mean scores), weighted by popularity, again through MMR.  With no 👍
  yet it explores: the opening's recipe, away from the papers given 👎.

Both are pure functions over matrices; :mod:`recommender.picks_onboarding`
reads the store and :mod:`benchmarks.onboarding` the CiteULike data.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .mmr import mmr_rows

__all__ = ["ROUND_SIZE", "opening_round", "follow_up_round"]

#: Papers per onboarding round.
ROUND_SIZE = 8

#: Candidates MMR chooses from (the most relevant ones).
_POOL = 200


def _scaled(values: np.ndarray) -> np.ndarray:
    """Min-max scaled to [0, 1] (all zeros when constant)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    span = values.max() - values.min()
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def _popularity(popularity: np.ndarray | None, n: int) -> np.ndarray:
    if popularity is None:
        return np.zeros(n)
    pop = np.asarray(popularity, dtype=np.float64).reshape(-1)
    if pop.shape[0] != n:
        raise ValueError(f"{pop.shape[0]} popularity values for {n} candidates")
    return _scaled(np.log1p(np.maximum(pop, 0.0)))


def _diverse(candidates: sp.csr_matrix, relevance: np.ndarray, k: int, available: np.ndarray,
             diversity: float) -> np.ndarray:
    """MMR over the ``_POOL`` most relevant available candidates; candidate rows, in pick order."""
    rows = np.flatnonzero(available)
    if rows.size == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    pool = rows[np.argsort(-relevance[rows], kind="stable")[: max(_POOL, 3 * k)]]
    sub = sp.csr_matrix(candidates[pool], dtype=np.float32)
    order, _ = mmr_rows(sub, np.arange(pool.size, dtype=np.int64)[None, :],
                        relevance[pool][None, :].astype(np.float32), k, diversity)
    picked = order[0][order[0] >= 0]
    return pool[picked]


def _centrality(candidates: sp.csr_matrix) -> np.ndarray:
    """Each unit row's cosine to the candidates' mean row: high in large clusters."""
    centroid = np.asarray(candidates.mean(axis=0)).reshape(-1)
    return np.asarray(candidates @ centroid).reshape(-1)


def opening_round(
    candidates: sp.csr_matrix,
    k: int = ROUND_SIZE,
    *,
    popularity: np.ndarray | None = None,
    popularity_weight: float = 0.6,
    diversity: float = 0.5,
    exclude: np.ndarray | None = None,
    fit: np.ndarray | None = None,
    fit_weight: float = 0.7,
) -> np.ndarray:
    """The first ``k`` papers a newcomer rates: central, popular and diverse, and near what they declared.

    Parameters
    ----------
    candidates : csr_matrix, shape (n_candidates, n_features)
        Unit-norm TF-IDF rows of the recent papers.
    k : int
        Papers to choose.
    popularity : ndarray, shape (n_candidates,), optional
        Non-negative counts (others' 👍, upvotes); log-scaled internally.
    popularity_weight : float in [0, 1]
        Share of popularity (versus centrality) in the relevance MMR reads.
    diversity : float in [0, 1]
        MMR's diversity weight.
    exclude : ndarray of bool, shape (n_candidates,), optional
        Candidates never to choose (already blocked).
    fit : ndarray, shape (n_candidates,), optional
        Each candidate's score under the newcomer's declared interests (``Ranker.score``); None: none declared.
        A trial's readers of recommender systems and of robotics were asked about the same first three papers.
    fit_weight : float in [0, 1]
        Share of the (min-max scaled) fit in the relevance, with ``fit``; the rest is centrality and popularity.
        0.7: on the bundled samples a speech-recognition reader's first round holds four of the five papers
        ``paperbot search "speech recognition"`` lists first, one at 0.5 (MMR spreads the rest), none without.

    Returns
    -------
    ndarray of int64, shape (<= k,)
        Candidate rows, in the order to show them.

    Raises
    ------
    ValueError
        When ``popularity``, ``exclude`` or ``fit`` does not have one entry per candidate.
    """
    candidates = sp.csr_matrix(candidates)
    n = candidates.shape[0]
    relevance = (1 - popularity_weight) * _scaled(_centrality(candidates)) + popularity_weight * _popularity(popularity, n)
    if fit is not None:
        fit = np.asarray(fit, dtype=np.float64).reshape(-1)
        if fit.shape[0] != n:
            raise ValueError(f"{fit.shape[0]} fit values for {n} candidates")
        relevance = (1 - fit_weight) * relevance + fit_weight * _scaled(np.where(np.isfinite(fit), fit, 0.0))
    return _diverse(candidates, relevance, k, _available(exclude, n), diversity)


def _available(exclude: np.ndarray | None, n: int) -> np.ndarray:
    if exclude is None:
        return np.ones(n, dtype=bool)
    exclude = np.asarray(exclude, dtype=bool).reshape(-1)
    if exclude.shape[0] != n:
        raise ValueError(f"{exclude.shape[0]} exclusions for {n} candidates")
    return ~exclude


def follow_up_round(
    candidates: sp.csr_matrix,
    scores: np.ndarray,
    liked: np.ndarray,
    disliked: np.ndarray,
    k: int = ROUND_SIZE,
    *,
    popularity: np.ndarray | None = None,
    popularity_weight: float = 0.5,
    diversity: float = 0.3,
    mode: str = "boundary",
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    """The next ``k`` papers to rate, chosen from what the ratings so far leave uncertain.

    Parameters
    ----------
    candidates : csr_matrix, shape (n_candidates, n_features)
        Unit-norm TF-IDF rows (the same candidates the opening round chose from).
    scores : ndarray, shape (n_candidates,)
        Each candidate's score under the person's current profile (the ranker's).
    liked, disliked : ndarray of int
        Candidate rows the person gave 👍 / 👎 (never chosen again).
    k : int
    popularity : ndarray, shape (n_candidates,), optional
    popularity_weight : float in [0, 1]
        Share of popularity in the relevance MMR reads.
    diversity : float in [0, 1]
        MMR's diversity weight.
    mode : {"boundary", "top"}
        ``boundary``: closest to the midpoint of the mean 👍 and mean 👎 scores
        (the uncertain ones); ``top``: the highest scores (the likely 👍).
    exclude : ndarray of bool, shape (n_candidates,), optional
        Other candidates never to choose (shown before, blocked elsewhere).

    Returns
    -------
    ndarray of int64, shape (<= k,)

    Raises
    ------
    ValueError
        On an unknown ``mode`` or mismatched lengths.
    """
    candidates = sp.csr_matrix(candidates)
    n = candidates.shape[0]
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if scores.shape[0] != n:
        raise ValueError(f"{scores.shape[0]} scores for {n} candidates")
    if mode not in ("boundary", "top"):
        raise ValueError(f"unknown mode {mode!r}")
    liked, disliked = np.asarray(liked, dtype=np.int64), np.asarray(disliked, dtype=np.int64)
    blocked = ~_available(exclude, n)
    blocked[liked], blocked[disliked] = True, True
    pop = _popularity(popularity, n)
    finite = np.where(np.isfinite(scores), scores, np.nan)
    if liked.size == 0 or np.all(np.isnan(finite[~blocked])):
        # nothing liked yet: explore the corpus away from the 👎
        relevance = 0.3 * _scaled(_centrality(candidates)) + 0.7 * pop
        if disliked.size:
            away = np.asarray((candidates @ candidates[disliked].T).max(axis=1).todense()).reshape(-1)
            relevance = relevance - 0.5 * away
        return _diverse(candidates, relevance, k, ~blocked, diversity)
    fill = np.nanmin(finite) if np.isfinite(np.nanmin(finite)) else 0.0
    finite = np.nan_to_num(finite, nan=fill)
    if mode == "top":
        certainty = _scaled(finite)
    else:
        low = finite[disliked].mean() if disliked.size else np.median(finite)
        boundary = (finite[liked].mean() + low) / 2.0
        certainty = 1.0 - _scaled(np.abs(finite - boundary))
    relevance = (1 - popularity_weight) * certainty + popularity_weight * pop
    return _diverse(candidates, relevance, k, ~blocked, diversity)
