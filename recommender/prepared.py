"""The candidates of a picks call, ready to rank, kept while the same ones come back.

A day's digests call :meth:`recommender.picks.Recommender.picks` once per
target over the same candidates (the papers first seen that day) and the same
corpus (every other stored paper). Their TF-IDF rows, embeddings, priors and
the ranker with its corpus (whose nearest-neighbour search is the costly part:
candidates x corpus) are built once and reused until the candidates, the
corpus or the model change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recommender.ranking import Ranker
from recommender.ranking.semantic import SemanticInputs
from recommender.store import Feedback, Paper

if TYPE_CHECKING:
    from recommender.picks import Recommender

__all__ = ["PreparedCandidates", "CandidateCache", "corpus_ids"]


@dataclass(frozen=True)
class PreparedCandidates:
    """Candidates ready for :meth:`Ranker.rank`.

    Attributes
    ----------
    ids : list of int
        ``papers.id`` of each candidate row.
    matrix : csr_matrix, shape (n_candidates, n_features)
    semantic : SemanticInputs or None
        Their sentence embeddings (None: TF-IDF alone).
    priors : ndarray, shape (n_candidates,)
        Cold-start prior in [0, 1]: newer days first.
    ranker : Ranker
        With its corpus set (its community is set per workspace by the caller).
    """

    ids: list[int]
    matrix: sp.csr_matrix
    semantic: SemanticInputs | None
    priors: np.ndarray
    ranker: Ranker


def corpus_ids(session: Session, candidate_ids: Sequence[int]) -> list[int]:
    """The papers known before the candidates: every other stored paper, and every 👍 one, by id."""
    new = set(candidate_ids)
    liked = set(session.scalars(select(Feedback.paper_id).where(Feedback.value > 0)))
    return [pid for pid in session.scalars(select(Paper.id).order_by(Paper.id)) if pid not in new or pid in liked]


def priors(days: Sequence[dt.date]) -> np.ndarray:
    """Cold-start prior per candidate in [0, 1]: newer days first."""
    if not days:
        return np.zeros(0)
    ordinals = np.array([d.toordinal() for d in days], dtype=float)
    span = ordinals.max() - ordinals.min()
    return (ordinals - ordinals.min()) / span if span > 0 else np.zeros(len(days))


class CandidateCache:
    """The last :class:`PreparedCandidates`, reused while candidates, corpus and model are the same."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._value: PreparedCandidates | None = None

    def get(self, rec: Recommender, session: Session, found: Sequence[tuple[int, dt.date]]) -> PreparedCandidates:
        """``found`` ((paper id, day) pairs, :meth:`Recommender.candidates`) ready to rank."""
        ids = [pid for pid, _ in found]
        vectorizer = rec.vectorizer(session)
        # the corpus is every stored paper but the candidates nobody 👍'd: it changes as papers arrive (the
        # newest id) or candidates are liked, so those stand for it in the key. Not the paper count: a count
        # scans the table on PostgreSQL (0.1 s a target at 100,000 papers); a paper merged away mid-day stays
        # in the day's corpus until the next paper or candidate arrives.
        newest = session.scalar(select(func.max(Paper.id)))
        liked_new = frozenset(session.scalars(select(Feedback.paper_id).where(Feedback.value > 0))) & frozenset(ids)
        key = (vectorizer, tuple(ids), tuple(day for _, day in found), newest, liked_new)
        if self._value is None or self._key != key:
            known = corpus_ids(session, ids)
            emb = rec.embeddings(session, ids)
            ranker = rec.new_ranker(vectorizer).set_corpus(rec.matrix(session, known), known,
                                                           rec.embeddings(session, known))
            self._value = PreparedCandidates(ids, rec.matrix(session, ids), None if emb is None else SemanticInputs(emb),
                                             priors([day for _, day in found]), ranker)
            self._key = key
        return self._value
