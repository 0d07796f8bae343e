"""A journal club's ballot in the store: the week's most 👍'd papers, a poll's row, its votes so far.

Store queries only (no posting), shared by the club's delivery (:mod:`bot.delivery.club`)
and its commands (:mod:`bot.commands.club`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from bot.club import BALLOT_SIZE, CLOSE, CLOSE_AFTER, POLL, ClubBallot, ClubOption
from recommender.pick import Pick
from recommender.store import ClubVote, Delivery, Feedback

__all__ = ["load_ballot", "most_liked", "poll_of"]


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def most_liked(session: Session, channel_id: int, since: dt.datetime, until: dt.datetime,
               k: int = BALLOT_SIZE) -> list[tuple[int, int]]:
    """``(paper_id, 👍)`` of the papers 👍'd most in a channel between ``since`` and ``until`` (aware, UTC).

    A 👍 counts when it was given in the channel (a reaction or button on the
    channel's posts, or ``/papers like`` typed there: ``Feedback.channel_id``) and
    last set in the window. Order: most 👍, then most distinct people, then the most
    recent 👍, then the lower paper id. (The store keeps one opinion per person and
    paper, so the first two agree today; the second key keeps the rule if that changes.)
    """
    likes = func.count(Feedback.id)
    people = func.count(distinct(Feedback.member_id))
    latest = func.max(Feedback.created_at)
    rows = session.execute(
        select(Feedback.paper_id, likes)
        .where(Feedback.channel_id == channel_id, Feedback.value > 0,
               Feedback.created_at >= since, Feedback.created_at < until)
        .group_by(Feedback.paper_id)
        .order_by(likes.desc(), people.desc(), latest.desc(), Feedback.paper_id)
        .limit(k)
    ).all()
    return [(paper_id, n) for paper_id, n in rows]


def poll_of(session: Session, channel_id: int, day: dt.date) -> Delivery | None:
    """The channel's poll row for the club day ``day``."""
    return session.scalar(select(Delivery).where(
        Delivery.target_kind == POLL, Delivery.target_id == channel_id, Delivery.day == day))


def load_ballot(session: Session, poll: Delivery, channel_name: str, now: dt.datetime) -> ClubBallot:
    """The ballot of ``poll`` at ``now``: its papers in order, each with its voters (display names, by vote time).

    ``closed`` when ``now`` is past the close time (:data:`bot.club.CLOSE_AFTER` after
    the poll was first claimed) or the close was claimed.
    """
    voters: dict[int, list[str]] = {}
    for vote in session.scalars(select(ClubVote).where(ClubVote.poll_id == poll.id).order_by(ClubVote.voted_at, ClubVote.id)):
        voters.setdefault(vote.paper_id, []).append(vote.member.name)
    options = [ClubOption(Pick.from_paper(item.paper, score=item.score, reason=item.reason), int(item.score),
                          voters.get(item.paper_id, [])) for item in poll.items]
    closes_at = _aware(poll.first_claimed_at or poll.claimed_at) + CLOSE_AFTER
    close_claimed = session.scalar(select(Delivery.id).where(
        Delivery.target_kind == CLOSE, Delivery.target_id == poll.target_id, Delivery.day == poll.day)) is not None
    return ClubBallot(poll.id, channel_name, poll.day, options, closes_at, closed=close_claimed or now >= closes_at)
