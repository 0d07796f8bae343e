"""Onboarding rounds over the store: the recent papers a newcomer rates, as :class:`~recommender.pick.Pick`.

The choice itself is :mod:`recommender.ranking.onboarding` (pure, over
matrices); this module gathers its inputs from the store: the news papers of
the last :data:`RECENT_DAYS` days (all news papers when fewer than
:data:`MIN_CANDIDATES`), their TF-IDF rows and embeddings through the
:class:`~recommender.picks.Recommender`, their popularity in the person's
workspace (teammates' 👍, weighted :data:`TEAM_LIKE_WEIGHT`) plus their Hugging
Face upvotes, and for a follow-up round the person's scores under their
current profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recommender.pick import Pick
from recommender.picks import Recommender, _locked
from recommender.prepared import new_since
from recommender.ranking.onboarding import ROUND_SIZE, follow_up_round, opening_round
from recommender.ranking.semantic import SemanticInputs
from recommender.store import DigestEntry, Feedback, Member, Paper
from recommender.store.models import utcnow

__all__ = ["RECENT_DAYS", "ROUND_SIZE", "rating_round"]

#: How far back (days) onboarding looks for papers to rate.
RECENT_DAYS = 28
#: Fewer recent papers than this: every news paper is a candidate.
MIN_CANDIDATES = 4 * ROUND_SIZE
#: A teammate's 👍 counts as this many Hugging Face upvotes.
TEAM_LIKE_WEIGHT = 10.0

OPENING_REASON = "onboarding: a paper many read, chosen to cover what arrived lately"
OPENING_INTERESTS_REASON = "onboarding: near your interests, or a paper many read, to cover what arrived lately"
FOLLOW_UP_REASON = "onboarding: your ratings so far leave this one open"


def _popularity(session: Session, member: Member, papers: list[Paper]) -> np.ndarray:
    """Per paper: teammates' 👍 (times :data:`TEAM_LIKE_WEIGHT`) plus its largest Hugging Face upvote count."""
    ids = [p.id for p in papers]
    likes = dict(session.execute(
        select(Feedback.paper_id, func.count())
        .join(Member, Feedback.member_id == Member.id)
        .where(Member.platform == member.platform, Member.workspace == member.workspace,
               Member.id != member.id, Feedback.value > 0, Feedback.paper_id.in_(ids))
        .group_by(Feedback.paper_id)
    ).all())
    upvotes = dict(session.execute(
        select(DigestEntry.paper_id, func.max(DigestEntry.upvotes))
        .where(DigestEntry.paper_id.in_(ids)).group_by(DigestEntry.paper_id)
    ).all())
    return np.array([TEAM_LIKE_WEIGHT * likes.get(i, 0) + (upvotes.get(i) or 0) for i in ids], dtype=float)


def _candidates(rec: Recommender, session: Session, now: dt.datetime) -> list[Paper]:
    # counted back from the newest paper, as picks count their week (prepared.new_since): a store whose sources
    # stopped still has papers to rate that its first picks can follow
    recent = rec.candidates(session, since=min(now - dt.timedelta(days=RECENT_DAYS), new_since(session, RECENT_DAYS) or now))
    ids = [i for i, *_ in (recent if len(recent) >= MIN_CANDIDATES else rec.candidates(session))]
    by_id = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids)))} if ids else {}
    return [by_id[i] for i in ids]


@_locked  # under the recommender's lock, like its own methods: one vectorizer for every matrix below
def rating_round(rec: Recommender, session: Session, member: Member, shown: Collection[int], *,
                 k: int = ROUND_SIZE, now: dt.datetime | None = None) -> list[Pick]:
    """The next ``k`` papers for ``member`` to rate, best shown first.

    The opening round (the member has rated none of ``shown``) covers the
    recent papers (:func:`~recommender.ranking.onboarding.opening_round`);
    later rounds ask about what their ratings leave uncertain
    (:func:`~recommender.ranking.onboarding.follow_up_round`).

    Parameters
    ----------
    rec : Recommender
        Supplies candidates, TF-IDF rows, embeddings and the ranker.
    session : Session
        Open session; embeddings computed on the way are stored in it.
    member : Member
        The newcomer.
    shown : collection of int
        Paper ids already shown in earlier rounds: never shown again (nor any paper the member rated).
    k : int
    now : datetime, optional
        UTC; defaults to the current time.

    Returns
    -------
    list of Pick
        At most ``k`` (fewer when the store holds fewer unseen news papers), each with an onboarding reason.
    """
    now = now or utcnow()
    papers = _candidates(rec, session, now)
    if not papers:
        return []
    feedback = {f.paper_id: f.value for f in session.scalars(select(Feedback).where(Feedback.member_id == member.id))}
    exclude = np.array([p.id in feedback or p.id in shown for p in papers], dtype=bool)
    ids = [p.id for p in papers]
    X = rec.matrix(session, ids)
    popularity = _popularity(session, member, papers)
    rated_shown = [i for i, p in enumerate(papers) if p.id in shown and p.id in feedback]
    target, _ = rec.target_inputs(session, member, ids, now)
    declared = bool(target.interests_text.strip())
    if rated_shown or declared:
        emb = rec.embeddings(session, ids)
        scores, _ = rec.ranker(session).score(X, [target], semantic=None if emb is None else SemanticInputs(emb))
    if not rated_shown:  # near the interests declared, if any; else what the store covers
        rows = opening_round(X, k, popularity=popularity, exclude=exclude, fit=scores[0] if declared else None)
        reason = OPENING_INTERESTS_REASON if declared else OPENING_REASON
    else:
        liked = np.array([i for i in rated_shown if feedback[papers[i].id] > 0], dtype=np.int64)
        disliked = np.array([i for i in rated_shown if feedback[papers[i].id] < 0], dtype=np.int64)
        rows = follow_up_round(X, scores[0], liked, disliked, k, popularity=popularity, exclude=exclude)
        reason = FOLLOW_UP_REASON
    return [Pick.from_paper(papers[i], reason=reason) for i in rows]
