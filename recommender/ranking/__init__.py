"""Ranking: targets -> Rocchio profiles -> scores (+ community) -> top-k -> MMR -> explanations.

One module per step: :mod:`.targets` (who to rank for), :mod:`.profiles`,
:mod:`.semantic`, :mod:`.neighbourhood` (the candidates' nearest known
papers), :mod:`.community`, :mod:`.scoring`, :mod:`.topk`, :mod:`.mmr`,
:mod:`.explain`; :mod:`.ranker` composes them, computing blocks of rows side by side
(:mod:`.blocks`). :mod:`.onboarding` chooses the papers a newcomer rates before their first picks.
"""

from .profiles import decay_weights, rocchio_profiles
from .ranker import Ranker, ScoredRow
from .targets import Target, TargetBatch
from .topk import top_k_indices, top_k_matrix

__all__ = [
    "Ranker",
    "ScoredRow",
    "Target",
    "TargetBatch",
    "decay_weights",
    "rocchio_profiles",
    "top_k_indices",
    "top_k_matrix",
]
