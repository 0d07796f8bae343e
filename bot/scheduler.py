"""The scheduler of ``paperbot run``: ingestion, daily digests, and keeping both in step with the DB.

APScheduler 3.x with its SQLAlchemy job store in the bot's own database
(table ``apscheduler_jobs``). Jobs are stored as ``"bot.scheduler:<function>"``
references with plain picklable arguments (a target kind and id, a source
name); what they need at run time (store, posters, settings) comes from the
process's :class:`JobContext`, set with :func:`set_context`.

Jobs (ids):

* ``ingest:<source name>``: one per configured source, daily at its local time
  (``CronTrigger`` with its timezone) or every ``every_minutes``;
* ``digest:channel:<id>`` and ``digest:member:<id>``: one per enabled channel and
  per subscribed member whose platform this process serves, at the target's
  ``digest_time`` in its ``timezone`` (daylight-saving changes included: the
  trigger works in local wall-clock time);
* ``sync``: every :data:`SYNC_INTERVAL_SECONDS`, reconciles the digest jobs with
  the database (people change schedules through chat commands, possibly in other
  processes) and retries failed or abandoned deliveries (:func:`recover`). Its
  ``next_run_time`` in the job store doubles as the scheduler's heartbeat: the
  scheduler moves it forward every interval while it runs, and a clean shutdown
  (:func:`stop_scheduler`) pauses the job, clearing it.

Every job has ``coalesce=True`` and ``misfire_grace_time`` =
:data:`MISFIRE_GRACE_SECONDS`: runs missed while the bot was down run once at
start, not once per missed day. Posting is exactly-once through the delivery
claim (:mod:`bot.delivery`), so a restart, ``paperbot run --once`` or a second
scheduler by mistake never post a digest twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot.delivery import MAX_ATTEMPTS, STALE_CLAIM_SECONDS, DeliveryOutcome, DeliveryTarget, Poster, deliver, local_day
from bot.sources import SourceRunResult, SourceSpec, run_source
from recommender.picks import Recommender
from recommender.settings import Settings
from recommender.store import Channel, Delivery, Member, Store
from recommender.store.models import utcnow

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
#: A run missed by up to this many seconds (bot down, busy) still runs, once.
MISFIRE_GRACE_SECONDS = 12 * 3600
#: How often the sync job reconciles digest jobs with the database, seconds.
SYNC_INTERVAL_SECONDS = 60
SYNC_JOB_ID = "sync"
#: A failed delivery is retried after 60 s, 120 s, 240 s... (doubling per attempt).
RETRY_BACKOFF_SECONDS = 60
#: How long shutdown waits for running jobs, seconds; after that they are left claimable.
SHUTDOWN_TIMEOUT_SECONDS = 60.0

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1}


# -- schedules ----------------------------------------------------------------------------------------
def parse_hhmm(value: str) -> tuple[int, int]:
    """``"09:30"`` -> ``(9, 30)``.

    Raises
    ------
    ValueError
        Not a time of day ``HH:MM``.
    """
    hours, _, minutes = value.strip().partition(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"not a time of day: {value!r}")
    return h, m


def daily_trigger(time: str, timezone: str) -> CronTrigger:
    """Every day at local ``time`` (``HH:MM``) in ``timezone`` (IANA name), DST-aware.

    On a spring-forward day a time inside the gap fires once, at the first valid
    instant after it; on a fall-back day a repeated time fires once.

    Raises
    ------
    ValueError
        Bad time; ``zoneinfo.ZoneInfoNotFoundError`` for an unknown timezone.
    """
    h, m = parse_hhmm(time)
    return CronTrigger(hour=h, minute=m, timezone=ZoneInfo(timezone))


def source_trigger(spec: SourceSpec) -> CronTrigger | IntervalTrigger:
    """The trigger of an ingestion source: every ``every_minutes``, else daily at ``time`` in ``timezone``."""
    if spec.every_minutes:
        return IntervalTrigger(minutes=spec.every_minutes, timezone=dt.timezone.utc)
    return daily_trigger(spec.time, spec.timezone)


def slot_day(time: str, timezone: str, now: dt.datetime) -> dt.date:
    """The local day whose ``time`` slot most recently passed at ``now`` (aware).

    A digest that runs late (missed while the bot was down, coalesced) is still
    the digest of the day it was due, so the next day's digest is not taken.
    """
    tz = ZoneInfo(timezone)
    local = now.astimezone(tz)
    h, m = parse_hhmm(time)
    slot = dt.datetime.combine(local.date(), dt.time(h, m), tzinfo=tz)
    return local.date() if local >= slot else local.date() - dt.timedelta(days=1)


def next_digest_time(time: str, timezone: str, *, now: dt.datetime, scheduled: dt.datetime | None = None,
                     done_days: set[dt.date] | frozenset = frozenset()) -> dt.datetime:
    """When a target's digest will next actually be posted.

    Starts from ``scheduled`` (its job's next run time in the job store) or else the
    trigger's next fire time after ``now``, and moves on a day at a time while that
    run's local day is in ``done_days``: the digest of that day was already posted
    (by ``paperbot run --once``, say), so the job would find it claimed and post nothing.

    Parameters
    ----------
    time, timezone : str
        The target's ``digest_time`` (``HH:MM``) and IANA timezone.
    now : datetime
        Aware current time.
    scheduled : datetime, optional
        The job's next run time, when a scheduler has a job for the target.
    done_days : set of date
        Local days whose delivery is finished or in progress (not ``failed`` with attempts left).
    """
    trigger = daily_trigger(time, timezone)
    when = scheduled or trigger.get_next_fire_time(None, now)
    for _ in range(len(done_days) + 1):
        if slot_day(time, timezone, when) not in done_days:
            break
        when = trigger.get_next_fire_time(when, max(when, now) + dt.timedelta(seconds=1))
    return when


def digest_job_id(kind: str, target_id: int) -> str:
    return f"digest:{kind}:{target_id}"


def ingest_job_id(name: str) -> str:
    return f"ingest:{name}"


# -- process context ----------------------------------------------------------------------------------
@dataclass
class JobContext:
    """What the stored jobs of this process run with.

    Attributes
    ----------
    store : Store
    settings : Settings
    posters : dict
        Poster per platform this process serves (``"slack"``, ``"discord"``,
        ``"cli"``...); digest jobs are scheduled only for these platforms.
    sources : list of SourceSpec
    scheduler : BaseScheduler or None
        The running scheduler (the sync job edits its jobs).
    fetch : callable or None
        HTTP fetch override for the sources (tests).
    """

    store: Store
    settings: Settings
    posters: dict[str, Poster]
    sources: list[SourceSpec] = field(default_factory=list)
    scheduler: BaseScheduler | None = None
    fetch: object | None = None
    recommender: object = None
    _running: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if self.recommender is None:
            self.recommender = Recommender(self.store, self.settings.recommender)

    @contextmanager
    def job(self) -> Iterator[None]:
        """Count a running job, so shutdown can wait for it."""
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = SHUTDOWN_TIMEOUT_SECONDS) -> bool:
        """Block until no job runs (True) or ``timeout`` seconds pass (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def source(self, name: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.name == name), None)


_context: JobContext | None = None


def set_context(ctx: JobContext | None) -> None:
    """Install the context the stored jobs of this process run with (``None`` to clear)."""
    global _context
    _context = ctx


def get_context() -> JobContext:
    """The installed context.

    Raises
    ------
    RuntimeError
        When no context is installed (a job ran outside ``paperbot run``).
    """
    if _context is None:
        raise RuntimeError("no JobContext installed: call bot.scheduler.set_context() before starting the scheduler")
    return _context


# -- the scheduler ------------------------------------------------------------------------------------
def make_scheduler(store: Store, *, workers: int = 4) -> BaseScheduler:
    """An ``AsyncIOScheduler`` whose jobs persist in ``store``'s database.

    Start it from a running event loop. Jobs run in ``workers`` threads, never on
    the loop (``Poster.post`` may block, and an asyncio adapter bridges into its
    loop from the worker thread).

    Parameters
    ----------
    store : Store
        Its engine hosts the job store table :data:`JOBSTORE_TABLE`.
    workers : int
        Worker threads.

    Notes
    -----
    Not a ``BackgroundScheduler``: in APScheduler 3.x its thread wakes once after
    ``shutdown()`` and advances the next run time of due jobs it can no longer
    submit, which would lose a digest due at that instant.
    """
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    return AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=JOBSTORE_TABLE)},
        executors={"default": ThreadPoolExecutor(workers)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=dt.timezone.utc,
    )


@dataclass
class SyncReport:
    """Job ids the reconciliation added, changed (new schedule) and removed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def _targets(session, platforms) -> list[Channel | Member]:
    channels = session.scalars(select(Channel).where(Channel.enabled.is_(True)).order_by(Channel.id)).all()
    members = session.scalars(select(Member).where(Member.subscribed.is_(True)).order_by(Member.id)).all()
    rows = [*channels, *members]
    return rows if platforms is None else [r for r in rows if r.platform in platforms]


def _reconcile(scheduler: BaseScheduler, prefix: str, desired: dict[str, tuple], report: SyncReport) -> None:
    """Make the jobs whose id starts with ``prefix`` exactly ``desired`` (id -> (func, args, trigger, name))."""
    existing = {job.id: job for job in scheduler.get_jobs(jobstore="default") if job.id.startswith(prefix)}
    for job_id, (func, args, trigger, name) in desired.items():
        job = existing.get(job_id)
        if job is None:
            scheduler.add_job(func, trigger, args=list(args), id=job_id, name=name, jobstore="default",
                              replace_existing=True, **JOB_DEFAULTS)
            report.added.append(job_id)
        elif repr(job.trigger) != repr(trigger) or list(job.args) != list(args):
            # A new schedule: the next run is computed from now. An unchanged job keeps its
            # next_run_time, so a run missed while the bot was down still happens.
            scheduler.add_job(func, trigger, args=list(args), id=job_id, name=name, jobstore="default",
                              replace_existing=True, **JOB_DEFAULTS)
            report.updated.append(job_id)
    for job_id in existing.keys() - desired.keys():
        scheduler.remove_job(job_id, jobstore="default")
        report.removed.append(job_id)


def sync_digest_jobs(scheduler: BaseScheduler, ctx: JobContext) -> SyncReport:
    """Add, reschedule or remove ``digest:*`` jobs to match enabled channels and subscribed members.

    Only targets on a platform in ``ctx.posters`` get a job. Safe to run at any
    time; an unchanged job is left alone (its next run time is kept).
    """
    desired = {}
    with ctx.store.session() as session:
        for row in _targets(session, set(ctx.posters)):
            target = DeliveryTarget.of(row)
            try:
                trigger = daily_trigger(row.digest_time, row.timezone)
            except Exception as exc:  # a bad schedule in the DB must not stop the others
                log.warning("bad digest schedule", extra={"target": target.kind, "target_id": target.id, "error": str(exc)})
                continue
            desired[digest_job_id(target.kind, target.id)] = (
                "bot.scheduler:digest_job", (target.kind, target.id), trigger,
                f"digest {target.platform} {target.kind} {target.name}",
            )
    report = SyncReport()
    _reconcile(scheduler, "digest:", desired, report)
    if report.changed:
        log.info("digest jobs synced", extra={"added": len(report.added), "updated": len(report.updated),
                                              "removed": len(report.removed), "jobs": len(desired)})
    return report


def sync_source_jobs(scheduler: BaseScheduler, ctx: JobContext) -> SyncReport:
    """Make ``ingest:*`` jobs match the configured sources (stale ones are removed)."""
    desired = {
        ingest_job_id(s.name): ("bot.scheduler:ingest_job", (s.name,), source_trigger(s), f"ingest {s.kind} {s.name}")
        for s in ctx.sources
    }
    report = SyncReport()
    _reconcile(scheduler, "ingest:", desired, report)
    return report


def stop_scheduler(scheduler: BaseScheduler) -> None:
    """Stop taking jobs and clear the heartbeat.

    The ``sync`` job is paused first (its next run time in the job store becomes
    NULL), so ``paperbot status`` reports the scheduler as stopped instead of
    judging it alive from a next run time that is still in the future. The next
    ``paperbot run`` re-adds the job (:func:`install_jobs`). Running jobs are not
    waited for here (see :meth:`JobContext.wait_idle`).
    """
    if not scheduler.running:
        return
    try:
        scheduler.pause_job(SYNC_JOB_ID, jobstore="default")
    except JobLookupError:
        pass
    except Exception:  # the database is gone: status then judges from the heartbeat's age
        log.warning("could not clear the scheduler heartbeat", exc_info=True)
    scheduler.shutdown(wait=False)


def install_jobs(scheduler: BaseScheduler, ctx: JobContext, *, now: dt.datetime | None = None) -> SyncReport:
    """Install every job on a started (usually paused) scheduler and make ``ctx`` current.

    Adds the ingestion jobs, the digest jobs and the ``sync`` job (first run: now,
    so failed or abandoned deliveries are retried at start).
    """
    ctx.scheduler = scheduler
    set_context(ctx)
    report = sync_source_jobs(scheduler, ctx)
    digests = sync_digest_jobs(scheduler, ctx)
    report.added += digests.added
    report.updated += digests.updated
    report.removed += digests.removed
    scheduler.add_job(
        "bot.scheduler:sync_job", IntervalTrigger(seconds=SYNC_INTERVAL_SECONDS, timezone=dt.timezone.utc),
        id=SYNC_JOB_ID, name="sync digest jobs with the database", jobstore="default", replace_existing=True,
        next_run_time=now or utcnow(), coalesce=True, misfire_grace_time=SYNC_INTERVAL_SECONDS, max_instances=1,
    )
    return report


# -- what the jobs do ---------------------------------------------------------------------------------
def _load_target(store: Store, kind: str, target_id: int) -> tuple[DeliveryTarget, str, str] | None:
    with store.session() as session:
        row = session.get(Channel if kind == "channel" else Member, target_id)
        if row is None:
            return None
        if (kind == "channel" and not row.enabled) or (kind == "member" and not row.subscribed):
            return None
        return DeliveryTarget.of(row), row.digest_time, row.timezone


def run_digest(
    ctx: JobContext, kind: str, target_id: int, *, now: dt.datetime | None = None, day: dt.date | None = None
) -> DeliveryOutcome:
    """Deliver one target's digest (exactly once per target and day).

    Parameters
    ----------
    kind : str
        ``"channel"`` or ``"member"``.
    target_id : int
        ``Channel.id`` or ``Member.id``.
    now : datetime, optional
        Aware time of the run (default: now, UTC).
    day : date, optional
        The digest's local day; default :func:`slot_day` (the day whose slot last passed).

    Returns
    -------
    DeliveryOutcome
        ``skipped`` when the target is gone, switched off, on a platform this
        process does not serve, or already claimed by someone else.
    """
    now = now or utcnow()
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
    outcome = deliver(ctx.store, ctx.recommender, ctx.settings, poster, target, now=now, day=day)
    log.info("digest job", extra={"target": kind, "target_id": target_id, "platform": target.platform,
                                  "day": str(day), "status": outcome.status, "papers": outcome.papers})
    return outcome


def recover(ctx: JobContext, *, now: dt.datetime | None = None) -> list[DeliveryOutcome]:
    """Retry deliveries that failed, or whose claimant died between claim and post.

    Considered: deliveries claimed within the last :data:`MISFIRE_GRACE_SECONDS`
    with status ``failed`` (after a backoff of ``RETRY_BACKOFF_SECONDS * 2**(attempts-1)``)
    or ``claimed`` for longer than :data:`bot.delivery.STALE_CLAIM_SECONDS`, fewer than
    :data:`bot.delivery.MAX_ATTEMPTS` attempts, on a platform this process serves.
    The claim in :func:`bot.delivery.claim` makes a concurrent retry elsewhere harmless.
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
    outcomes = []
    for kind, target_id, day, status, claimed_at, attempts in rows:
        if claimed_at.tzinfo is None:  # SQLite returns naive UTC
            claimed_at = claimed_at.replace(tzinfo=dt.timezone.utc)
        age = (now - claimed_at).total_seconds()
        if status == "claimed" and age < STALE_CLAIM_SECONDS:
            continue  # someone may be posting it right now
        if status == "failed" and age < RETRY_BACKOFF_SECONDS * 2 ** max(0, attempts - 1):
            continue
        log.info("digest retry", extra={"target": kind, "target_id": target_id, "day": str(day), "was": status,
                                        "attempts": attempts})
        outcomes.append(run_digest(ctx, kind, target_id, now=now, day=day))
    return outcomes


def digest_job(kind: str, target_id: int) -> None:
    """Stored job ``digest:<kind>:<id>``: deliver the target's digest for its current slot."""
    ctx = get_context()
    with ctx.job():
        run_digest(ctx, kind, target_id)


def ingest_job(name: str) -> None:
    """Stored job ``ingest:<name>``: run the configured source ``name`` once."""
    ctx = get_context()
    with ctx.job():
        spec = ctx.source(name)
        if spec is None:
            log.warning("ingest skipped", extra={"source": name, "reason": "not configured any more"})
            return
        run_source(ctx.store, spec, fetch=ctx.fetch)


def sync_job() -> None:
    """Stored job ``sync``: reconcile digest jobs with the database, then retry what failed."""
    ctx = get_context()
    with ctx.job():
        if ctx.scheduler is not None:
            sync_digest_jobs(ctx.scheduler, ctx)
        recover(ctx)


# -- run once -----------------------------------------------------------------------------------------
@dataclass
class OnceReport:
    """What ``paperbot run --once`` did."""

    sources: list[SourceRunResult] = field(default_factory=list)
    digests: list[tuple[DeliveryTarget, DeliveryOutcome]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when a source run had errors (``error``, or ``partial``: some inputs failed) or a digest failed.

        Same rule as ``paperbot ingest``, which exits 1 when any input failed.
        """
        return any(s.status in ("error", "partial") or s.errors for s in self.sources) or any(
            o.status == "failed" for _, o in self.digests)


def run_once(ctx: JobContext, *, now: dt.datetime | None = None) -> OnceReport:
    """Run the whole day now: every source, then every served target's digest for its local today.

    The digests are claimed like scheduled ones: a second ``--once`` the same
    day, or the scheduler later that day, posts nothing again. Failed or abandoned
    deliveries are retried as by the sync job.
    """
    now = now or utcnow()
    report = OnceReport()
    for spec in ctx.sources:
        report.sources.append(run_source(ctx.store, spec, now=now, fetch=ctx.fetch))
    recover(ctx, now=now)
    with ctx.store.session() as session:
        targets = [(DeliveryTarget.of(r), r.timezone) for r in _targets(session, set(ctx.posters))]
    for target, timezone in targets:
        outcome = run_digest(ctx, target.kind, target.id, now=now, day=local_day(timezone, now))
        report.digests.append((target, outcome))
    return report


__all__ = [
    "JOBSTORE_TABLE", "MISFIRE_GRACE_SECONDS", "SYNC_INTERVAL_SECONDS", "SYNC_JOB_ID", "JobContext", "OnceReport",
    "SyncReport", "daily_trigger", "source_trigger", "slot_day", "next_digest_time", "digest_job_id", "ingest_job_id", "make_scheduler",
    "install_jobs", "stop_scheduler", "sync_digest_jobs", "sync_source_jobs", "run_digest", "recover", "run_once", "digest_job",
    "ingest_job", "sync_job", "set_context", "get_context",
]
