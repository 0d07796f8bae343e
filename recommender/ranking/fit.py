"""How well papers fit many targets: the ranker's own score for every (target, paper) pair, with its reason.

Picks ask "which papers for this person"; a fit asks the other way round,
"which people for this paper" (``/papers who``, the names under a channel
digest's paper). It is :meth:`Ranker.score_batch` on a batch of targets, the
Rocchio (and semantic) profile against each paper, without exclusions, MMR or
priors. Give a ranker whose score of a paper does not depend on the other
papers scored with it: ``interest_feedback=0`` (declared interests expanded by
the best-matching candidates would take in the very paper being fitted), no
corpus and no community (their terms are scaled to each target's best
candidate). Explanations are :meth:`Ranker.explain_pairs` of the pairs kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .ranker import Ranker
from .semantic import SemanticInputs
from .targets import Target

__all__ = ["Fit", "fits"]


@dataclass(frozen=True)
class Fit:
    """One target that a paper fits.

    Attributes
    ----------
    target : int
        Index into the targets given to :func:`fits`.
    candidate : int
        Row of the candidate matrix (the paper).
    score : float
        The ranker's score of the paper for the target (higher fits better).
    terms : list of str
        Features that weighed most in the match, best first.
    similar_to : object or None
        ``liked_keys`` entry of the target's liked paper closest to this one; None without likes.
    """

    target: int
    candidate: int
    score: float
    terms: list[str]
    similar_to: object | None


def fits(ranker: Ranker, candidates: sp.csr_matrix, targets: Sequence[Target], *, min_score: float,
         semantic: SemanticInputs | None = None) -> list[Fit]:
    """Every (target, candidate) pair scoring at least ``min_score``, best first.

    Parameters
    ----------
    ranker : Ranker
        Supplies the score (:meth:`Ranker.score_batch`) and the explanations.
    candidates : csr_matrix, shape (n_candidates, n_features)
        L2-normalised TF-IDF rows of the papers.
    targets : sequence of Target
        Their ``exclude`` sets are ignored (a fit is not a pick).
    min_score : float
        Pairs below it are left out.
    semantic : SemanticInputs, optional
        The papers' sentence embeddings (hybrid score); give ``mean`` when there
        are few candidates, as the centring is otherwise on the candidates themselves.

    Returns
    -------
    list of Fit
        Best first (ties: lower target index, then lower candidate row). A target
        with no profile at all (no interests, no 👍/👎) fits nothing.
    """
    if not targets or candidates.shape[0] == 0:
        return []
    candidates = sp.csr_matrix(candidates, dtype=np.float32)
    batch = ranker.batch(targets, candidates.shape[1], None)
    scores, profiles = ranker.score_batch(candidates, batch, semantic=semantic)
    known = np.diff(profiles.indptr) > 0
    if semantic is not None and batch.interest_embeddings is not None:  # interests read by meaning alone
        known |= np.any(batch.interest_embeddings != 0, axis=1)
    scores[~known] = -np.inf
    t_of, c_of = np.nonzero(scores >= min_score)
    order = np.lexsort((c_of, t_of, -scores[t_of, c_of]))
    t_of, c_of = t_of[order], c_of[order]
    if not t_of.size:
        return []
    terms, similar = ranker.explain_pairs(candidates, batch, profiles, t_of, c_of)
    return [Fit(int(t), int(c), float(scores[t, c]), terms[n], similar[n])
            for n, (t, c) in enumerate(zip(t_of.tolist(), c_of.tolist(), strict=True))]
