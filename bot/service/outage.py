"""When the database goes away mid-window: which errors to wait out, how to report them, what to remember.

* :func:`transient` tells a database outage (connection refused or dropped, a
  timeout, a locked SQLite file) from a bug or bad data;
* :func:`recommender.store.describe_db_error` is the whole error on one line: its type (and the
  driver's), its whole message and the kind of statement it interrupted, never
  the parameters (SQLAlchemy's own text ends with a "Background on this error"
  link, which is all a log line that keeps the last line shows);
* :func:`db_retrying` retries a block on transient errors with exponential
  backoff (tenacity), logging each failure whole (or through an :class:`OutageLog`),
  until it succeeds, the service closes, or a bound passes;
* :class:`OutageLog` (one per database: :func:`outage_log`) says once that the database
  went away, again every :data:`OUTAGE_REPEAT_SECONDS` while it stays away, and once that
  it is back, with how long the outage lasted; the scheduler's job store
  (:class:`ReportingJobStore`) and the ``sync`` job report to it, so APScheduler's own
  error line every 10 s is not logged (:class:`QuietJobStoreErrors`);
* :func:`release_claim` hands back a claim this process made in an attempt
  that failed on the database, so its retry takes it over at once (and resumes
  from the message references :mod:`bot.delivery` committed one by one)
  instead of waiting for the claim's recovery delay.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Callable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import CursorResult, Engine, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay, wait_exponential
from tenacity.stop import stop_base

from bot.service.sync_lease import SYNC_JOB_ID, advance_next_run, read_sync
from recommender.store import Delivery, Store
from recommender.store.errors import describe_db_error

__all__ = [
    "RETRY_WINDOW_SECONDS", "OUTAGE_REPEAT_SECONDS", "transient", "db_retrying", "release_claim", "OutageLog",
    "outage_log", "ReportingJobStore", "QuietJobStoreErrors",
]

log = logging.getLogger(__name__)

#: How long one piece of work waits out a database outage before it is dropped (the next sync finds it again).
RETRY_WINDOW_SECONDS = 600.0
#: The first wait after a database error, seconds; doubling up to :data:`MAX_WAIT_SECONDS`.
FIRST_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 30.0
#: While the database stays away, how often the "database error, retrying" line is repeated, seconds.
OUTAGE_REPEAT_SECONDS = 300.0
#: How often APScheduler reads its job store again after a failed read (its ``jobstore_retry_interval``), seconds.
JOBSTORE_RETRY_SECONDS = 10.0

_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


def transient(exc: BaseException) -> bool:
    """True for a database error that waiting may cure: the server unreachable, a dropped connection, a timeout, a lock."""
    return isinstance(exc, _TRANSIENT) or bool(getattr(exc, "connection_invalidated", False))


class OutageLog:
    """The log lines of one database's outages, from whichever thread notices them.

    :meth:`failed` logs ``event="database error, retrying"`` at WARNING (the whole error on one
    line) when an outage starts, then at most once every ``repeat_seconds`` while it lasts, with
    ``outage_seconds`` so far; :meth:`answered` ends it, once every work that failed answered again,
    with one INFO line, ``event="database outage over" outage_seconds=...``. ``clock`` gives seconds (monotonic).
    """

    def __init__(self, repeat_seconds: float = OUTAGE_REPEAT_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.repeat_seconds = repeat_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._said: float = 0.0
        self._failing: set[str] = set()  # the work that failed and has not answered since

    @property
    def down(self) -> bool:
        """True between a failure and the next answer."""
        with self._lock:
            return self._since is not None

    def failed(self, exc: BaseException, work: str, **facts) -> bool:
        """Note a database error of ``work``; returns True when a line was logged."""
        now = self._clock()
        with self._lock:
            self._failing.add(work)
            if self._since is None:
                self._since = now
            elif now - self._said < self.repeat_seconds:
                return False
            self._said = now
            lasted = now - self._since
        log.warning("database error, retrying", extra={
            "work": work, **facts, "outage_seconds": round(lasted, 1), "error": describe_db_error(exc)})
        return True

    def answered(self, work: str) -> bool:
        """Note that the database answered ``work``; returns True (and logs the outage's end) when that ended it.

        An outage ends once every work that failed during it answered again: the job store reading its
        jobs while the ``sync`` job still fails (a lock timeout) is no end.
        """
        now = self._clock()
        with self._lock:
            self._failing.discard(work)
            if self._failing:
                return False
            since, self._since = self._since, None
        if since is None:
            return False
        log.info("database outage over", extra={"work": work, "outage_seconds": round(now - since, 1)})
        return True


_OUTAGES: weakref.WeakKeyDictionary[Engine, OutageLog] = weakref.WeakKeyDictionary()
_OUTAGES_LOCK = threading.Lock()


def outage_log(engine: Engine) -> OutageLog:
    """The :class:`OutageLog` of ``engine``'s database in this process (made on first use)."""
    with _OUTAGES_LOCK:
        found = _OUTAGES.get(engine)
        if found is None:
            found = _OUTAGES[engine] = OutageLog()
        return found


class ReportingJobStore(SQLAlchemyJobStore):
    """APScheduler's SQLAlchemy job store, reporting database outages to the engine's :class:`OutageLog`.

    The scheduler reads its due jobs at every wakeup, and every :data:`JOBSTORE_RETRY_SECONDS` after a
    failed read: the first failure starts the outage's log, the first read that works ends it. A failed
    read still raises (the scheduler then tries again in :data:`JOBSTORE_RETRY_SECONDS`); a failed read
    of the next run time is taken as "try again then", and a failed write of a job's next run time is
    logged, so the scheduler's timer never stops.
    """

    WORK = "scheduler job store"

    def __init__(self, *, engine: Engine, tablename: str):
        super().__init__(engine=engine, tablename=tablename)
        self.outage = outage_log(engine)
        self._due_sync: object = None  # the sync job as last read for running: its write-back keeps the stored owner

    def get_due_jobs(self, now):
        try:
            jobs = super().get_due_jobs(now)
        except Exception as exc:
            if transient(exc):
                self.outage.failed(exc, self.WORK, next_try_seconds=JOBSTORE_RETRY_SECONDS)
            raise
        self.outage.answered(self.WORK)
        self._due_sync = next((job for job in jobs if job.id == SYNC_JOB_ID), None)
        return jobs

    def update_job(self, job):
        """Store ``job``'s new next run time; a failure the scheduler cannot survive is logged instead.

        APScheduler 3 stops its timer for good when this raises after it submitted a due job. A job
        removed meanwhile (another scheduler on the database) is gone; a database outage leaves the
        stored time as it was, so the job is due again at the next read (each job is idempotent: a
        digest is claimed, an ingest stores what it has not). The ``sync`` job read to be run is written
        back by :meth:`_write_back_sync`, keeping the owner stored meanwhile.
        """
        try:
            if job is self._due_sync:
                self._due_sync = None
                self._write_back_sync(job)
            else:
                super().update_job(job)
        except JobLookupError:
            log.debug("job removed meanwhile", extra={"job": job.id})
        except Exception as exc:
            if not transient(exc):
                raise
            self.outage.failed(exc, self.WORK, next_try_seconds=JOBSTORE_RETRY_SECONDS)

    def _write_back_sync(self, job) -> None:
        """The ``sync`` job's next run time after a run, without the owner read before it.

        APScheduler writes back the whole job it read, so a lease renewed or a takeover stored by another
        scheduler in between would be undone (:func:`bot.service.sync_lease.advance_next_run`).
        """
        for _ in range(3):  # the row changed between reading and writing: read again
            row = read_sync(self.engine)
            if row is None:
                raise JobLookupError(job.id)
            if row.job is None:  # stored by a version whose classes moved: APScheduler's own write
                return super().update_job(job)
            if advance_next_run(self.engine, row, job.next_run_time):
                return

    def remove_job(self, job_id):
        """Remove a finished job (one whose trigger has no next run); see :meth:`update_job` for failures."""
        try:
            super().remove_job(job_id)
        except JobLookupError:
            log.debug("job removed meanwhile", extra={"job": job_id})
        except Exception as exc:
            if not transient(exc):
                raise
            self.outage.failed(exc, self.WORK, next_try_seconds=JOBSTORE_RETRY_SECONDS)

    def get_next_run_time(self):
        try:
            return super().get_next_run_time()
        except Exception as exc:
            if not transient(exc):
                raise
            self.outage.failed(exc, self.WORK, next_try_seconds=JOBSTORE_RETRY_SECONDS)
            return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=JOBSTORE_RETRY_SECONDS)


class QuietJobStoreErrors(logging.Filter):
    """Drops APScheduler's own ``Error getting due jobs from job store`` line for a database outage.

    :class:`ReportingJobStore` has logged it in one line (once, not every 10 s); other errors pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Error getting due jobs from job store"):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(a, BaseException) and transient(a) for a in args)


def db_retrying(what: str, *, stop: threading.Event | None = None, window: float = RETRY_WINDOW_SECONDS,
                first_wait: float = FIRST_WAIT_SECONDS, max_wait: float = MAX_WAIT_SECONDS,
                outage: OutageLog | None = None, **facts) -> Retrying:
    """A tenacity ``Retrying`` for database work: retry :func:`transient` errors, re-raise the last one.

    Waits ``first_wait`` seconds, doubling up to ``max_wait``, for at most
    ``window`` seconds in all; ``stop`` (the service closing) ends the wait at
    once. Each failure is logged at WARNING with :func:`recommender.store.describe_db_error` and
    ``what`` and ``facts``. With ``outage`` (recurring work such as the ``sync`` job), failures go
    to that :class:`OutageLog` instead (one line when an outage starts, a few while it lasts); the
    caller ends the outage with :meth:`OutageLog.answered` once the block succeeded (tenacity calls
    no hook after a success).

    Use as ``for attempt in db_retrying("post digest"): with attempt: ...``.
    """
    closing = stop or threading.Event()

    def failed(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        if outage is not None and exc is not None:
            outage.failed(exc, what, **facts, wait_seconds=round(wait, 1))
            return
        log.warning("database error, retrying", extra={
            "work": what, **facts, "attempt": state.attempt_number, "wait_seconds": round(wait, 1),
            "error": describe_db_error(exc) if exc else "(none)"})

    def sleep(seconds: float) -> None:
        closing.wait(seconds)

    return Retrying(
        retry=retry_if_exception(transient),
        wait=wait_exponential(multiplier=first_wait, max=max_wait),
        stop=stop_after_delay(window) | _Closed(closing),
        sleep=sleep,
        before_sleep=failed,
        reraise=True,
    )


class _Closed(stop_base):
    """A tenacity stop condition: the service is closing."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event.is_set()


def release_claim(store: Store, kind: str, target_id: int, day: dt.date, claimed_at: dt.datetime, error: str) -> bool:
    """Mark this process's own claim of an attempt that failed on the database as ``failed``.

    Matches the row by target, day, status ``claimed`` and the exact ``claimed_at``
    this process's attempt wrote (:func:`bot.delivery.claim` stores the ``now`` it is
    given): a claim taken over by anyone since has another time and is left alone.
    Returns True when a row was released (a retry then takes it over at once).
    """
    with store.session() as session:
        result: CursorResult = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.target_kind == kind, Delivery.target_id == target_id, Delivery.day == day,
                   Delivery.status == "claimed", Delivery.claimed_at == claimed_at)
            .values(status="failed", error=f"database: {error}"[:2000])
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1
