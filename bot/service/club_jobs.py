"""The journal club's jobs: post a channel's weekly poll, and close it by announcing the winner.

What is due is read from the database (:func:`bot.service.due.due_club`) by the
``sync`` job (:func:`bot.service.scheduler.queue_due`), so a club is posted
within ``[service] sync_seconds`` of its slot, after a restart too; the posting
is exactly once through the delivery claim (:func:`bot.delivery.club.deliver_club`).
:func:`bot.service.digest_jobs.run_digest` hands the club's delivery kinds here, so
the workers, the database-outage retries and the failed-delivery retries treat a
poll or a close as they treat a digest.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.club import CLOSE, CLOSE_AFTER, POLL
from bot.delivery import DeliveryOutcome, DeliveryTarget
from bot.delivery.ballot import poll_of
from bot.delivery.club import deliver_club
from bot.service.triggers import last_weekly_slot
from recommender.store import Channel
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from bot.service.context import JobContext

__all__ = ["CLUB_KINDS", "ClubRun", "run_club", "run_due_club_jobs", "run_due_clubs"]

log = logging.getLogger(__name__)

#: The delivery kinds of the journal club (``deliveries.target_kind``).
CLUB_KINDS = (POLL, CLOSE)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _skip(kind: str, channel_id: int, reason: str) -> DeliveryOutcome:
    log.info("club job skipped", extra={"target": kind, "target_id": channel_id, "reason": reason})
    return DeliveryOutcome("skipped", error=reason)


def run_club(ctx: JobContext, kind: str, channel_id: int, *, now: dt.datetime | None = None,
             day: dt.date | None = None) -> DeliveryOutcome:
    """Post channel ``channel_id``'s club poll (``kind`` :data:`bot.club.POLL`) or close (:data:`bot.club.CLOSE`).

    Parameters
    ----------
    now : datetime, optional
        Aware time of the run (default: now, UTC).
    day : date, optional
        The club's local day; default: a poll's most recent weekly slot (a close needs its poll's day).

    Returns
    -------
    DeliveryOutcome
        ``skipped`` when the channel is gone or paused (:mod:`bot.pauses`), has no club (a poll), its poll was not
        posted or is still open (a close), no adapter serves its platform, or
        someone else holds the claim; ``empty`` when nothing was 👍'd that week.
    """
    now = now or utcnow()
    with ctx.store.session() as session:
        channel = session.get(Channel, channel_id)
        if channel is None:
            return _skip(kind, channel_id, "channel gone")
        if channel.paused:  # the bot left its server (bot.pauses): its return resumes the club
            return _skip(kind, channel_id, f"channel paused ({channel.paused})")
        target = DeliveryTarget.of(channel)
        if kind == POLL and day is None:
            if channel.club_weekday is None or channel.club_time is None:
                return _skip(kind, channel_id, "no club")
            day, _ = last_weekly_slot(channel.club_weekday, channel.club_time, channel.timezone, now)
        if day is None:
            return _skip(kind, channel_id, "no club day")
        if kind == CLOSE:
            poll = poll_of(session, channel_id, day)
            if poll is None or poll.status != "posted":
                return _skip(kind, channel_id, "poll not posted")
            if now < _aware(poll.first_claimed_at or poll.claimed_at) + CLOSE_AFTER:
                return _skip(kind, channel_id, "poll still open")
    poster = ctx.posters.get(target.platform)
    if poster is None or not hasattr(poster, "post_club"):
        log.warning("club job skipped", extra={"target": kind, "target_id": channel_id,
                                               "reason": f"no club adapter for {target.platform}"})
        return DeliveryOutcome("skipped", error=f"no club adapter for platform {target.platform}")
    outcome = deliver_club(ctx.store, ctx.settings, poster, target, kind, day, now=now)
    log.info("club job", extra={"target": kind, "target_id": channel_id, "platform": target.platform,
                                "day": str(day), "status": outcome.status, "papers": outcome.papers})
    return outcome


@dataclass(frozen=True)
class ClubRun:
    """A journal club job run now: the poll or close (``kind``, :data:`bot.club.POLL` or :data:`bot.club.CLOSE`)
    of ``platform``'s channel ``channel`` (its name, else its channel id) for the club's ``day``, and its outcome."""

    kind: str
    channel: str
    platform: str
    day: dt.date
    outcome: DeliveryOutcome


def run_due_clubs(ctx: JobContext, *, now: dt.datetime | None = None) -> list[DeliveryOutcome]:
    """Post every club poll and close due at ``now`` (:func:`bot.service.due.due_club`), in this thread."""
    return [run.outcome for run in run_due_club_jobs(ctx, now=now)]


def run_due_club_jobs(ctx: JobContext, *, now: dt.datetime | None = None) -> list[ClubRun]:
    """:func:`run_due_clubs`, each outcome with its job and channel (``paperbot run --once`` lists them)."""
    from bot.service.due import due_club  # due.py imports digest_jobs, which imports this module

    now = now or utcnow()
    with ctx.store.session() as session:
        due = due_club(session, set(ctx.posters), now)
        channels = {row.id: (row.name or row.channel_ref, row.platform) for row in session.scalars(
            select(Channel).where(Channel.id.in_({d.channel_id for d in due})))} if due else {}
    return [ClubRun(d.kind, *channels.get(d.channel_id, (str(d.channel_id), "?")), d.day,
                    run_club(ctx, d.kind, d.channel_id, now=now, day=d.day)) for d in due]
