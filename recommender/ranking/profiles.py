"""Profile arithmetic: Rocchio profiles with recency decay, for a whole batch of targets at once.

A profile is one vector in the TF-IDF space built from declared interests,
liked papers and disliked papers (Rocchio 1971, "Relevance feedback in
information retrieval", in *The SMART Retrieval System*)::

    profile = a * interests + b * sum_i w_i liked_i / sum_i w_i
              - c * orth(sum_j v_j disliked_j / sum_j v_j)

with recency weights ``w = 0.5 ** (age_days / half_life_days)``.  ``orth``
keeps only the part of the disliked centroid orthogonal to the liked+interests
direction, so a 👎 never cancels what the person said they like (it only
pushes away from the *other* topics of the disliked papers).  Profiles are
never stored: they are derived from the feedback at every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..text.frozen import unit_rows
from .sparse import row_normalize

if TYPE_CHECKING:
    from .targets import TargetBatch

__all__ = ["MIN_RECENCY_WEIGHT", "declared_targets", "decay_weights", "weighted_centroids", "rocchio_profiles",
           "expand_interests"]


def _unit(mat) -> sp.csr_matrix:
    """A copy of sparse ``mat`` with unit-L2 rows (zero rows stay zero), as scikit-learn's ``normalize`` gives it."""
    return unit_rows(sp.csr_matrix(mat, copy=True))


#: The least recency weight of a rating, against 1 for one of today: recency counts a 👍 of this month up to
#: double, it never erases older ones. With no floor (weights down to 1e-12) an imported library, dated by the
#: years its entries were added, was its newest entry alone (2019 weighed 2**-60 of 2024) and one 👍 of today
#: held 83% of the profile: nDCG@10 0.126 against 0.283 undecayed on citeulike-a (seed 0; 0.45x to 0.53x on
#: both datasets and seeds 0, 1). Floors of 0.25 and 0.5 lose nothing there (1.00x), 0.1 loses 1-3%; of the two, 0.5 is
#: the one at which four imported graph papers and one quantization 👍 of today both reach the top 8 of the
#: bundled samples (``benchmarks/library_age.py``; ``tests/test_library_import.py``).
MIN_RECENCY_WEIGHT = 0.5


def decay_weights(age_days, half_life_days: float, floor: float = MIN_RECENCY_WEIGHT) -> np.ndarray:
    """Exponential recency weights ``max(0.5 ** (age_days / half_life_days), floor)``.

    Parameters
    ----------
    age_days : array-like, shape (n,)
        Age of each rating in days; negative ages count as 0.
    half_life_days : float
        Days after which a rating weighs half.  ``inf`` or ``<= 0`` disables
        decay (all weights 1).
    floor : float, default :data:`MIN_RECENCY_WEIGHT`
        The least weight of an old rating (kept above 0 whatever is passed).

    Returns
    -------
    numpy.ndarray, shape (n,), float64 in (0, 1]
    """
    age = np.clip(np.asarray(age_days, dtype=np.float64).reshape(-1), 0.0, None)
    if not np.isfinite(half_life_days) or half_life_days <= 0:
        return np.ones_like(age)
    return np.maximum(np.exp2(-age / half_life_days), max(floor, 1e-12))


def weighted_centroids(weights: sp.csr_matrix, rows: sp.csr_matrix) -> sp.csr_matrix:
    """Weighted mean of ``rows`` for every row of ``weights``.

    Parameters
    ----------
    weights : csr_matrix, shape (n_targets, n_rows)
        Non-negative weights (e.g. recency decay); each row is scaled to sum 1.
    rows : sparse matrix, shape (n_rows, n_features)

    Returns
    -------
    csr_matrix, shape (n_targets, n_features), float32
        All-zero rows where a target has no weight.
    """
    return sp.csr_matrix(row_normalize(weights) @ sp.csr_matrix(rows, dtype=np.float32))


def rocchio_profiles(
    batch: TargetBatch,
    *,
    interest_weight: float = 1.0,
    like_weight: float = 1.0,
    dislike_weight: float = 0.25,
) -> sp.csr_matrix:
    """The Rocchio profile of every target of ``batch``.

    Parameters
    ----------
    batch : TargetBatch
        Interests, liked and disliked rows with their recency weights.
    interest_weight, like_weight, dislike_weight : float
        Rocchio's alpha, beta, gamma.

    Returns
    -------
    csr_matrix, shape (n_targets, n_features), float32
        Rows of unit L2 norm; all-zero rows for targets with nothing to go on
        (no interests, no likes: dislikes alone make no profile).
    """
    n_t, n_features = batch.n_targets, batch.liked.shape[1]
    if batch.liked.shape[0]:
        liked_c = weighted_centroids(batch.like_weights, batch.liked)
    else:
        liked_c = sp.csr_matrix((n_t, n_features), dtype=np.float32)
    interests = batch.interests if batch.interests is not None else sp.csr_matrix((n_t, n_features), dtype=np.float32)
    pos = sp.csr_matrix(interest_weight * interests + like_weight * liked_c, dtype=np.float64)
    if batch.disliked is not None and batch.disliked.shape[0] and dislike_weight > 0:
        dis_c = weighted_centroids(batch.dislike_weights, batch.disliked)
        if dis_c.nnz:
            unit = _unit(pos)
            neg = sp.csr_matrix(dis_c, dtype=np.float64)
            proj = np.asarray(neg.multiply(unit).sum(axis=1)).reshape(-1)
            neg = neg - sp.diags(proj) @ unit
            has_pos = np.asarray(pos.multiply(pos).sum(axis=1)).reshape(-1) > 0
            neg = sp.diags(has_pos.astype(np.float64)) @ neg  # dislikes alone make no profile
            pos = pos - dislike_weight * neg
    pos = sp.csr_matrix(pos)
    pos.eliminate_zeros()
    return sp.csr_matrix(_unit(pos), dtype=np.float32)


def declared_targets(batch: TargetBatch, *, semantic: bool) -> np.ndarray:
    """The targets whose declared interests :func:`expand_interests` widens, as positions, shape (n,), int64:
    those whose interests have a word the TF-IDF model knows, and, ranking with embeddings, those whose
    interests have an embedding (an interest of words no two papers held yet is widened by its meaning alone)."""
    if batch.interests is None:
        return np.zeros(0, dtype=np.int64)
    has = batch.interests.getnnz(axis=1) > 0
    if semantic and batch.interest_embeddings is not None:
        has |= np.any(batch.interest_embeddings != 0, axis=1)
    return np.flatnonzero(has)


#: An added candidate scores at least this share of the best match (first pass).
EXPANSION_MIN_SHARE = 0.5


Seeds = tuple[sp.csr_matrix, np.ndarray | None, np.ndarray, np.ndarray]
"""What :func:`expand_interests` chooses its candidates by (:func:`interest_seeds`)."""


def interest_seeds(batch: TargetBatch, rows: np.ndarray, mean: np.ndarray | None, *,
                   centered: bool = False) -> Seeds | None:
    """The declared interests of targets ``rows`` alone, each interest apart, for :func:`expand_interests`.

    ``centered``: their sentence embeddings centred on ``mean`` like the papers, else with the mean's
    direction taken out (:func:`~recommender.ranking.semantic.interest_rows`). A batch built without
    ``interest_parts`` (one made directly) gives each target's interests row as its one interest.

    Returns
    -------
    (csr_matrix, ndarray or None, ndarray, ndarray) or None
        The interests' TF-IDF rows, shape (n_parts, n_features); their unit sentence embeddings, shape
        (n_parts, dim) (None without ``mean`` or embeddings); the position in ``rows`` of each one's target,
        shape (n_parts,); the share of each one's words the TF-IDF model knows, shape (n_parts,) (all 1 when
        the batch does not say). None when the batch has no interests.
    """
    if batch.interests is None:
        return None
    embedded = batch.interest_embeddings
    if batch.interest_parts is None or batch.interest_owner is None:
        parts, owner = sp.csr_matrix(batch.interests[rows]), np.arange(rows.size)
        embedded = None if embedded is None else embedded[rows]
        known = np.ones(rows.size)
    else:
        position = np.full(batch.n_targets, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        kept = np.flatnonzero(position[batch.interest_owner] >= 0)
        parts, owner = sp.csr_matrix(batch.interest_parts[kept]), position[batch.interest_owner[kept]]
        embedded = None if batch.interest_part_embeddings is None or embedded is None else batch.interest_part_embeddings[kept]
        known = np.ones(kept.size) if batch.interest_known is None else batch.interest_known[kept]
    semantic = None
    if mean is not None and embedded is not None:
        from .semantic import interest_rows  # semantic imports targets, which imports this module

        semantic = interest_rows(embedded, mean, centered=centered)
    return parts, semantic, owner, known


def _agreement(lexical: np.ndarray, meaning: np.ndarray, embedded: np.ndarray, semantic_weight: float,
               known: np.ndarray | None = None) -> np.ndarray:
    """How well each candidate matches the interests in both spaces, shape (n_rows, n_candidates).

    The geometric mean of the TF-IDF and embedding cosines (negative ones as 0): a candidate
    must match in words *and* in meaning. Where the TF-IDF model knows only a share ``known``
    (shape (n_rows,), default all 1) of an interest's words, the words cannot vouch for the rest:
    the score is ``known * geometric mean + (1 - known) * embedding cosine``. Over a first week's
    papers "seismology and earthquake detection" reads as "detection" in TF-IDF, and the one
    seismic paper, which holds no "detection", scored 0 while grape and traffic-incident
    detection papers were its first matches. Rows without an interests embedding (``embedded``
    False), or whose interests no candidate matches in both (no word of the vocabulary), keep
    the hybrid mix with ``semantic_weight``.
    """
    meaning_pos = np.maximum(meaning, 0.0)
    both = np.sqrt(np.maximum(lexical, 0.0) * meaning_pos)
    if known is not None:
        share = np.asarray(known, dtype=np.float64)[:, None]
        both = share * both + (1.0 - share) * meaning_pos
    mix = np.where(embedded, semantic_weight, 0.0)[:, None]
    hybrid = (1 - mix) * lexical + mix * meaning
    return np.where((embedded & (both.max(axis=1, initial=0.0) > 0))[:, None], both, hybrid)


def _quota(best: np.ndarray, keep: np.ndarray, owner: np.ndarray, top: int) -> np.ndarray:
    """Which of each interest's ranked candidates ``best`` (shape (n_parts, m)) are added: each interest of a target,
    in order, takes up to ``ceil(top / n_interests)`` of those ``keep`` allows, best first, passing over one that an
    earlier interest of the same target took. Shape (n_parts, m), bool."""
    chosen = np.zeros_like(keep)
    for target in np.unique(owner):
        parts, taken = np.flatnonzero(owner == target), set()
        quota = -(-top // parts.size)
        for p in parts:
            allowed = [r for r in np.flatnonzero(keep[p]) if best[p, r] not in taken][:quota]
            chosen[p, allowed] = True
            taken.update(best[p, allowed].tolist())
    return chosen


def expand_interests(profiles: sp.csr_matrix, semantic: np.ndarray | None, candidates: sp.csr_matrix,
                     candidates_emb: np.ndarray | None, rows: np.ndarray, *, semantic_weight: float,
                     top: int, seeds: Seeds | None,
                     candidates_t: sp.csr_matrix | None = None) -> tuple[sp.csr_matrix, np.ndarray | None]:
    """Pseudo-relevance feedback for targets with declared interests.

    A few words of interests match any paper that mentions them in passing
    ("zero-shot" in an LLM-robustness abstract).  The ``top`` candidates that
    match the interests best (hybrid score) are added to the profile, each
    space's centroid with the weight of the interests (Rocchio 1971; Xu &
    Croft 1996, "Query expansion using local and global document analysis",
    SIGIR): the profile then reads like the papers the interests are about,
    and papers that only share a phrase fall back.  On the bundled samples
    (``paperbot demo``) it takes that LLM paper out of the zero-shot-learning
    reader's top 5 (a vision-language survey comes in) and a dataset
    compression paper out of the network-quantization reader's.

    The added candidates are those that match the interests in words *and*
    in meaning (:func:`_agreement`, the geometric mean of the two cosines),
    so that one space's false match does not steer the profile: the sentence
    model reads "diffusion models" as physical diffusion, and a
    gas-chromatography paper was the first match of a diffusion-models
    reader by embedding (centred cosine 0.55 against 0.42 for the best
    diffusion-model paper) while it shares one word in TF-IDF (0.09 against 0.20).

    Parameters
    ----------
    profiles : csr_matrix, shape (n_targets, n_features)
        Unit TF-IDF profiles.
    semantic : ndarray, shape (n_targets, dim), optional
        Unit semantic profiles (zero rows: none).
    candidates : csr_matrix, shape (n_candidates, n_features)
    candidates_emb : ndarray, shape (n_candidates, dim), optional
        Centred unit candidate embeddings.
    rows : ndarray of int, shape (n_rows,)
        The targets to expand (those with declared interests; the offline
        evaluation has none, so it does not measure this step).
    semantic_weight : float
        Share of the embedding cosine in the first-pass score.
    top : int
        Candidates added to each profile at most (0: none), shared among its declared
        interests (``ceil(top / n_interests)`` each); only those scoring above zero and
        at least :data:`EXPANSION_MIN_SHARE` of their interest's best match.
    candidates_t : csr_matrix, shape (n_features, n_candidates), optional
        ``candidates.T`` as CSR when the caller has it (saves a conversion per call).
    seeds : (csr_matrix, ndarray or None, ndarray, ndarray) or None
        What the best-matching candidates are chosen by (:func:`interest_seeds`):
        the declared interests alone, each apart, TF-IDF rows of shape (n_parts,
        n_features), semantic rows of shape (n_parts, dim), each one's position
        in ``rows`` and the share of its words TF-IDF knows; None expands nothing. Each interest chooses its share of ``top``
        candidates, and each weighs alike in its target's added centroid, so a
        reader of two fields is expanded towards both, not only towards the one
        whose papers match its words best (``benchmarks/two_interests.py``). Not the
        profiles, which also hold the 👍: one 👍 would choose the papers around
        it and drown the interests (a graph-network reader who liked one
        quantization paper got eight quantization papers and no graph paper in
        the top 8 of the bundled samples).

    Returns
    -------
    (csr_matrix, ndarray or None)
        The profiles with ``rows`` expanded, same shapes, unit rows.
    """
    n_c = candidates.shape[0]
    if rows.size == 0 or top <= 0 or n_c == 0 or seeds is None:
        return profiles, semantic
    from .topk import top_k_matrix

    by, by_sem, owner, known = seeds
    first = (by @ (sp.csr_matrix(candidates.T) if candidates_t is None else candidates_t)).toarray()
    use_sem = semantic is not None and candidates_emb is not None
    if use_sem and by_sem is not None:
        assert candidates_emb is not None
        first = _agreement(first, by_sem @ candidates_emb.T, np.any(by_sem != 0, axis=1), semantic_weight, known)
    m = min(top, n_c)
    best = top_k_matrix(first.astype(np.float32), m)[0]
    got = np.take_along_axis(first, best, axis=1)
    # only real matches: above zero and at least half the best match (a handful of candidates may hold one)
    keep = (got > 0) & (got >= EXPANSION_MIN_SHARE * got[:, :1])
    keep = _quota(best, keep, owner, top)
    counts = np.maximum(keep.sum(axis=1, keepdims=True), 1)
    n_parts = np.bincount(owner, minlength=rows.size)[owner][:, None]
    weights = np.where(keep, 1.0 / (n_parts * counts), 0.0)  # each interest of a target alike
    pick = sp.csr_matrix((weights.reshape(-1), (np.repeat(owner, m), best.reshape(-1))), shape=(rows.size, n_c))
    pick.eliminate_zeros()
    expanded = _unit(sp.csr_matrix(profiles[rows], dtype=np.float64) + _unit(pick @ candidates))
    put = sp.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))), shape=(profiles.shape[0], rows.size))
    profiles = sp.csr_matrix(profiles + put @ (expanded - profiles[rows]), dtype=np.float32)
    profiles.eliminate_zeros()
    if use_sem:
        assert semantic is not None and candidates_emb is not None
        semantic = semantic.copy()
        centroid = np.asarray(pick @ candidates_emb)
        centroid /= np.maximum(np.linalg.norm(centroid, axis=1, keepdims=True), 1e-12)
        sem = semantic[rows] + centroid
        semantic[rows] = sem / np.maximum(np.linalg.norm(sem, axis=1, keepdims=True), 1e-12)
    return profiles, semantic
