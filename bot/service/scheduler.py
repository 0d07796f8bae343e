"""The scheduler of ``paperbot run``: ingestion, daily digests, and keeping both in step with the DB.

APScheduler 3.x with its SQLAlchemy job store in the bot's own database
(table ``apscheduler_jobs``). Jobs are stored as ``"bot.service.scheduler:<function>"``
references with plain picklable arguments (a target kind and id, a source
name); what they need at run time (store, posters, settings) comes from the
process's :class:`bot.service.context.JobContext`, set with :func:`set_context`.
The scheduler is a clock, not the record of what was done: which digests are
due and missing is read from the database (:mod:`bot.service.due`) at start and
at every ``sync``, and the digests are posted by :mod:`bot.service.workers`.

Jobs (ids):

* ``ingest:<source name>``: one per configured source, daily at its local time
  (``CronTrigger`` with its timezone) or every ``every_minutes``;
* ``digest:channel:<id>`` and ``digest:member:<id>``: one per enabled channel and
  per subscribed member whose platform this process serves, at the target's
  ``digest_time`` in its ``timezone`` (daylight-saving changes included: the
  trigger works in local wall-clock time); it wakes the workers for that target;
* ``refit``: hourly, fits a new TF-IDF model beside requests when the corpus has
  grown enough (:mod:`bot.service.refit_job`);
* ``sync``: every ``[service] sync_seconds`` (60), reconciles the digest jobs with
  the database (people change schedules through chat commands, possibly in other
  processes), then queues every digest that is due and missing and every failed
  or abandoned delivery due for a retry (:func:`queue_due`). Its
  ``next_run_time`` in the job store doubles as the scheduler's heartbeat: the
  scheduler moves it forward every interval while it runs, and a clean shutdown
  (:func:`stop_scheduler`) of the scheduler that owns it pauses the job, clearing it
  (:mod:`bot.service.heartbeat`: a second scheduler started by mistake leaves it alone).

Every job has ``coalesce=True`` and ``misfire_grace_time`` =
:data:`MISFIRE_GRACE_SECONDS`: runs missed while the bot was down run once at
start, not once per missed day. Posting is exactly-once through the delivery
claim (:mod:`bot.delivery`), so a restart, ``paperbot run --once`` or a second
scheduler by mistake never post a digest twice.

When the jobs fire is :mod:`bot.service.triggers`; what they do is
:mod:`bot.service.ingest_jobs` and :mod:`bot.service.digest_jobs`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler

from bot.delivery import DeliveryTarget
from bot.service.club_jobs import run_due_clubs
from bot.service.context import JobContext, get_context, set_context
from bot.service.digest_jobs import digest_targets, recover, retry_candidates, run_digest
from bot.service.due import due_club, due_digests
from bot.service.embedding import embed_stored
from bot.service.heartbeat import (
    LOCAL_JOBSTORE,
    LOOP_EXECUTOR,
    SYNC_JOB_ID,
    WATCH_JOB_ID,
    add_heartbeat_watch,
    add_sync_job,
    fresh_heartbeat,
    new_owner,
    release_heartbeat,
    this_process,
    warn_if_another_scheduler,
)
from bot.service.ingest_jobs import run_source
from bot.service.outage import (
    JOBSTORE_RETRY_SECONDS,
    QuietJobStoreErrors,
    ReportingJobStore,
    db_retrying,
    outage_log,
    transient,
)
from bot.service.refit_job import add_refit_job
from bot.service.sync_lease import JOBSTORE_TABLE
from bot.service.triggers import (
    MISFIRE_GRACE_SECONDS,
    daily_trigger,
    digest_job_id,
    ingest_job_id,
    same_schedule,
    source_trigger,
)
from recommender.store import Store
from recommender.store.errors import describe_db_error
from recommender.store.models import utcnow

log = logging.getLogger(__name__)


#: Drops APScheduler's own line for a job store read that failed on a database outage (logged once instead).
_QUIET = QuietJobStoreErrors()


class RoutineJobLines(logging.Filter):
    """APScheduler's "Running job" / "executed successfully" INFO lines of the heartbeat watch, made DEBUG.

    The watch runs every sync interval and usually changes nothing; when it does (the ``sync`` job taken over, re-added
    or resumed) it logs a WARNING of its own (:mod:`bot.service.heartbeat`). Its ERROR for a watch cancelled as the loop
    closed (awaiting, or not yet started: then named by id) is INFO "cancelled at shutdown"; others pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if not any(a == WATCH_JOB_ID or getattr(a, "id", None) == WATCH_JOB_ID for a in args):
            return True
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            record.msg, record.exc_info, record.exc_text = 'Job "%s" cancelled at shutdown', None, None
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            return True
        if record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger().isEnabledFor(logging.DEBUG)


_ROUTINE = RoutineJobLines()


class SkippedSyncLine(logging.Filter):
    """APScheduler's WARNING that it skipped the ``sync`` job, still running when due again, made DEBUG.

    The ``sync`` job waits out a database outage for up to one sync interval, so the run after an
    outage often finds the previous one still going; skipping it is the design (``max_instances=1``,
    the heartbeat moves on). Skips of any other job pass unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if "maximum number of running instances" not in str(record.msg) or not any(
                getattr(a, "id", None) == SYNC_JOB_ID for a in args):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger().isEnabledFor(logging.DEBUG)


_SKIPPED_SYNC = SkippedSyncLine()

JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": MISFIRE_GRACE_SECONDS, "max_instances": 1}


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

    logging.getLogger("apscheduler.scheduler").addFilter(_QUIET)  # ReportingJobStore logs an outage once
    logging.getLogger("apscheduler.scheduler").addFilter(_SKIPPED_SYNC)  # a sync waiting out an outage, skipped
    logging.getLogger(f"apscheduler.executors.{LOOP_EXECUTOR}").addFilter(_ROUTINE)  # the watch, every sync interval
    return AsyncIOScheduler(
        jobstores={"default": ReportingJobStore(engine=store.engine, tablename=JOBSTORE_TABLE),
                   LOCAL_JOBSTORE: MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(workers), LOOP_EXECUTOR: AsyncIOExecutor()},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=dt.UTC,
        jobstore_retry_interval=JOBSTORE_RETRY_SECONDS,
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


def _reconcile(scheduler: BaseScheduler, prefix: str, desired: dict[str, tuple], report: SyncReport) -> None:
    """Make the jobs whose id starts with ``prefix`` exactly ``desired`` (id -> (func, args, trigger, name))."""
    existing = {job.id: job for job in scheduler.get_jobs(jobstore="default") if job.id.startswith(prefix)}
    for job_id, (func, args, trigger, name) in desired.items():
        job = existing.get(job_id)
        if job is None:
            scheduler.add_job(func, trigger, args=list(args), id=job_id, name=name, jobstore="default",
                              replace_existing=True, **JOB_DEFAULTS)
            report.added.append(job_id)
        elif not same_schedule(job.trigger, trigger) or list(job.args) != list(args):
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
        for row in digest_targets(session, set(ctx.posters)):
            target = DeliveryTarget.of(row)
            try:
                trigger = daily_trigger(row.digest_time, row.timezone)
            except Exception as exc:  # a bad schedule in the DB must not stop the others
                log.warning("bad digest schedule", extra={"target": target.kind, "target_id": target.id, "error": str(exc)})
                continue
            desired[digest_job_id(target.kind, target.id)] = (
                "bot.service.scheduler:digest_job", (target.kind, target.id), trigger,
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
        ingest_job_id(s.name): ("bot.service.scheduler:ingest_job", (s.name,), source_trigger(s), f"ingest {s.kind} {s.name}")
        for s in ctx.sources
    }
    report = SyncReport()
    _reconcile(scheduler, "ingest:", desired, report)
    return report


def stop_scheduler(scheduler: BaseScheduler, owner: dict | None = None) -> None:
    """Stop taking jobs and clear the heartbeat if it is this scheduler's.

    The ``sync`` job is paused first (its next run time in the job store becomes
    NULL) when ``owner`` (``ctx.owner``, set by :func:`install_jobs`) owns it, so
    ``paperbot status`` reports the scheduler as stopped instead of judging it alive
    from a next run time that is still in the future; the next ``paperbot run``
    re-adds the job (:func:`install_jobs`). A ``sync`` job owned by another scheduler
    still running on this database is left alone (:func:`bot.service.heartbeat.release_heartbeat`).
    Running jobs are not waited for here (see :meth:`JobContext.wait_idle`).
    """
    if not scheduler.running:
        return
    release_heartbeat(scheduler, owner)
    scheduler.shutdown(wait=False)


def install_jobs(scheduler: BaseScheduler, ctx: JobContext, *, now: dt.datetime | None = None) -> SyncReport:
    """Install every job on a started (usually paused) scheduler and make ``ctx`` current.

    Adds the ingestion jobs, the digest jobs, the ``refit`` job
    (:mod:`bot.service.refit_job`) and the ``sync`` job (first run: now, so failed
    or abandoned deliveries are retried at start) owned by this scheduler (``ctx.owner``,
    :func:`bot.service.heartbeat.new_owner`). When another scheduler's heartbeat is fresh
    (:func:`warn_if_another_scheduler` warns), its ``sync`` job is kept, owner and all, so
    stopping this scheduler leaves that one syncing. Every scheduler also watches the ``sync``
    job and takes it over when its owner stopped (:func:`bot.service.heartbeat.keep_heartbeat`).
    """
    ctx.scheduler = scheduler
    ctx.owner = new_owner()
    set_context(ctx)
    other = warn_if_another_scheduler(scheduler, ctx.settings.service.sync_seconds)
    report = sync_source_jobs(scheduler, ctx)
    digests = sync_digest_jobs(scheduler, ctx)
    report.added += digests.added
    report.updated += digests.updated
    report.removed += digests.removed
    add_refit_job(scheduler)
    if not other:
        add_sync_job(scheduler, ctx.owner, ctx.settings.service.sync_seconds, now=now)
    add_heartbeat_watch(scheduler, ctx)
    return report


# -- the stored jobs (referenced as "bot.service.scheduler:<name>") -------------------------------
def queue_due(ctx: JobContext, *, now: dt.datetime | None = None) -> int:
    """Hand every digest the database says is due and missing (:mod:`bot.service.due`), every journal
    club poll or close due (:func:`bot.service.due.due_club`), and every failed or abandoned delivery
    due for a retry, to ``ctx.workers``; returns how many were queued.

    Without workers (tests, ``run --once``) the retries and the due club posts run here
    (:func:`recover`, :func:`bot.service.club_jobs.run_due_clubs`) and nothing is queued.
    """
    now = now or utcnow()
    if ctx.workers is None:
        recover(ctx, now=now)
        run_due_clubs(ctx, now=now)
        return 0
    with ctx.store.session() as session:
        due = due_digests(session, set(ctx.posters), now)
        clubs = due_club(session, set(ctx.posters), now)
    retries = retry_candidates(ctx, now=now)
    queued = ctx.workers.submit([(d.kind, d.target_id, d.day) for d in due]
                                + [(c.kind, c.channel_id, c.day) for c in clubs] + retries)
    if queued:
        log.info("digests queued", extra={"due": len(due), "clubs": len(clubs), "retries": len(retries),
                                          "queued": queued})
    return queued


def digest_job(kind: str, target_id: int) -> None:
    """Stored job ``digest:<kind>:<id>``: deliver the target's digest for its current slot.

    With workers (``paperbot run``) the target is handed to them; otherwise it is posted here.
    """
    ctx = get_context()
    if ctx.closed.is_set():
        return
    if ctx.workers is not None:
        ctx.workers.submit([(kind, target_id, None)])
        return
    with ctx.job():
        run_digest(ctx, kind, target_id)


def ingest_job(name: str) -> None:
    """Stored job ``ingest:<name>``: run the configured source ``name`` once."""
    ctx = get_context()
    if ctx.closed.is_set():
        return
    with ctx.job():
        spec = ctx.source(name)
        if spec is None:
            log.warning("ingest skipped", extra={"source": name, "reason": "not configured any more"})
            return
        results = [run_source(ctx.store, spec, fetch=ctx.fetch)]
        if results[0].new_papers and spec.kind != "arxiv_enrich":  # new title-only papers: look them up at once
            for enrich_spec in ctx.settings.ingest_sources():
                if enrich_spec.kind == "arxiv_enrich" and not ctx.closed.is_set():
                    results.append(run_source(ctx.store, enrich_spec))
        embed_stored(ctx.store, ctx.recommender.embedder, results, stop=ctx.closed)


def sync_job(owner: dict | None = None) -> None:
    """Stored job ``sync``: reconcile digest jobs with the database, then queue what is due or to retry.

    A database outage is waited out with backoff for up to one sync interval; if it lasts longer,
    the next sync tries again. The outage is logged by the database's :class:`bot.service.outage.OutageLog`
    (one line when it starts, one every few minutes while it lasts, one with its duration when it ends).

    Parameters
    ----------
    owner : dict, optional
        ``{"host", "pid", "run", "renewed"}`` of the scheduler that owns the job (:func:`bot.service.heartbeat.new_owner`)
        and when it last renewed its lease (UTC), stored with the heartbeat for the next start to name
        (:func:`warn_if_another_scheduler`) and for the others to judge (:func:`bot.service.heartbeat.keep_heartbeat`);
        not used here: whichever scheduler on the database wakes first runs the ``sync``.
    """
    ctx = get_context()
    if ctx.closed.is_set():
        return
    with ctx.job():
        outage = outage_log(ctx.store.engine)
        try:
            for attempt in db_retrying("sync", stop=ctx.closed, window=ctx.settings.service.sync_seconds,
                                       outage=outage):
                with attempt:
                    if ctx.scheduler is not None:
                        sync_digest_jobs(ctx.scheduler, ctx)
                    queue_due(ctx)
        except Exception as exc:
            if not transient(exc):
                raise
            outage.failed(exc, "sync", next_try_seconds=ctx.settings.service.sync_seconds)
            log.debug("sync postponed", extra={"reason": "database unavailable", "error": describe_db_error(exc),
                                               "next_try_seconds": ctx.settings.service.sync_seconds})
            return
        outage.answered("sync")


__all__ = [
    "JOBSTORE_TABLE", "MISFIRE_GRACE_SECONDS", "SYNC_JOB_ID", "fresh_heartbeat", "this_process", "warn_if_another_scheduler",
    "JobContext", "SyncReport", "make_scheduler", "install_jobs", "stop_scheduler", "sync_digest_jobs",
    "sync_source_jobs", "queue_due", "digest_job", "ingest_job", "sync_job", "set_context", "get_context",
]
