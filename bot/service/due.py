"""Which digests are due and not yet posted, decided by the database alone.

A target (an enabled channel, a subscribed member) is due for a local day when
its ``digest_time`` slot of that day has passed in its ``timezone``, at most
:data:`bot.service.triggers.MISFIRE_GRACE_SECONDS` ago, after the target was
created, and no ``deliveries`` row exists for it and that day. Nothing here
depends on what a scheduler remembers: APScheduler 3 moves a job's next run
time on before the job runs, so a process killed with jobs waiting in its
thread pool leaves them "done" in the job store and missing in the channel. A
start, every ``sync`` and the end of a database outage ask this module instead,
and post what it lists (the claim in :mod:`bot.delivery` keeps that exactly once).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.club import CLOSE, CLOSE_AFTER, POLL
from bot.service.digest_jobs import digest_targets
from bot.service.triggers import MISFIRE_GRACE_SECONDS, last_slot, last_weekly_slot
from recommender.store import Channel, Delivery

__all__ = ["DueClub", "DueDigest", "due_club", "due_digests"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueDigest:
    """One digest that is due: the target, its local day and when its slot passed (aware, UTC)."""

    kind: str  # "channel" or "member"
    target_id: int
    day: dt.date
    slot: dt.datetime


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def due_digests(session: Session, platforms: set[str] | None, now: dt.datetime,
                *, grace_seconds: float = MISFIRE_GRACE_SECONDS) -> list[DueDigest]:
    """Every digest due at ``now`` with no ``deliveries`` row, oldest slot first.

    Parameters
    ----------
    session : Session
    platforms : set of str or None
        Only targets on these platforms (the ones this process can post to); None: all.
    now : datetime
        Aware current time.
    grace_seconds : float
        A slot that passed longer ago than this (seconds) is not caught up.

    Returns
    -------
    list of DueDigest
        Two queries whatever the number of targets: the targets, then the
        deliveries of the days in question. A target with a bad schedule is
        skipped (logged).
    """
    candidates: dict[tuple[str, int], DueDigest] = {}
    for row in digest_targets(session, platforms):
        kind = "channel" if isinstance(row, Channel) else "member"
        try:
            day, slot = last_slot(row.digest_time, row.timezone, now)
        except ValueError as exc:
            log.warning("bad digest schedule", extra={"target": kind, "target_id": row.id, "error": str(exc)})
            continue
        if (now - slot).total_seconds() > grace_seconds or (row.created_at and _aware(row.created_at) > slot):
            continue
        candidates[(kind, row.id)] = DueDigest(kind, row.id, day, slot)
    if not candidates:
        return []
    days = {d.day for d in candidates.values()}
    done = {tuple(row) for row in session.execute(
        select(Delivery.target_kind, Delivery.target_id, Delivery.day).where(Delivery.day.in_(days)))}
    due = [d for d in candidates.values() if (d.kind, d.target_id, d.day) not in done]
    return sorted(due, key=lambda d: (d.slot, d.kind, d.target_id))


@dataclass(frozen=True)
class DueClub:
    """A journal club delivery that is due: the poll (``kind`` :data:`bot.club.POLL`) or the close
    (:data:`bot.club.CLOSE`) of a channel's club ``day``, due since ``at`` (aware, UTC)."""

    kind: str
    channel_id: int
    day: dt.date
    at: dt.datetime


def due_club(session: Session, platforms: set[str] | None, now: dt.datetime,
             *, grace_seconds: float = MISFIRE_GRACE_SECONDS) -> list[DueClub]:
    """Every journal club poll and close due at ``now`` with no ``deliveries`` row of its kind, oldest first.

    A poll is due when the channel's weekly slot (``club_weekday`` at ``club_time`` in its
    ``timezone``) passed at most ``grace_seconds`` ago and after the club was set
    (``club_since``), and the channel has no poll row of that day or the 6 days before
    (one a week, also when the club's day is changed mid-week). A close is due once its poll was posted and :data:`bot.club.CLOSE_AFTER`
    passed since the poll was first claimed, whether or not the club is still on, however late (paperbot down, or
    the channel paused, for a week or more: the poll is closed when it can be, never left open), as long as that
    poll is the channel's latest. A paused channel (:mod:`bot.pauses`) has nothing due, neither poll nor close,
    until it resumes. Three queries whatever the number of channels.
    """
    due: list[DueClub] = []
    clubs = session.scalars(select(Channel).where(Channel.club_weekday.is_not(None), Channel.paused.is_(None))
                            .order_by(Channel.id)).all()
    polls: dict[tuple[int, dt.date], dt.datetime] = {}
    for row in clubs:
        if platforms is not None and row.platform not in platforms:
            continue
        try:
            day, slot = last_weekly_slot(row.club_weekday or 0, row.club_time or "", row.timezone, now)
        except ValueError as exc:
            log.warning("bad club schedule", extra={"channel_id": row.id, "error": str(exc)})
            continue
        if (now - slot).total_seconds() > grace_seconds or (row.club_since and _aware(row.club_since) > slot):
            continue
        polls[(row.id, day)] = slot
    if polls:  # one poll a week: none within the 6 days before (the club's day may have been changed)
        earliest = min(day for _, day in polls) - dt.timedelta(days=6)
        recent: dict[int, list[dt.date]] = {}
        for channel_id, day in session.execute(
                select(Delivery.target_id, Delivery.day).where(Delivery.target_kind == POLL, Delivery.day >= earliest)):
            recent.setdefault(channel_id, []).append(day)
        due += [DueClub(POLL, channel_id, day, slot) for (channel_id, day), slot in polls.items()
                if not any(day - dt.timedelta(days=6) <= d <= day for d in recent.get(channel_id, []))]
    latest = (select(Delivery.target_id, func.max(Delivery.day).label("day"))  # each channel's last poll
              .where(Delivery.target_kind == POLL).group_by(Delivery.target_id).subquery())
    posted = session.execute(
        select(Delivery.target_id, Delivery.day, Delivery.first_claimed_at, Delivery.claimed_at, Channel.platform)
        .join(latest, and_(latest.c.target_id == Delivery.target_id, latest.c.day == Delivery.day))
        .join(Channel, Channel.id == Delivery.target_id)
        .where(Delivery.target_kind == POLL, Delivery.status == "posted", Channel.paused.is_(None))
    ).all()
    if posted:
        closed = {tuple(r) for r in session.execute(
            select(Delivery.target_id, Delivery.day)
            .where(Delivery.target_kind == CLOSE, Delivery.day.in_({r.day for r in posted})))}
        for channel_id, day, first, claimed, platform in posted:
            closes = _aware(first or claimed) + CLOSE_AFTER
            if (platforms is None or platform in platforms) and closes <= now and (channel_id, day) not in closed:
                due.append(DueClub(CLOSE, channel_id, day, closes))
    return sorted(due, key=lambda d: (d.at, d.kind, d.channel_id))
