"""Who to rank for: one :class:`Target` per person or channel, many as one :class:`TargetBatch`.

:func:`batch_of` stacks the rated rows of all targets once (a liked paper
shared by several targets is stored once) so that profiles, scores and
explanations are sparse products over the whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..text.frozen import TextVectorizer, unit_rows
from .profiles import decay_weights

__all__ = ["INTEREST_SEPARATOR", "Target", "TargetBatch", "batch_of", "interest_parts"]

#: What joins a person's declared interests into :attr:`Target.interests_text` (:func:`interest_parts` splits them).
INTEREST_SEPARATOR = "; "


def interest_parts(text: str, *, split: bool = True) -> list[str]:
    """The declared interests held by an ``interests_text``: split at ``;`` and line ends, blanks dropped.

    A person's interests are joined with :data:`INTEREST_SEPARATOR`; a channel's topic is one interest unless
    it holds ``;`` too. ``split=False`` gives the whole text as one interest (the ranking before issue 10's
    two-field readers, ``Ranker(split_interests=False)``).
    """
    parts = re.split(r"[;\n]", text) if split else [text]
    return [p.strip() for p in parts if p.strip()]


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
        :attr:`~recommender.ranking.ranker.ScoredRow.similar_to`.  Optional;
        also used to deduplicate rows shared across targets and to find the
        person's papers in the community matrix.
    disliked : csr_matrix, shape (n_disliked, n_features)
    disliked_age_days : ndarray, shape (n_disliked,)
    exclude : set of int
        Candidate row indices never to pick for this target (already
        delivered or rated).
    liked_embeddings : ndarray, shape (n_liked, dim), optional
        Sentence embeddings of the liked papers (zero rows: none computed);
        None when the ranking is TF-IDF only.
    """

    interests_text: str = ""
    liked: sp.csr_matrix = field(default_factory=_empty_csr)
    liked_age_days: np.ndarray = field(default_factory=lambda: np.zeros(0))
    liked_keys: list = field(default_factory=list)
    disliked: sp.csr_matrix = field(default_factory=_empty_csr)
    disliked_age_days: np.ndarray = field(default_factory=lambda: np.zeros(0))
    exclude: set = field(default_factory=set)
    liked_embeddings: np.ndarray | None = None


@dataclass
class TargetBatch:
    """Many targets as matrices: the batched input of :meth:`Ranker.top_k_batch`.

    :func:`batch_of` builds one from a :class:`Target` list; callers that
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
        (:meth:`Ranker.set_community`) and echoed in ``ScoredRow.similar_to``.
    interests : csr_matrix, shape (n_targets, n_features), optional
    disliked : csr_matrix, shape (n_dis_rows, n_features), optional
    dislike_weights : csr_matrix, shape (n_targets, n_dis_rows), optional
    exclude : sparse matrix, shape (n_targets, n_candidates), optional
        Non-zero = never pick this candidate for this target.
    liked_embeddings : ndarray, shape (n_rows, dim), optional
        Sentence embeddings of the ``liked`` rows (zero rows: none computed).
    interest_embeddings : ndarray, shape (n_targets, dim), optional
        Sentence embedding of each target's interests (zero rows: none): the mean of its declared interests'
        unit embeddings, each interest weighing alike.
    interest_parts : csr_matrix, shape (n_parts, n_features), optional
        Unit TF-IDF row of each declared interest alone (:func:`interest_parts`), targets in order; ``interests``
        is the unit mean of a target's rows.
    interest_owner : ndarray of int, shape (n_parts,), optional
        The target of each row of ``interest_parts``.
    interest_part_embeddings : ndarray, shape (n_parts, dim), optional
        Unit sentence embedding of each declared interest alone.
    interest_known : ndarray, shape (n_parts,), optional
        Share of each declared interest's words that the TF-IDF model knows (:meth:`FrozenTfidf.known_share
        <recommender.text.frozen.FrozenTfidf.known_share>`): its row in ``interests`` is scaled by it, and its
        expansion leans on meaning by the rest (:func:`~recommender.ranking.profiles.expand_interests`).
    """

    liked: sp.csr_matrix
    like_weights: sp.csr_matrix
    liked_keys: Sequence | None = None
    interests: sp.csr_matrix | None = None
    disliked: sp.csr_matrix | None = None
    dislike_weights: sp.csr_matrix | None = None
    exclude: sp.spmatrix | None = None
    liked_embeddings: np.ndarray | None = None
    interest_embeddings: np.ndarray | None = None
    interest_parts: sp.csr_matrix | None = None
    interest_owner: np.ndarray | None = None
    interest_part_embeddings: np.ndarray | None = None
    interest_known: np.ndarray | None = None

    @property
    def n_targets(self) -> int:
        return int(self.like_weights.shape[0])


def _interests(targets: Sequence[Target], n_features: int, vectorizer: TextVectorizer,
               split: bool) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray, np.ndarray]:
    """Each target's interests row, shape (n_targets, n_features): the unit mean of its declared interests' unit
    TF-IDF rows (a field of rarer words does not outweigh the other), each scaled by the share of its words the
    model knows (the words left of "seismology and earthquake detection" in a first week's model, "detection",
    do not weigh as a whole interest); each interest's own unit row, shape (n_parts, n_features); the target of
    each part, shape (n_parts,); that known share, shape (n_parts,)."""
    parts = [interest_parts(t.interests_text, split=split) for t in targets]
    owner = np.repeat(np.arange(len(targets)), [len(p) for p in parts]).astype(np.int64)
    if not owner.size:
        return (sp.csr_matrix((len(targets), n_features), dtype=np.float32), _empty_csr(n_features), owner,
                np.ones(0))
    texts = [p for each in parts for p in each]
    rows = unit_rows(sp.csr_matrix(vectorizer.transform_text(texts), dtype=np.float32))
    known = vectorizer.known_share(texts)
    scaled = sp.csr_matrix(owner_mean(owner, len(targets)) @ sp.diags(known) @ rows, dtype=np.float32)
    return unit_rows(scaled), rows, owner, known


def owner_mean(owner: np.ndarray, n_targets: int) -> sp.csr_matrix:
    """The matrix averaging parts per target, shape (n_targets, n_parts): row t holds 1/count at t's parts."""
    counts = np.bincount(owner, minlength=n_targets).astype(np.float64)
    return sp.csr_matrix((1.0 / counts[owner], (owner, np.arange(owner.size))), shape=(n_targets, owner.size))


def _stack(targets: Sequence[Target], which: str, n_features: int, half_life_days: float, dedup: bool):
    """Stack rated rows of all targets.

    Returns (unique_rows, weights (n_t, n_unique) in each target's own
    order, key of each unique row or None, position of each unique row among
    all targets' rows in target order).
    """
    mats: list[sp.csr_matrix] = []
    counts: list[int] = []
    weights: list[np.ndarray] = []
    keys: list[tuple] = []
    raw: list[Any] = []
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
        weights.append(decay_weights(ages, half_life_days))
        tk = t.liked_keys if which == "liked" and len(t.liked_keys) == n else None
        if tk is not None:
            raw.extend(tk)
            if dedup:
                keys.extend(("k", k) for k in tk)
            else:
                keys.extend(("r", t_idx, i) for i in range(n))
        else:
            raw.extend([None] * n)
            keys.extend(("r", t_idx, i) for i in range(n))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    if not mats:
        return _empty_csr(n_features), sp.csr_matrix((len(targets), 0), dtype=np.float32), [], np.zeros(0, dtype=np.int64)
    rows = sp.vstack(mats, format="csr")
    first: dict[Any, int] = {}
    inverse = np.fromiter((first.setdefault(k, len(first)) for k in keys), dtype=np.int64, count=len(keys))
    uniq_pos = np.zeros(len(first), dtype=np.int64)
    uniq_pos[inverse[::-1]] = np.arange(len(keys))[::-1]
    w = sp.csr_matrix((np.concatenate(weights), inverse, indptr), shape=(len(targets), len(first)))
    uniq_rows = rows if len(first) == len(keys) else rows[uniq_pos]
    return uniq_rows, w, [raw[i] for i in uniq_pos], uniq_pos


def batch_of(
    targets: Sequence[Target],
    n_features: int,
    n_candidates: int | None,
    *,
    vectorizer: TextVectorizer,
    half_life_days: float,
    split_interests: bool = True,
) -> TargetBatch:
    """Turn :class:`Target` objects into one :class:`TargetBatch`.

    Liked rows shared by several targets (same ``liked_keys`` entry) are
    stored once; 👍/👎 ages become recency weights (:func:`decay_weights`);
    exclusions outside ``[0, n_candidates)`` are dropped (no exclusion at all
    when ``n_candidates`` is None); each declared interest (:func:`interest_parts`;
    the whole text as one when ``split_interests`` is False) weighs alike in the
    target's interests row.

    Raises
    ------
    ValueError
        If a target's rated rows do not have ``n_features`` columns, or its
        ages do not match its rows.
    """
    liked, w_like, keys, liked_pos = _stack(targets, "liked", n_features, half_life_days, dedup=True)
    dis, w_dis, _, _ = _stack(targets, "disliked", n_features, half_life_days, dedup=False)
    exclude = None
    if n_candidates is not None and any(t.exclude for t in targets):
        ex = [np.fromiter((i for i in t.exclude if 0 <= i < n_candidates), dtype=np.int64) for t in targets]
        rows = np.repeat(np.arange(len(targets)), [e.size for e in ex])
        cols = np.concatenate(ex) if ex else np.zeros(0, dtype=np.int64)
        exclude = sp.csr_matrix((np.ones(cols.size, dtype=bool), (rows, cols)), shape=(len(targets), n_candidates))
    interests, parts, owner, known = _interests(targets, n_features, vectorizer, split_interests)
    return TargetBatch(
        liked=liked,
        like_weights=w_like,
        liked_keys=keys if any(k is not None for k in keys) else None,
        interests=interests,
        interest_parts=parts,
        interest_owner=owner,
        interest_known=known,
        disliked=dis if dis.shape[0] else None,
        dislike_weights=w_dis if dis.shape[0] else None,
        exclude=exclude,
        liked_embeddings=_stack_embeddings(targets, liked_pos),
    )


def _stack_embeddings(targets: Sequence[Target], positions: np.ndarray) -> np.ndarray | None:
    """The liked rows' embeddings in :func:`_stack`'s order (zero rows where a target gave none); None if nobody did."""
    given = [t.liked_embeddings for t in targets if t.liked_embeddings is not None and t.liked.shape[0]]
    if not given:
        return None
    dim = given[0].shape[1]
    parts = []
    for t_idx, t in enumerate(targets):
        n = t.liked.shape[0] if t.liked is not None else 0
        emb = t.liked_embeddings
        if emb is not None and n and emb.shape != (n, dim):
            raise ValueError(f"target {t_idx}: {n} liked rows but liked_embeddings of shape {emb.shape}")
        parts.append(np.zeros((n, dim), dtype=np.float32) if emb is None else np.asarray(emb, dtype=np.float32))
    return np.concatenate(parts)[positions]
