"""The scheduler's heartbeat: the ``sync`` job's next run time, and which process owns it.

Every ``paperbot run`` on a database shares one APScheduler job store, so a second scheduler
started by mistake runs the same stored jobs, ``sync`` included. The ``sync`` job is stored with
its ``owner`` (:func:`new_owner`: host, pid and a token of this scheduler's start), and:

* a start that finds another scheduler's heartbeat fresh (:func:`warn_if_another_scheduler`)
  leaves that ``sync`` job and its owner in place (:func:`bot.service.scheduler.install_jobs`);
* a clean shutdown pauses the ``sync`` job (clearing the heartbeat, ``paperbot status``:
  ``stopped``) only when this scheduler owns it (:func:`release_heartbeat`): stopping the
  second scheduler leaves the first one syncing;
* every scheduler checks every sync interval, on its event loop, that the ``sync`` job is there
  and running (:func:`keep_heartbeat`, a job of its own in memory, not in the shared store): when
  the owner stopped cleanly while this one goes on (the first of two stopped), or the job is
  missing, or its owner is a process of this host that no longer exists, or its owner's lease
  expired (a process on any host, killed or cut off), it takes the job over.

The heartbeat cannot tell a dead owner on another host: whichever scheduler wakes first runs the
stored ``sync`` job and moves its next run time forward, owner or not. So the owner renews a lease,
``owner["renewed"]`` (UTC), at each check, and the lease is judged instead (:func:`lease_grace`).
Reads and writes of ownership are compare-and-set on the job's row (:mod:`bot.service.sync_lease`):
of several survivors exactly one takes it. An owner that was only paused and comes back finds
another owner with a fresh lease: it logs ``sync job lost to another scheduler`` and stops acting
as the owner (no renewal, no pause at its clean stop); like every scheduler on the store, it may
still run a ``sync`` when it wakes first, which the delivery claim makes harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.service.outage import transient
from bot.service.sync_lease import SYNC_JOB_ID, SyncRow, compare_and_set, read_sync
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from bot.service.context import JobContext

log = logging.getLogger(__name__)

#: The job store of this process's own jobs (never shared through the database).
LOCAL_JOBSTORE = "local"
#: The executor running jobs on the event loop (the scheduler's own thread).
LOOP_EXECUTOR = "loop"
WATCH_JOB_ID = "heartbeat watch"

__all__ = ["SYNC_JOB_ID", "LOCAL_JOBSTORE", "LOOP_EXECUTOR", "fresh_heartbeat", "lease_grace", "lease_expired",
           "this_process", "owner_gone", "new_owner", "same_owner", "warn_if_another_scheduler", "add_sync_job", "release_heartbeat",
           "keep_heartbeat", "add_heartbeat_watch"]


def fresh_heartbeat(heartbeat: dt.datetime, now: dt.datetime, sync_seconds: float) -> bool:
    """Whether a scheduler whose ``sync`` job's next run time is ``heartbeat`` counts as running at ``now``.

    The heartbeat may be at most two sync intervals and 5 s late: the scheduler moves it
    forward every ``sync_seconds`` while it runs. ``paperbot status`` (state ``running``) and
    the start of ``paperbot run`` (the warning about another scheduler) use this one rule.
    """
    return (now - heartbeat).total_seconds() <= 2 * sync_seconds + 5


def lease_grace(sync_seconds: float) -> float:
    """Seconds an owner's lease may go unrenewed before another scheduler takes the ``sync`` job over.

    Three sync intervals and 30 s: 210 s with the default 60 s. The owner renews at every check
    (:func:`keep_heartbeat`, every ``sync_seconds`` on its event loop), a job apart from the ``sync``
    run itself, which runs in the thread pool, one at a time: a long sync or ingest does not delay
    the renewal (and APScheduler moves the heartbeat on even when it skips a sync still running).
    What can delay it: the event loop held (an adapter's handler, a database call waiting on a lock),
    a renewal lost (the database unavailable for a moment), and clocks that differ
    between hosts. Three intervals tolerate two renewals missed in a row; 30 s a stalled loop and
    clock skew. A longer pause (SIGSTOP, a frozen VM) is taken over; the owner notices on its return.
    """
    return 3 * sync_seconds + 30


def lease_expired(row: SyncRow, now: dt.datetime, sync_seconds: float) -> bool:
    """Whether the ``sync`` job's owner stopped renewing its lease: renewed more than :func:`lease_grace`
    seconds before ``now`` (aware, UTC). A row stored by a version without leases is judged by its
    heartbeat (:func:`fresh_heartbeat`), and a paused job's lease is not judged (False)."""
    if row.renewed is None:
        return row.next_run_time is not None and not fresh_heartbeat(row.next_run_time, now, sync_seconds)
    return (now - row.renewed).total_seconds() > lease_grace(sync_seconds)


def same_owner(a: dict | None, b: dict | None) -> bool:
    """Whether two stored owners are the same scheduler (host, pid and start token; the lease aside)."""
    keys = ("host", "pid", "run")
    return a is not None and b is not None and all(a.get(k) == b.get(k) for k in keys)


def this_process() -> dict[str, str | int]:
    """``{"host", "pid"}`` of this process."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


#: The tokens of the schedulers running in this process (:func:`new_owner`, until :func:`release_heartbeat`).
_LIVE_RUNS: set[str] = set()
#: The tokens of this process's schedulers that owned the ``sync`` job when they last looked.
_OWNING: set[str] = set()


def new_owner() -> dict[str, str | int]:
    """The ``owner`` a scheduler stores with the ``sync`` job: :func:`this_process` and a token of this start.

    The token tells a scheduler of this process from an earlier process that had the same pid
    (a restarted container): it counts as running only while it is in this process's set.
    """
    token = uuid.uuid4().hex
    _LIVE_RUNS.add(token)
    return {**this_process(), "run": token}


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (assumed so where that cannot be asked without harm)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate it on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by another user
    return True


def _gone(owner: dict) -> bool:
    """Whether ``owner`` is a scheduler of this host that no longer runs: its process no longer exists,
    or it had this process's pid (an earlier process, or a scheduler of this one that stopped)."""
    pid = owner.get("pid")
    if owner.get("host") != socket.gethostname() or not isinstance(pid, int):
        return False  # another host's processes cannot be asked
    if pid == os.getpid():
        return owner.get("run") not in _LIVE_RUNS
    return not _alive(pid)


def owner_gone(owner: dict) -> bool:
    """Whether the stored ``sync`` job's ``owner`` (``{"host", "pid", "run"}``) is a scheduler of this host whose
    process no longer exists (or an earlier process that had this one's pid); False for another host's owner
    (its processes cannot be asked) and for an owner without a host or pid."""
    return _gone(owner)


def _sync_job(scheduler: BaseScheduler):
    return scheduler.get_job(SYNC_JOB_ID, jobstore="default")


def warn_if_another_scheduler(scheduler: BaseScheduler, sync_seconds: float, *, now: dt.datetime | None = None) -> bool:
    """Log a WARNING when the stored heartbeat says another scheduler runs on this database; True if so.

    Call it before :func:`add_sync_job`. The heartbeat counts as fresh by :func:`fresh_heartbeat`,
    the rule of ``paperbot status``'s ``running``. A heartbeat left by a process of this host that
    no longer exists (killed moments ago, then restarted) is only noted at INFO. Nothing is
    refused: the delivery claim still posts each digest once, but both schedulers would run every
    ingestion job.

    Raises
    ------
    sqlalchemy.exc.OperationalError
        The database is unavailable (a transient error, :func:`bot.service.outage.transient`).
    """
    now = now or utcnow()
    try:
        job = _sync_job(scheduler)
    except Exception as exc:  # a row this version cannot restore: install_jobs replaces it
        if transient(exc):
            raise
        log.debug("stored heartbeat unreadable", exc_info=True)
        return False
    if job is None or job.next_run_time is None or not fresh_heartbeat(job.next_run_time, now, sync_seconds):
        return False
    owner = job.kwargs.get("owner") or {}
    facts = {"other_host": owner.get("host", "unknown (stored by an older version)"),
             "other_pid": owner.get("pid", "unknown"), "heartbeat": job.next_run_time.isoformat()}
    if owner.get("host") == socket.gethostname() and owner.get("pid") == os.getpid() and _gone(owner):
        return False  # an earlier process with this pid (a restarted container): this one takes over
    if _gone(owner):
        log.info("previous scheduler gone", extra={**facts, "why": "its process no longer exists (killed?)"})
        return False
    log.warning("another scheduler is running on this database", extra={
        **facts, "what_to_do": "run exactly one `paperbot run` per database: stop one of them (digests are still "
                               "posted once, but both run the ingestion jobs); if that process was killed in the "
                               f"last {round(2 * sync_seconds + 5)} s, ignore this"})
    return True


def add_sync_job(scheduler: BaseScheduler, owner: dict, every: float, *, now: dt.datetime | None = None,
                 replace: bool = True) -> None:
    """Store the ``sync`` job (first run: ``now``, aware UTC), owned by ``owner`` with its lease renewed ``now``,
    replacing any stored one.

    Raises
    ------
    apscheduler.jobstores.base.ConflictingIdError
        ``replace`` is False and a ``sync`` job is stored (another scheduler added it first).
    """
    now = now or utcnow()
    scheduler.add_job(
        "bot.service.scheduler:sync_job", IntervalTrigger(seconds=every, timezone=dt.UTC),
        kwargs={"owner": {**owner, "renewed": now}}, id=SYNC_JOB_ID, name="sync digest jobs with the database",
        jobstore="default", replace_existing=replace, next_run_time=now, coalesce=True,
        misfire_grace_time=max(1, int(every)), max_instances=1,
    )
    if owner.get("run") in _LIVE_RUNS:
        _OWNING.add(str(owner["run"]))


def release_heartbeat(scheduler: BaseScheduler, owner: dict | None) -> bool:
    """At a clean shutdown: pause the ``sync`` job (clearing the heartbeat) if ``owner`` owns it; True if paused.

    A ``sync`` job owned by another scheduler still running on this database is left alone, so
    that one goes on syncing and ``paperbot status`` goes on saying ``running``.
    """
    if owner is None:
        return False
    _LIVE_RUNS.discard(str(owner.get("run")))
    _OWNING.discard(str(owner.get("run")))
    try:
        job = _sync_job(scheduler)
        if job is None:
            return False
        stored = job.kwargs.get("owner") or {}
        if not same_owner(stored, owner):
            log.info("scheduler heartbeat left to the other scheduler", extra={
                "other_host": stored.get("host", "unknown"), "other_pid": stored.get("pid", "unknown")})
            return False
        scheduler.pause_job(SYNC_JOB_ID, jobstore="default")
        return True
    except JobLookupError:
        return False
    except Exception:  # the database is gone: status then judges from the heartbeat's age
        log.warning("could not clear the scheduler heartbeat", exc_info=True)
        return False


async def keep_heartbeat(scheduler: BaseScheduler, ctx: JobContext, *, now: dt.datetime | None = None) -> None:
    """This scheduler's own job, every sync interval on the event loop: renew the lease when this scheduler
    owns the ``sync`` job; take the job over when it is missing, paused (its owner stopped cleanly while
    this one goes on), owned by a process of this host that no longer exists, or its owner's lease expired
    (:func:`lease_expired`; ``now``: aware UTC, the clock's by default). Each write is a compare-and-set
    (:func:`bot.service.sync_lease.compare_and_set`): of several schedulers, one takes the job over.
    An owner that finds another owner logs it once and stops renewing. Nothing is done once ``ctx`` is
    closed (shutting down); a database unavailable is left to the next check.

    It runs on the loop, as :func:`release_heartbeat` does at shutdown, so the two never interleave.

    Raises
    ------
    Exception
        Any error that is not a database outage (:func:`bot.service.outage.transient`).
    """
    if ctx.closed.is_set() or ctx.owner is None:
        return
    now = now or utcnow()
    try:
        for _ in range(3):  # the row changed between reading and writing (another scheduler wrote it): read again
            if _check(scheduler, ctx, now):
                return
    except Exception as exc:
        if not transient(exc):
            raise


def _check(scheduler: BaseScheduler, ctx: JobContext, now: dt.datetime) -> bool:
    """One look at the ``sync`` job's row and the write it calls for; False if the row changed meanwhile."""
    assert ctx.owner is not None
    every = ctx.settings.service.sync_seconds
    token = str(ctx.owner.get("run"))
    row = read_sync(ctx.store.engine)
    if row is None or row.job is None:
        try:
            add_sync_job(scheduler, ctx.owner, every, now=now, replace=row is not None)
        except ConflictingIdError:
            return False  # another scheduler added it first
        _taken(ctx, "the sync job is missing" if row is None else "the stored sync job is unreadable", {}, token)
        return True
    stored, resume = row.owner, now if row.next_run_time is None else None
    if same_owner(stored, ctx.owner):
        if not compare_and_set(ctx.store.engine, row, {**ctx.owner, "renewed": now}, next_run_time=resume):
            return False
        _OWNING.add(token)
        if resume is not None:
            scheduler.wakeup()
            _taken(ctx, "the sync job was paused", stored, token)
        return True
    if row.next_run_time is None:
        why = "the sync job was paused by another scheduler's clean shutdown"
    elif _gone(stored):
        why = "its owner's process no longer exists"
    elif lease_expired(row, now, every):
        why = f"its owner's lease expired (not renewed for {round(lease_grace(every))} s)"
    else:
        if token in _OWNING:  # this scheduler owned it: paused or cut off for longer than the lease
            _OWNING.discard(token)
            log.warning("sync job lost to another scheduler", extra={
                **this_process(), "new_host": stored.get("host", "unknown"), "new_pid": stored.get("pid", "unknown"),
                "what_happens": "this scheduler stops renewing the sync job's lease; the other one owns it"})
        return True
    if not compare_and_set(ctx.store.engine, row, {**ctx.owner, "renewed": now}, next_run_time=resume):
        return False
    if resume is not None:
        scheduler.wakeup()
    _taken(ctx, why, stored, token)
    return True


def _taken(ctx: JobContext, why: str, old: dict, token: str) -> None:
    _OWNING.add(token)
    renewed = old.get("renewed")
    log.warning("sync job taken over", extra={
        "why": why, "old_host": old.get("host", "unknown"), "old_pid": old.get("pid", "unknown"),
        "old_renewed": renewed.isoformat() if isinstance(renewed, dt.datetime) else "unknown", **this_process()})


def add_heartbeat_watch(scheduler: BaseScheduler, ctx: JobContext) -> None:
    """Schedule :func:`keep_heartbeat` every sync interval (in this process's memory, on its event loop),
    up to a quarter interval late (at least 1 s)."""
    every = ctx.settings.service.sync_seconds
    # The jitter spreads the checks of schedulers started together (their compare-and-set writes would race).
    trigger = IntervalTrigger(seconds=every, timezone=dt.UTC, jitter=max(1, int(every / 4)))
    scheduler.add_job(keep_heartbeat, trigger, args=[scheduler, ctx],
                      id=WATCH_JOB_ID, name="keep the sync job running", jobstore=LOCAL_JOBSTORE,
                      executor=LOOP_EXECUTOR, replace_existing=True, coalesce=True, max_instances=1,
                      misfire_grace_time=max(1, int(every)))
