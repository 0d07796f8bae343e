"""Deliver a daily digest to one target exactly once: claim, compose, post, record each message.

* :mod:`bot.delivery.claim`: the unique (target, day) claim, taken over only
  from a claimant that failed or stopped beating, and the :class:`Lease` that
  beats while it posts and commits each message reference as it is accepted.
* :mod:`bot.delivery.post`: what a chat adapter sees (:class:`DigestPost`,
  :class:`Poster`, :class:`DeliveryTarget`).
* :mod:`bot.delivery.plan`: a day's digests ranked together before any is claimed
  (:class:`DigestPlan`); each delivery still chooses its papers under its claim.
* :func:`deliver` (here): one attempt at one target's digest for one day.

A retry, a restart or another process's takeover resumes a half-posted digest
from the references on record, in the same thread; what the platform accepted
but the dead process could not record is adopted where the platform allows
(Slack message metadata, Discord's nonce; see docs/slack.md and docs/discord.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from bot.commands.caller import actor_user_ref
from bot.commands.presence import pause_channels, pause_workspace
from bot.delivery import mentions
from bot.delivery.claim import MAX_ATTEMPTS, Claim, ClaimLost, Lease, claim, held_row, unclaimed_why
from bot.delivery.plan import DigestPlan, last_composed
from bot.delivery.post import HEADER, DeliveryTarget, DigestPost, Part, Poster, TargetUnreachable
from bot.digest import DigestMessage
from bot.pauses import PAUSED_MARK, SERVER_WIDE, WORKSPACE_WIDE, paused_why
from bot.settings import Settings
from recommender.pick import Pick
from recommender.picks import Recommender
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Member, Paper, Store
from recommender.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class DeliveryOutcome:
    status: str  # posted, empty, skipped, failed, unreachable
    delivery_id: int | None = None
    papers: int = 0
    error: str | None = None


def local_day(timezone: str, now: dt.datetime) -> dt.date:
    """The calendar day at ``now`` (aware, UTC) in ``timezone`` (IANA name)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def _target_row(session, target: DeliveryTarget) -> Channel | Member | None:
    return session.get(Channel if target.kind == "channel" else Member, target.id)


def _since(session, target: DeliveryTarget) -> dt.datetime | None:
    """When the target's last digest was composed: newer papers are its candidates (:func:`bot.delivery.plan.last_composed`)."""
    key = (target.kind, target.id)
    return last_composed(session, [key]).get(key)


def _configurer(session, target: DeliveryTarget, day: dt.date) -> str | None:
    """The user id of whoever last changed the channel's setup, unless they were told on an earlier day.

    Changes a person made count; one the platform made (a rename Slack reported) names nobody to tell."""
    if target.kind != "channel":
        return None
    change = session.scalar(
        select(ChannelChange).where(ChannelChange.channel_id == target.id, ChannelChange.actor.like(f"{target.platform}:%"))
        .order_by(ChannelChange.id.desc()).limit(1)
    )
    if change is None:
        return None
    previous = session.scalar(
        select(Delivery)
        .where(Delivery.target_kind == "channel", Delivery.target_id == target.id, Delivery.day < day)
        .order_by(Delivery.day.desc())
        .limit(1)
    )
    if previous is not None and previous.status == "unreachable" and _utc(change.at) <= _utc(previous.claimed_at):
        return None
    return actor_user_ref(change.actor, target.platform)


def _utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (SQLite returns naive datetimes, PostgreSQL aware ones)."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _compose(store: Store, recommender: Recommender, target: DeliveryTarget, held: Claim, day: dt.date,
             now: dt.datetime, plan: DigestPlan | None = None) -> DigestPost | None:
    """The claimed digest with what is on record; papers are chosen on the first attempt only
    (a retry re-posts the papers chosen the first time), from ``plan`` when it still holds good ones.
    None when the target is gone, or its delivery with it (removed since the claim, :func:`held_row`)."""
    chosen: list[Pick] | None = None  # ranked before the write transaction: a 👍 meanwhile need not wait for it
    with store.session() as session:
        delivery = session.get(Delivery, held.delivery_id)
        row = _target_row(session, target) if delivery is not None else None
        if row is None:
            return None
        fresh = not delivery.items  # a first attempt: its papers are chosen now
        if fresh:
            since = _since(session, target)
            chosen = plan.take(session, target, since, row.digest_size) if plan is not None else None
    if fresh and chosen is None:  # ranked alone: new papers' vectors stored first, in their own transaction
        with store.session() as session:
            recommender.prepare(session, since=since)
        with store.session() as session:
            row = _target_row(session, target)
            if row is None:
                return None
            chosen = recommender.picks(session, [row], row.digest_size, since=since, now=now)[0]
    named: list = []  # who the papers name (a channel with mentions on), read before the write transaction too
    if fresh and chosen and target.kind == "channel":
        with store.session() as session:
            channel = session.get(Channel, target.id)
            if channel is not None:
                named = mentions.fits(session, recommender, channel, [p.paper_id for p in chosen], day, now)
    with store.session(immediate=True) as session:
        delivery = held_row(session, held)  # first: a removal running now waits for this transaction
        row = _target_row(session, target) if delivery is not None else None
        if row is None:
            return None
        if delivery.items:  # chosen on an earlier attempt: those are the digest's papers
            chosen = None
        elif chosen is not None:
            for position, pick in enumerate(chosen):
                delivery.items.append(
                    DeliveryItem(paper_id=pick.paper_id, position=position, score=pick.score, reason=pick.reason, platform=target.platform)
                )
            session.flush()
            if isinstance(row, Channel):  # names chosen with the papers, before any post (bot.delivery.mentions)
                mentions.plan(session, row, delivery, named)
        # a channel whose name Slack never sent (a private channel's commands say "privategroup") is not named by its id
        title_name = target.name if target.kind != "channel" else f"#{row.name}" if row.name else "this channel"
        digest = DigestMessage(
            title=f"Papers for {title_name}, {day:%a %d %b %Y}",
            day=day,
            papers=chosen if chosen is not None else _recorded_picks(session, delivery),
            mentions=mentions.named(session, delivery.id) if target.kind == "channel" else {},
        )
        return DigestPost(
            held.delivery_id, target, digest, header_ref=delivery.message_ref,
            paper_refs={item.paper_id: item.message_ref for item in delivery.items if item.message_ref},
            configurer=_configurer(session, target, day), attempt=held.attempt,
            first_claimed_at=delivery.first_claimed_at or delivery.claimed_at,
        )


def _pause(session, target: DeliveryTarget, reason: str, delivery: Delivery) -> None:
    """Pause ``target`` for ``reason`` (:mod:`bot.pauses`), in the caller's transaction: no digest until the bot or the
    person is back; the day's error says so (:data:`bot.pauses.PAUSED_MARK`, no DM notice tells of it), and a
    channel's change log too. A :data:`~bot.pauses.WORKSPACE_WIDE` reason (the Slack app gone) pauses every channel
    and member of the target's workspace (:func:`bot.commands.presence.pause_workspace`); a
    :data:`~bot.pauses.SERVER_WIDE` one (the bot out of a Discord server) every channel of it as well as the target
    (:func:`bot.commands.presence.pause_channels`), as the platform's event does."""
    row = _target_row(session, target)
    if row is None:
        return
    delivery.error = f"{delivery.error}{PAUSED_MARK}{paused_why(reason)}"
    if reason in WORKSPACE_WIDE:
        pause_workspace(session, target.platform, target.workspace, reason)
        return
    if row.paused != reason:
        row.paused = reason
        if isinstance(row, Channel):
            session.add(ChannelChange(channel_id=row.id, actor=target.platform, change=f"paused: {paused_why(reason)}",
                                      at=utcnow()))
        log.info("target paused", extra={"target": target.kind, "target_id": target.id, "reason": reason})
    if reason in SERVER_WIDE:
        others = pause_channels(session, target.platform, target.workspace, reason)
        if others:
            log.info("workspace channels paused", extra={"platform": target.platform, "workspace": target.workspace,
                                                         "reason": reason, "channels": others.channels})


def _recorded_picks(session, delivery: Delivery) -> list[Pick]:
    """The delivery's papers as chosen on its first attempt, in order, their rows read in one query."""
    ids = [item.paper_id for item in delivery.items]
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids)))} if ids else {}
    return [Pick.from_paper(papers[item.paper_id], score=item.score, reason=item.reason) for item in delivery.items]


def deliver(
    store: Store,
    recommender: Recommender,
    settings: Settings,
    poster: Poster,
    target: DeliveryTarget,
    *,
    now: dt.datetime | None = None,
    day: dt.date | None = None,
    plan: DigestPlan | None = None,
) -> DeliveryOutcome:
    """Post ``target``'s digest for its local ``day`` once; safe to call again, from many processes, after a kill.

    Parameters
    ----------
    now : datetime, optional
        Aware time of the attempt (default: now, UTC); heartbeats count on from it.
    day : date, optional
        The digest's local day (default: the target's local day at ``now``).
    plan : DigestPlan, optional
        The day's digests ranked together (:mod:`bot.delivery.plan`); without it, or when its
        picks no longer hold, the target is ranked alone.

    Returns
    -------
    DeliveryOutcome
        ``skipped`` when someone else holds the claim, the digest is done, or the
        target is gone; ``failed`` (retried later) or ``unreachable`` (not retried)
        with the error; ``posted`` or ``empty``.

    Notes
    -----
    Each message reference is committed as the platform accepts it (see
    :mod:`bot.delivery.claim`). A poster that raises a ``BaseException`` (the
    process is going down) leaves the delivery ``claimed``: it is taken over
    ``settings.delivery.recovery_seconds`` after its last heartbeat.
    """
    now = now or utcnow()
    if day is None:  # given a day, a target gone meanwhile is found by compose, under the claim
        with store.session() as session:
            row = _target_row(session, target)
            if row is None:
                return DeliveryOutcome("skipped", error="target no longer exists")
            day = local_day(row.timezone, now)

    def compose(held: Claim) -> DigestPost | None:
        post = _compose(store, recommender, target, held, day, now, plan)
        if post is not None and post.digest.empty and settings.digest.empty_day != "skip":
            post.digest.intro = "No new papers for you today."
        return post

    return attempt(store, settings, target, day, now, compose, poster.post,
                   skip_empty=settings.digest.empty_day == "skip")


def attempt(store: Store, settings: Settings, target: DeliveryTarget, day: dt.date, now: dt.datetime,
            compose: Callable[[Claim], DigestPost | None], send: Callable[[DigestPost], None], *,
            skip_empty: bool, what: str = "digest") -> DeliveryOutcome:
    """One claimed attempt at one delivery of any kind (a digest, a journal club poll or close).

    Claims ``(target.kind, target.id, day)`` (:func:`bot.delivery.claim.claim`), holds the
    :class:`Lease` while ``compose(claim)`` builds the post (None: the target is gone) and
    ``send(post)`` posts it, recording each message reference as the platform accepts it,
    then settles the row in one transaction.

    Parameters
    ----------
    skip_empty : bool
        A post with no papers is recorded ``empty`` and not sent.
    what : str
        The kind of delivery the log lines name (``"digest"``, ``"club poll"``...).

    Returns
    -------
    DeliveryOutcome
        As :func:`deliver` returns.
    """
    started = time.monotonic()

    def clock() -> dt.datetime:
        return now + dt.timedelta(seconds=time.monotonic() - started)

    recovery = settings.delivery.recovery_seconds
    held = claim(store, target, day, now, recovery_seconds=recovery)
    if held is None:
        return DeliveryOutcome("skipped", error=unclaimed_why(store, target, day) or None)

    error, unreachable, pause = None, False, None
    with Lease(store, held, recovery_seconds=recovery, clock=clock) as lease:
        post = compose(held)
        if post is None:  # gone since the caller looked: nothing to post, no claim left to take over and skip again
            with store.session() as session:
                session.execute(delete(Delivery).where(Delivery.id == held.delivery_id, Delivery.attempts == held.attempt))
            return DeliveryOutcome("skipped", error="target no longer exists")
        post.recorder = lease.record
        if post.digest.empty and skip_empty:
            return _finish(store, held, post, None, empty=True, what=what)
        try:
            send(post)
        except ClaimLost as exc:  # taken over, or its target removed (_finish says which): the rest is not posted
            error = str(exc)
        except TargetUnreachable as exc:
            error, unreachable, pause = f"unreachable: {exc}", True, exc.pause
            log.warning(f"{what} target unreachable", extra={"target": target.kind, "target_id": target.id, "error": error})
        except Exception as exc:  # any adapter failure: keep what was posted, retry the rest later
            error = f"{type(exc).__name__}: {exc}"
            log.warning(f"{what} post failed", extra={"target": target.kind, "target_id": target.id, "error": error})
    return _finish(store, held, post, error, unreachable=unreachable, pause=pause, what=what)


def _finish(store: Store, held: Claim, post: DigestPost, error: str | None, *, unreachable: bool = False,
             pause: str | None = None, empty: bool = False, what: str = "digest") -> DeliveryOutcome:
    """Settle the attempt in one transaction: the outcome, and any reference whose own commit failed; the target
    paused when the poster said why it stays unreachable (``pause``, :class:`TargetUnreachable`)."""
    target, papers = post.target, len(post.digest.papers)
    with store.session(immediate=True) as session:
        delivery = session.get(Delivery, held.delivery_id, with_for_update=True, populate_existing=True)
        if delivery is None:  # its target was removed while it posted: the removal took the delivery with it
            log.info(f"{what} target removed", extra={"target": target.kind, "target_id": target.id,
                                                     "delivery_id": held.delivery_id})
            return DeliveryOutcome("skipped", held.delivery_id, papers, "target removed while it was posted")
        if delivery.attempts != held.attempt:  # taken over while this process was presumed dead
            log.warning(f"{what} taken over", extra={"target": target.kind, "target_id": target.id,
                                                    "delivery_id": held.delivery_id})
            return DeliveryOutcome("skipped", held.delivery_id, papers, error or "taken over by another process")
        delivery.message_ref = delivery.message_ref or post.header_ref
        for item in delivery.items:
            item.message_ref = item.message_ref or post.paper_refs.get(item.paper_id)
        if error is None:
            delivery.status = "empty" if empty or post.digest.empty else "posted"
            delivery.posted_at = None if empty else utcnow()
            delivery.error = None
        else:
            delivery.status = "unreachable" if unreachable else "failed"
            delivery.error = error
            if unreachable:
                mentions.release_unposted(session, delivery)
            if pause is not None:
                _pause(session, target, pause, delivery)
                error = delivery.error
    if empty:
        log.info(f"{what} empty", extra={"target": target.kind, "target_id": target.id, "day": str(post.digest.day)})
        return DeliveryOutcome("empty", held.delivery_id)
    if error:
        return DeliveryOutcome("unreachable" if unreachable else "failed", held.delivery_id, papers, error)
    log.info(f"{what} posted", extra={"target": target.kind, "target_id": target.id, "day": str(post.digest.day),
                                     "papers": papers})
    return DeliveryOutcome("posted", held.delivery_id, papers)


__all__ = [
    "HEADER", "MAX_ATTEMPTS", "Claim", "ClaimLost", "DeliveryOutcome", "DeliveryTarget", "DigestPlan", "DigestPost", "Lease",
    "Part", "Poster", "TargetUnreachable", "attempt", "claim", "deliver", "local_day",
]
