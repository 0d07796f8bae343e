"""The semantic half of the hybrid score: Rocchio profiles in sentence-embedding space.

A target's semantic profile is the recency-weighted mean of its liked
papers' embeddings plus its declared interests' embedding (the same Rocchio
weights as the TF-IDF profile), all centred on the corpus mean
(:func:`recommender.text.embeddings.center`).  The hybrid score of a
candidate is ``(1 - w) * cos_tfidf + w * cos_embedding`` (``w`` =
``semantic_weight``), for targets and candidates that have embeddings;
everything else keeps the TF-IDF score alone.

``semantic_weight = 0.5`` was fitted on the dev split (seed 0) of both
CiteULike datasets: nDCG@10 for a lone reader 0.1965 -> 0.2418
(citeulike-a), 0.1819 -> 0.2025 (citeulike-t; both without the corpus
neighbourhood, ``eval_<dataset>_seed0_text_no_neighbourhood.json``).  With the corpus
neighbourhood (:mod:`recommender.ranking.neighbourhood`, which uses the same
mix), measured with the packages before ``scripts/constraints.txt`` (which
put 0.5 at 0.2787 where these give 0.2781), 0.4 / 0.5 / 0.6 measured 0.2714 / 0.2787 / 0.2825 on citeulike-a and
0.2325 / 0.2323 / 0.2297 on citeulike-t (whole population: 0.2777 / 0.2833
/ 0.2856 and 0.2381 / 0.2355 / 0.2340); 0.5 stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..text.embeddings import center
from .sparse import row_normalize
from .targets import Target, TargetBatch, interest_parts, owner_mean

__all__ = ["SemanticInputs", "center_present", "embed_interests", "interest_rows", "semantic_profiles"]


@dataclass
class SemanticInputs:
    """Embeddings for one ranking call.

    Attributes
    ----------
    candidates : ndarray, shape (n_candidates, dim), float32
        Unit embeddings of the candidates (zero rows: none computed).
    mean : ndarray, shape (dim,), optional
        Corpus mean to centre on; default: the mean of the candidates' rows.
    """

    candidates: np.ndarray
    mean: np.ndarray | None = None

    def centered_candidates(self) -> tuple[np.ndarray, np.ndarray]:
        """(centred unit candidate rows, shape (n_candidates, dim); the mean used, shape (dim,))."""
        cand = np.asarray(self.candidates, dtype=np.float32)
        present = np.linalg.norm(cand, axis=1) > 0
        mean = self.mean if self.mean is not None else (cand[present].mean(axis=0) if present.any() else np.zeros(cand.shape[1]))
        return center_present(cand, mean), np.asarray(mean, dtype=np.float32)


def center_present(rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """:func:`center` on the non-zero rows; zero rows (no embedding) stay zero."""
    rows = np.asarray(rows, dtype=np.float32)
    out = np.zeros_like(rows)
    present = np.linalg.norm(rows, axis=1) > 0
    if present.any():
        out[present] = center(rows[present], mean)
    return out


def embed_interests(batch: TargetBatch, targets: Sequence[Target], embedder, *, split: bool = True) -> None:
    """Fill ``batch.interest_part_embeddings`` (each declared interest's unit embedding, shape (n_parts, dim)) and
    ``batch.interest_embeddings`` (each target's unit mean of them, shape (n_targets, dim): every interest weighs
    alike, where one embedding of the joined text sat nearer one field's papers), with ``embedder.encode``.

    ``split`` as :func:`~recommender.ranking.targets.interest_parts`; nothing is done when no target has interests.
    """
    if batch.interest_owner is None or not batch.interest_owner.size:
        return
    texts = [p for t in targets for p in interest_parts(t.interests_text, split=split)]
    parts = np.asarray(embedder.encode(texts), dtype=np.float32)
    parts /= np.maximum(np.linalg.norm(parts, axis=1, keepdims=True), 1e-12)
    mean = np.asarray(owner_mean(batch.interest_owner, len(targets)) @ parts, dtype=np.float32)
    batch.interest_embeddings = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
    batch.interest_part_embeddings = parts


def interest_rows(embeddings: np.ndarray, mean: np.ndarray, *, centered: bool) -> np.ndarray:
    """Declared interests' embeddings as a semantic profile reads them, shape (n, dim), float32; zero rows stay zero.

    By default (``centered=False``) each row less its component along the corpus mean, renormalised: the
    direction every embedding shares (:func:`recommender.text.embeddings.center`) is taken out, and nothing
    is added. Centring the interests on the mean like the papers (``centered=True``, :func:`center_present`)
    also adds the mean's opposite, along which every text far from the corpus's field lies: a few words of
    another field ("protein structure prediction" among machine-learning papers) then come out close to
    every paper of any other field (a gas-chromatography paper was the 2nd to 23rd match of five such
    interests). ``benchmarks/interest_readers.py`` measures both on labelled readers of the bundled samples.
    """
    rows = np.asarray(embeddings, dtype=np.float32)
    if centered:
        return center_present(rows, mean)
    norm = float(np.linalg.norm(mean))
    if norm > 0:
        direction = np.asarray(mean, dtype=np.float32) / norm
        rows = rows - np.outer(rows @ direction, direction)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 1e-6, norms, 1.0)


def semantic_profiles(batch: TargetBatch, mean: np.ndarray, *, interest_weight: float,
                      like_weight: float, center_interests: bool = False) -> np.ndarray:
    """Unit semantic profiles, shape (n_targets, dim), float32; zero rows for targets with no embedding at all.

    Parameters
    ----------
    batch : TargetBatch
        Uses ``liked_embeddings`` (rows aligned with ``liked``), ``like_weights``
        and ``interest_embeddings``.
    mean : ndarray, shape (dim,)
        Corpus mean (see :class:`SemanticInputs`).
    interest_weight, like_weight : float
        Rocchio weights, as for the TF-IDF profile.
    center_interests : bool, default False
        Centre the interests' embedding on the mean like the papers', rather than only take the mean's
        direction out of it (:func:`interest_rows`); the liked papers' are always centred.
    """
    n_t = batch.n_targets
    dim = mean.shape[0]
    profile = np.zeros((n_t, dim), dtype=np.float32)
    if batch.liked_embeddings is not None and batch.liked_embeddings.shape[0]:
        liked = center_present(batch.liked_embeddings, mean)
        has = (np.linalg.norm(liked, axis=1) > 0).astype(np.float32)
        weights = sp.csr_matrix(batch.like_weights, dtype=np.float32) @ sp.diags(has)
        profile += like_weight * np.asarray(row_normalize(sp.csr_matrix(weights)) @ liked, dtype=np.float32)
    if batch.interest_embeddings is not None:
        profile += interest_weight * interest_rows(batch.interest_embeddings, mean, centered=center_interests)
    norms = np.linalg.norm(profile, axis=1, keepdims=True)
    return profile / np.where(norms > 0, norms, 1.0)
