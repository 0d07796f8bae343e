"""One target's (or a few targets') ranking restricted to the rows their top pools can hold.

:meth:`recommender.ranking.Ranker.rank` diversifies (MMR) and explains over the
whole candidate matrix it is given; a digest ranks one target at a time over a
day of 2,000 papers, and the Gram matrix of all candidates then costs most of
the call (0.4 s of 0.6 s on the benchmark's day). Picks only ever come from each
target's top pool, so ranking the union of those pools gives the same picks,
scores and explanations at a fraction of the cost. Used only without a
community signal, whose propagation reads the whole candidate set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from .ranking import Ranker, ScoredRow, Target
from .ranking.semantic import SemanticInputs

__all__ = ["rank_in_pools"]


def rank_in_pools(ranker: Ranker, candidates: sp.csr_matrix, targets: Sequence[Target], k: int, *,
                  candidate_priors: np.ndarray, semantic: SemanticInputs | None) -> list[list[ScoredRow]]:
    """:meth:`Ranker.rank` of ``targets`` over ``candidates`` (shape (n, n_features)), computed on their pools' rows.

    Returns the same rows (indices into ``candidates``) as the full call.
    """
    pool = k if ranker.mmr_lambda <= 0 else max(ranker.mmr_pool, 3 * k)
    if ranker.community is not None or candidates.shape[0] <= 4 * pool:
        return ranker.rank(candidates, targets, k=k, candidate_priors=candidate_priors, semantic=semantic)
    batch = ranker.batch(targets, candidates.shape[1], candidates.shape[0])
    idx, _, _ = ranker.top_k_batch(candidates, batch, pool, candidate_priors=candidate_priors, semantic=semantic)
    keep = np.unique(idx[idx >= 0])
    row_of = {int(c): i for i, c in enumerate(keep.tolist())}
    subset = [replace(t, exclude={row_of[c] for c in t.exclude if c in row_of}) for t in targets]
    sub_semantic = None
    if semantic is not None:
        _, mean = semantic.centered_candidates()  # centred on the whole day, as in the full call
        sub_semantic = SemanticInputs(np.asarray(semantic.candidates)[keep], mean=mean)
    ranked = ranker.rank(candidates[keep], subset, k=k, candidate_priors=np.asarray(candidate_priors)[keep],
                         semantic=sub_semantic)
    return [[replace(row, index=int(keep[row.index])) for row in rows] for rows in ranked]
