"""The candidates of a picks call, ready to rank, kept while the same ones come back.

A day's digests call :meth:`recommender.picks.Recommender.picks` once per
target over the same candidates (the papers first seen that day) and the same
corpus (every other stored paper). Their TF-IDF rows, embeddings, priors (the
recency prior, and the newest-first order of a reader with nothing known) and
the ranker with its corpus (whose nearest-neighbour search is the costly part:
candidates x corpus) are built once and reused until the candidates, the
corpus or the model change.
"""

from __future__ import annotations

import datetime as dt
import logging
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

__all__ = ["EMBED_WHEN_RANKING", "PreparedCandidates", "CandidateCache", "corpus_ids", "new_since", "news_papers",
           "newest_first", "priors"]

log = logging.getLogger(__name__)


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
        Recency prior in [0, 1] of targets with a profile: newer days first (:func:`priors`).
    newest : ndarray, shape (n_candidates,)
        Order of targets with nothing known: newer publication days first, undated papers
        after every dated one (:func:`newest_first`).
    ranker : Ranker
        With its corpus set (its community is set per workspace by the caller).
    """

    ids: list[int]
    matrix: sp.csr_matrix
    semantic: SemanticInputs | None
    priors: np.ndarray
    newest: np.ndarray
    ranker: Ranker


#: At most this many papers lacking a sentence vector are embedded on the way to a ranking (about 30 s at 34 a
#: second). More, as after a bulk backfill, and the day's ranking goes by TF-IDF alone, on time, while the ingest
#: job embeds them (an operator's trial: 60,000 papers dropped in the inbox held every digest 15 minutes and more).
EMBED_WHEN_RANKING = 1_000


def news_papers(session: Session, since: dt.datetime | None) -> list[tuple[int, dt.date, bool]]:
    """News papers first seen at or after ``since`` (UTC), all when ``None``: ``(paper id, day, dated)`` by id.

    ``day`` is the publication day (``dated``), else the first-seen day. Only the priors use them:
    the recency prior puts newer days first, the newest-first order of a target with nothing known
    puts undated papers after every dated one (:func:`newest_first`). First-seen times are read for
    undated papers only (a day of 2,000 dated papers reads no timestamp).
    """
    conditions = [Paper.is_news.is_(True)] + ([Paper.first_seen >= since] if since is not None else [])
    days: dict[int, dt.date | None] = {
        pid: day for pid, day in session.execute(select(Paper.id, Paper.published).where(*conditions))}
    dated = {pid for pid, day in days.items() if day is not None}
    if len(dated) < len(days):
        undated = select(Paper.id, Paper.first_seen).where(*conditions, Paper.published.is_(None))
        days.update((pid, first_seen.date()) for pid, first_seen in session.execute(undated))
    return [(int(pid), day, pid in dated) for pid, day in sorted(days.items()) if day is not None]


def new_since(session: Session, days: float) -> dt.datetime | None:
    """Where "new" starts when nothing else bounds it: ``days`` before the newest news paper was first seen (UTC).

    A target's first digest and ``/papers picks`` draw from these papers, not from every paper of a
    year-old store (a researcher's trial: 18 of 20 picks first seen months before, none of the 300 of
    that day). Counted back from the newest paper rather than from now, so a store whose sources
    stopped a fortnight ago still has its last week of papers to pick from. None with no news paper.
    """
    newest = session.scalar(select(func.max(Paper.first_seen)).where(Paper.is_news.is_(True)))
    if newest is None:
        return None
    newest = newest if newest.tzinfo is not None else newest.replace(tzinfo=dt.UTC)
    return newest - dt.timedelta(days=days)


def corpus_ids(session: Session, candidate_ids: Sequence[int]) -> list[int]:
    """The papers known before the candidates: every other stored paper, and every 👍 one, by id."""
    new = set(candidate_ids)
    liked = set(session.scalars(select(Feedback.paper_id).where(Feedback.value > 0)))
    return [pid for pid in session.scalars(select(Paper.id).order_by(Paper.id)) if pid not in new or pid in liked]


def priors(days: Sequence[dt.date]) -> np.ndarray:
    """Recency prior per candidate in [0, 1]: newer days first (an undated paper counts by its first-seen day)."""
    if not days:
        return np.zeros(0)
    ordinals = np.array([d.toordinal() for d in days], dtype=float)
    span = ordinals.max() - ordinals.min()
    return (ordinals - ordinals.min()) / span if span > 0 else np.zeros(len(days))


def newest_first(days: Sequence[dt.date | None]) -> np.ndarray:
    """Newest-first order per candidate in [0, 1] (:meth:`Ranker.rank`'s ``cold_start_priors``): undated papers last.

    A dated paper's value is ``(days since the day before the oldest) / (days spanned + 1)``, in
    ``(0, 1]``: 1 for the newest day, above 0 for the oldest even when all share one day. A paper
    of unknown day (None) is not the newest: 0, after every dated paper.

    Parameters
    ----------
    days : sequence of datetime.date or None
        Each candidate's publication day, None when unknown.

    Returns
    -------
    ndarray, shape (len(days),)
    """
    ordinals = np.array([np.nan if d is None else d.toordinal() for d in days], dtype=float)
    dated = ~np.isnan(ordinals)
    out = np.zeros(len(days))
    if dated.any():
        oldest, newest = ordinals[dated].min(), ordinals[dated].max()
        out[dated] = (ordinals[dated] - oldest + 1) / (newest - oldest + 1)
    return out


class CandidateCache:
    """The last :class:`PreparedCandidates`, reused while candidates, corpus and model are the same."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._value: PreparedCandidates | None = None
        self._fell_back = False  # the value was ranked by TF-IDF alone: too many papers lacked a sentence vector

    def get(self, rec: Recommender, session: Session, found: Sequence[tuple[int, dt.date, bool]]) -> PreparedCandidates:
        """``found`` ((paper id, day, dated), :meth:`Recommender.candidates`) ready to rank."""
        ids = [pid for pid, _, _ in found]
        vectorizer = rec.vectorizer(session)
        # the corpus is every stored paper but the candidates nobody 👍'd: it changes as papers arrive (the
        # newest id) or candidates are liked, so those stand for it in the key. Not the paper count: a count
        # scans the table on PostgreSQL (0.1 s a target at 100,000 papers); a paper merged away mid-day stays
        # in the day's corpus until the next paper or candidate arrives.
        newest = session.scalar(select(func.max(Paper.id)))
        liked_new = frozenset(session.scalars(select(Feedback.paper_id).where(Feedback.value > 0))) & frozenset(ids)
        key = (vectorizer, tuple(ids), tuple((day, dated) for _, day, dated in found), newest, liked_new)
        changed = self._value is None or self._key != key
        if changed or self._fell_back:  # one rule for the whole ranking, as prepare's (store_missing)
            known = corpus_ids(session, ids)
            lacking = len(rec.vectors.lacking_vectors(session, known + ids))
        if changed or (self._fell_back and lacking <= EMBED_WHEN_RANKING):  # a fallback ends once its backlog is embedded
            self._fell_back = lacking > EMBED_WHEN_RANKING
            if self._fell_back:
                log.info("too many papers lack a sentence vector: ranked by TF-IDF alone while they are embedded",
                         extra={"papers": lacking, "at_most": EMBED_WHEN_RANKING})
            emb = None if self._fell_back else rec.embeddings(session, ids)
            known_emb = None if emb is None else rec.embeddings(session, known)
            ranker = rec.new_ranker(vectorizer).set_corpus(rec.matrix(session, known), known, known_emb)
            published = [day if dated else None for _, day, dated in found]
            self._value = PreparedCandidates(ids, rec.matrix(session, ids), None if emb is None else SemanticInputs(emb),
                                             priors([day for _, day, _ in found]), newest_first(published), ranker)
            self._key = key
        assert self._value is not None
        return self._value
