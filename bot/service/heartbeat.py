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
  missing, or its owner is a process of this host that no longer exists, it takes the job over.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.service.outage import transient
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from bot.service.context import JobContext

log = logging.getLogger(__name__)

SYNC_JOB_ID = "sync"
#: The job store of this process's own jobs (never shared through the database).
LOCAL_JOBSTORE = "local"
#: The executor running jobs on the event loop (the scheduler's own thread).
LOOP_EXECUTOR = "loop"
WATCH_JOB_ID = "heartbeat watch"

__all__ = ["SYNC_JOB_ID", "LOCAL_JOBSTORE", "LOOP_EXECUTOR", "fresh_heartbeat", "this_process", "new_owner",
           "warn_if_another_scheduler", "add_sync_job", "release_heartbeat", "keep_heartbeat", "add_heartbeat_watch"]


def fresh_heartbeat(heartbeat: dt.datetime, now: dt.datetime, sync_seconds: float) -> bool:
    """Whether a scheduler whose ``sync`` job's next run time is ``heartbeat`` counts as running at ``now``.

    The heartbeat may be at most two sync intervals and 5 s late: the scheduler moves it
    forward every ``sync_seconds`` while it runs. ``paperbot status`` (state ``running``) and
    the start of ``paperbot run`` (the warning about another scheduler) use this one rule.
    """
    return (now - heartbeat).total_seconds() <= 2 * sync_seconds + 5


def this_process() -> dict[str, str | int]:
    """``{"host", "pid"}`` of this process."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


#: The tokens of the schedulers running in this process (:func:`new_owner`, until :func:`release_heartbeat`).
_LIVE_RUNS: set[str] = set()


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


def add_sync_job(scheduler: BaseScheduler, owner: dict, every: float, *, now: dt.datetime | None = None) -> None:
    """Store the ``sync`` job (first run: ``now``), owned by ``owner``, replacing any stored one."""
    scheduler.add_job(
        "bot.service.scheduler:sync_job", IntervalTrigger(seconds=every, timezone=dt.UTC), kwargs={"owner": owner},
        id=SYNC_JOB_ID, name="sync digest jobs with the database", jobstore="default", replace_existing=True,
        next_run_time=now or utcnow(), coalesce=True, misfire_grace_time=max(1, int(every)), max_instances=1,
    )


def release_heartbeat(scheduler: BaseScheduler, owner: dict | None) -> bool:
    """At a clean shutdown: pause the ``sync`` job (clearing the heartbeat) if ``owner`` owns it; True if paused.

    A ``sync`` job owned by another scheduler still running on this database is left alone, so
    that one goes on syncing and ``paperbot status`` goes on saying ``running``.
    """
    if owner is None:
        return False
    _LIVE_RUNS.discard(str(owner.get("run")))
    try:
        job = _sync_job(scheduler)
        if job is None:
            return False
        stored = job.kwargs.get("owner") or {}
        if stored != owner:
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


async def keep_heartbeat(scheduler: BaseScheduler, ctx: JobContext) -> None:
    """This scheduler's own job, every sync interval on the event loop: take the ``sync`` job over when
    it is missing, paused (its owner stopped cleanly while this one goes on) or owned by a process
    of this host that no longer exists. Nothing is done once ``ctx`` is closed (shutting down).

    It runs on the loop, as :func:`release_heartbeat` does at shutdown, so the two never interleave.
    """
    if ctx.closed.is_set() or ctx.owner is None:
        return
    try:
        job = _sync_job(scheduler)
    except Exception as exc:
        if transient(exc):
            return  # the database is unavailable: the next watch looks again
        job = None  # a row this version cannot restore
    if job is None:
        why = "the sync job is missing"
    elif job.next_run_time is None:
        why = "the sync job was paused by another scheduler's clean shutdown" if job.kwargs.get("owner") != ctx.owner \
            else "the sync job was paused"
    elif _gone(job.kwargs.get("owner") or {}):
        why = "its owner's process no longer exists"
    else:
        return
    try:
        add_sync_job(scheduler, ctx.owner, ctx.settings.service.sync_seconds)
    except Exception as exc:
        if not transient(exc):
            raise
        return
    log.warning("sync job taken over", extra={"why": why, **this_process()})


def add_heartbeat_watch(scheduler: BaseScheduler, ctx: JobContext) -> None:
    """Schedule :func:`keep_heartbeat` every sync interval (in this process's memory, on its event loop)."""
    every = ctx.settings.service.sync_seconds
    scheduler.add_job(keep_heartbeat, IntervalTrigger(seconds=every, timezone=dt.UTC), args=[scheduler, ctx],
                      id=WATCH_JOB_ID, name="keep the sync job running", jobstore=LOCAL_JOBSTORE,
                      executor=LOOP_EXECUTOR, replace_existing=True, coalesce=True, max_instances=1,
                      misfire_grace_time=max(1, int(every)))
