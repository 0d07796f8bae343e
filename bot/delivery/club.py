"""The journal club's two deliveries: the weekly poll and its close, each exactly once.

A poll is a ``deliveries`` row of kind :data:`bot.club.POLL` for (channel, the
club's local day); its items are the papers on the ballot (``score`` holds each
paper's 👍 that week), chosen on the first attempt and kept for every retry.
The close, a row of kind :data:`bot.club.CLOSE` for the same channel and day,
announces the winner (its one item). Both go through :func:`bot.delivery.attempt`,
the digests' claim-before-post machinery: the unique claim row is committed
before anything is posted, each message reference as the platform accepts it,
and a resumed attempt adopts what an earlier one posted unrecorded (Slack
metadata, Discord nonce), since a :class:`ClubPost` is a :class:`DigestPost`.

Posters implement ``post_club(post: ClubPost)`` (one message: the ballot with
its vote buttons, or the announcement).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from bot.club import CLOSE, LIKES_WINDOW, POLL, ClubBallot, winner_text
from bot.delivery import Claim, DeliveryOutcome, attempt
from bot.delivery.ballot import load_ballot, most_liked, poll_of
from bot.delivery.claim import held_row
from bot.delivery.post import DeliveryTarget, DigestPost
from bot.digest import DigestMessage
from bot.settings import Settings
from recommender.store import Channel, DeliveryItem, Store

__all__ = ["ClubPost", "deliver_club"]

log = logging.getLogger(__name__)


@dataclass
class ClubPost(DigestPost):
    """A club message on its way: a :class:`DigestPost` (claim, references, idempotency key) plus the ballot.

    Attributes
    ----------
    ballot : ClubBallot
        The poll's ballot; on a close, with its final votes and ``closed`` set.
    stage : str
        :data:`bot.club.POLL` (post the ballot with vote buttons) or :data:`bot.club.CLOSE`
        (announce ``ballot.winner``; ``digest.intro`` is the announcement's text).
    poll_ref : str or None
        On a close: the poll message's reference, so an adapter may mark it closed.
    """

    ballot: ClubBallot | None = None
    stage: str = POLL
    poll_ref: str | None = None


def _compose_poll(store: Store, target: DeliveryTarget, held: Claim, day: dt.date, now: dt.datetime) -> ClubPost | None:
    """The ballot of this week; papers chosen on the first attempt only (a retry posts the same ballot)."""
    with store.session(immediate=True) as session:
        poll = held_row(session, held)  # first: a channel removal running now waits for this transaction
        if poll is None or session.get(Channel, target.id) is None:
            return None
        if not poll.items:
            for position, (paper_id, likes) in enumerate(most_liked(session, target.id, now - LIKES_WINDOW, now)):
                poll.items.append(DeliveryItem(paper_id=paper_id, position=position, score=float(likes),
                                               reason=f"👍 {likes}", platform=target.platform))
            session.flush()
        ballot = load_ballot(session, poll, target.name, now)
        ballot.closed = False
        digest = DigestMessage(ballot.title, day, [o.pick for o in ballot.options], ballot.intro())
        return ClubPost(held.delivery_id, target, digest, header_ref=poll.message_ref, attempt=held.attempt,
                        first_claimed_at=poll.first_claimed_at or poll.claimed_at, ballot=ballot, stage=POLL)


def _compose_close(store: Store, target: DeliveryTarget, held: Claim, day: dt.date, now: dt.datetime) -> ClubPost | None:
    """The winner's announcement, from the votes on record (none are taken after the close time)."""
    with store.session(immediate=True) as session:
        close = held_row(session, held)  # gone with a channel removed since the claim
        poll = poll_of(session, target.id, day) if close is not None else None
        if poll is None or poll.status != "posted":
            return None
        ballot = load_ballot(session, poll, target.name, now)
        ballot.closed = True
        winner = ballot.winner
        if winner is not None and not close.items:
            close.items.append(DeliveryItem(paper_id=winner.pick.paper_id, position=0, score=float(len(winner.voters)),
                                            reason=", ".join(winner.voters), platform=target.platform))
            session.flush()
        digest = DigestMessage(ballot.title, day, [winner.pick] if winner else [], winner_text(ballot))
        return ClubPost(held.delivery_id, target, digest, header_ref=close.message_ref, attempt=held.attempt,
                        first_claimed_at=close.first_claimed_at or close.claimed_at, ballot=ballot, stage=CLOSE,
                        poll_ref=poll.message_ref)


def deliver_club(store: Store, settings: Settings, poster, channel: DeliveryTarget, stage: str, day: dt.date, *,
                 now: dt.datetime) -> DeliveryOutcome:
    """Post the club's poll (``stage`` :data:`bot.club.POLL`) or close (:data:`bot.club.CLOSE`) for ``day`` once.

    Parameters
    ----------
    poster
        The channel platform's poster; it must have ``post_club(ClubPost)``.
    channel : DeliveryTarget
        The channel (``kind`` ``"channel"``); the delivery's kind becomes ``stage``.
    day : date
        The club's local day (the poll's slot); a close uses its poll's day.
    now : datetime
        Aware time of the attempt (UTC): the 👍 window ends there, and a poll first claimed
        then closes :data:`bot.club.CLOSE_AFTER` later.

    Returns
    -------
    DeliveryOutcome
        ``empty`` when no paper was 👍'd in the channel that week (nothing is posted, and no close
        follows); ``skipped`` when already claimed or done, or (a close) when its poll was not posted.
    """
    target = dataclasses.replace(channel, kind=stage)
    compose = _compose_poll if stage == POLL else _compose_close

    def build(held: Claim) -> ClubPost | None:
        return compose(store, target, held, day, now)

    what = "club poll" if stage == POLL else "club close"
    return attempt(store, settings, target, day, now, build, poster.post_club, skip_empty=True, what=what)
