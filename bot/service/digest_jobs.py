"""The ``digest:<target>`` jobs: deliver a target's digest for its slot, and retry the ones that failed.

Posting is exactly-once through the delivery claim (:mod:`bot.delivery`): a job
that finds its (target, day) claimed by someone else posts nothing. A failed
post is retried by :func:`recover` on a schedule, doubling the wait after each
attempt (:data:`RETRY_BACKOFF_SECONDS`); that backoff is the service's, not an
HTTP retry (adapters handle rate limits themselves). :func:`post_digest` is one
digest through a database outage: the attempt is retried with backoff
(:mod:`bot.service.outage`), and a claim its failed attempt left is handed back first.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.delivery import MAX_ATTEMPTS, DeliveryOutcome, DeliveryTarget, DigestPlan, deliver
from bot.service.club_jobs import CLUB_KINDS, run_club
from bot.service.outage import db_retrying, release_claim
from bot.service.triggers import MISFIRE_GRACE_SECONDS, slot_day
from recommender.store import Channel, Delivery, Member, Store
from recommender.store.errors import describe_db_error
from recommender.store.models import utcnow

if TYPE_CHECKING:  # the scheduler runs these jobs; the context type is only annotated here
    from bot.service.scheduler import JobContext

__all__ = ["RETRY_BACKOFF_SECONDS", "digest_targets", "run_digest", "post_digest", "retry_candidates", "recover"]

log = logging.getLogger(__name__)

#: A failed delivery is retried after 60 s, 120 s, 240 s... (doubling per attempt).
RETRY_BACKOFF_SECONDS = 60


def digest_targets(session: Session, platforms: set[str] | None) -> list[Channel | Member]:
    """Enabled channels, then subscribed members (by id), on ``platforms`` (None: any platform); none paused
    (:mod:`bot.pauses`)."""
    channels = session.scalars(select(Channel).where(Channel.enabled.is_(True), Channel.paused.is_(None))
                               .order_by(Channel.id)).all()
    members = session.scalars(select(Member).where(Member.subscribed.is_(True), Member.paused.is_(None))
                              .order_by(Member.id)).all()
    rows = [*channels, *members]
    return rows if platforms is None else [r for r in rows if r.platform in platforms]



def _load_target(store: Store, kind: str, target_id: int) -> tuple[DeliveryTarget, str, str] | None:
    with store.session() as session:
        row = session.get(Channel if kind == "channel" else Member, target_id)
        if row is None:
            return None
        if (kind == "channel" and not row.enabled) or (kind == "member" and not row.subscribed) or row.paused:
            return None
        return DeliveryTarget.of(row), row.digest_time, row.timezone


def run_digest(
    ctx: JobContext, kind: str, target_id: int, *, now: dt.datetime | None = None, day: dt.date | None = None,
    plan: DigestPlan | None = None,
) -> DeliveryOutcome:
    """Deliver one target's digest (exactly once per target and day).

    Parameters
    ----------
    kind : str
        ``"channel"`` or ``"member"``; a journal club kind (``club_poll``, ``club_close``) is
        handed to :func:`bot.service.club_jobs.run_club`.
    target_id : int
        ``Channel.id`` or ``Member.id``.
    now : datetime, optional
        Aware time of the run (default: now, UTC).
    day : date, optional
        The digest's local day; default :func:`bot.service.triggers.slot_day` (the day whose slot last passed).
    plan : DigestPlan, optional
        Picks ranked with the other digests of the run (:mod:`bot.delivery.plan`).

    Returns
    -------
    DeliveryOutcome
        ``skipped`` when the target is gone, switched off or paused (:mod:`bot.pauses`), on a platform this
        process does not serve, or already claimed by someone else.
    """
    now = now or utcnow()
    if kind in CLUB_KINDS:  # a journal club poll or close: a delivery of another kind, same claim and retries
        return run_club(ctx, kind, target_id, now=now, day=day)
    loaded = _load_target(ctx.store, kind, target_id)
    if loaded is None:
        log.info("digest skipped", extra={"target": kind, "target_id": target_id, "reason": "target gone or off"})
        return DeliveryOutcome("skipped", error="target gone or off")
    target, time, timezone = loaded
    poster = ctx.posters.get(target.platform)
    if poster is None:
        log.warning("digest skipped", extra={"target": kind, "target_id": target_id, "reason": f"no adapter for {target.platform}"})
        return DeliveryOutcome("skipped", error=f"no adapter for platform {target.platform}")
    day = day or slot_day(time, timezone, now)
    outcome = deliver(ctx.store, ctx.recommender, ctx.settings, poster, target, now=now, day=day, plan=plan)
    log.info("digest job", extra={"target": kind, "target_id": target_id, "platform": target.platform,
                                  "day": str(day), "status": outcome.status, "papers": outcome.papers})
    return outcome


def post_digest(ctx: JobContext, kind: str, target_id: int, day: dt.date | None = None,
                plan: DigestPlan | None = None) -> DeliveryOutcome:
    """:func:`run_digest` now (with ``plan``, when given), through a database outage.

    A transient database error (:func:`bot.service.outage.transient`) is logged
    whole and the attempt retried with backoff until it succeeds, the context
    closes or :data:`bot.service.outage.RETRY_WINDOW_SECONDS` pass; before each
    retry the claim the failed attempt may have left is released
    (:func:`bot.service.outage.release_claim`), so the retry takes it over at once.

    Raises
    ------
    sqlalchemy.exc.OperationalError
        (or another transient error) when the outage outlasts the retries; the
        digest stays derivable as due (:mod:`bot.service.due`) or retryable.
    """
    attempt_at: dt.datetime | None = None
    error = ""
    for attempt in db_retrying("post digest", stop=ctx.closed, target=kind, target_id=target_id):
        with attempt:
            try:
                if attempt_at is not None and day is not None:  # the previous attempt failed on the database
                    release_claim(ctx.store, kind, target_id, day, attempt_at, error)
                attempt_at = utcnow()
                if kind not in CLUB_KINDS:
                    day = day or _slot_day(ctx, kind, target_id, attempt_at)
                outcome = run_digest(ctx, kind, target_id, now=attempt_at, day=day, plan=plan)
            except Exception as exc:
                error = describe_db_error(exc)
                raise
    return outcome


def _slot_day(ctx: JobContext, kind: str, target_id: int, now: dt.datetime) -> dt.date | None:
    """The day :func:`run_digest` gives a target's digest at ``now`` (None: the target is gone or off)."""
    loaded = _load_target(ctx.store, kind, target_id)
    return slot_day(loaded[1], loaded[2], now) if loaded else None


def retry_candidates(ctx: JobContext, *, now: dt.datetime | None = None) -> list[tuple[str, int, dt.date]]:
    """``(kind, target id, day)`` of the deliveries :func:`recover` retries at ``now``, oldest claim first.

    None of a paused target (:mod:`bot.pauses`; a club's poll or close: of a paused channel): its retry would
    only be skipped, at every ``sync``; once it resumes, a retry still within the window is made.
    """
    now = now or utcnow()
    window = now - dt.timedelta(seconds=MISFIRE_GRACE_SECONDS)
    with ctx.store.session() as session:
        rows = session.execute(
            select(Delivery.target_kind, Delivery.target_id, Delivery.day, Delivery.status, Delivery.claimed_at, Delivery.attempts)
            .where(Delivery.status.in_(("failed", "claimed")), Delivery.claimed_at >= window,
                   Delivery.attempts < MAX_ATTEMPTS)
            .order_by(Delivery.claimed_at)
        ).all()
        paused = _paused(session, rows)
    out = []
    for kind, target_id, day, status, claimed_at, attempts in rows:
        if ("member" if kind == "member" else "channel", target_id) in paused:
            continue
        if claimed_at.tzinfo is None:  # SQLite returns naive UTC
            claimed_at = claimed_at.replace(tzinfo=dt.UTC)
        age = (now - claimed_at).total_seconds()
        if status == "claimed" and age < ctx.settings.delivery.recovery_seconds:
            continue  # someone may be posting it right now
        if status == "failed" and age < RETRY_BACKOFF_SECONDS * 2 ** max(0, attempts - 1):
            continue
        log.info("digest retry", extra={"target": kind, "target_id": target_id, "day": str(day), "was": status,
                                        "attempts": attempts})
        out.append((kind, target_id, day))
    return out


def _paused(session: Session, rows) -> set[tuple[str, int]]:
    """``("channel" | "member", id)`` of the paused targets among the deliveries ``rows`` (kind, target id first)."""
    ids: dict[str, set[int]] = {"channel": set(), "member": set()}
    for kind, target_id, *_ in rows:
        ids["member" if kind == "member" else "channel"].add(target_id)
    return {(kind, i) for kind, model in (("channel", Channel), ("member", Member)) if ids[kind]
            for i in session.scalars(select(model.id).where(model.id.in_(ids[kind]), model.paused.is_not(None)))}


def recover(ctx: JobContext, *, now: dt.datetime | None = None) -> list[DeliveryOutcome]:
    """Retry deliveries that failed, or whose claimant died between claim and post.

    Considered: deliveries claimed within the last :data:`MISFIRE_GRACE_SECONDS`
    with status ``failed`` (after a backoff of ``RETRY_BACKOFF_SECONDS * 2**(attempts-1)``)
    or ``claimed`` for longer than ``settings.delivery.recovery_seconds`` (the claim decides from its heartbeat), fewer than
    :data:`bot.delivery.MAX_ATTEMPTS` attempts, on a platform this process serves.
    The claim in :func:`bot.delivery.claim` makes a concurrent retry elsewhere harmless.
    """
    now = now or utcnow()
    return [run_digest(ctx, kind, target_id, now=now, day=day) for kind, target_id, day in retry_candidates(ctx, now=now)]
