"""The ``sync`` job's row in the shared job store, read and written by compare-and-set.

Every scheduler on a job store runs the stored ``sync`` job whenever it wakes first, and moves
its next run time forward (APScheduler 3 writes the whole job back after submitting it). The
next run time therefore says that *some* scheduler runs, not that the ``sync`` job's owner does:
the owner renews a lease of its own, ``owner["renewed"]`` (aware UTC), stored in the job's
``kwargs`` (:func:`bot.service.heartbeat.keep_heartbeat` decides when).

Every write here is one conditional ``UPDATE ... WHERE id = 'sync' AND job_state = <the bytes
read>``. Of several schedulers that read the same row and write, exactly one write lands: on
SQLite one writer at a time, the second finds the bytes changed; on PostgreSQL (read committed)
the second ``UPDATE`` waits for the first's row lock, re-reads the row, and updates nothing.
"""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import dataclass

from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import LargeBinary, bindparam, text
from sqlalchemy.engine import Engine

JOBSTORE_TABLE = "apscheduler_jobs"
SYNC_JOB_ID = "sync"

__all__ = ["JOBSTORE_TABLE", "SYNC_JOB_ID", "SyncRow", "read_sync", "compare_and_set", "advance_next_run"]


@dataclass(frozen=True)
class SyncRow:
    """The stored ``sync`` job: ``state``, its ``job_state`` bytes as read (what a write compares
    against), and ``job``, those bytes unpickled (``Job.__getstate__``), or None when this version
    cannot read them."""

    state: bytes
    job: dict | None

    @property
    def owner(self) -> dict:
        """``{"host", "pid", "run", "renewed"}`` as stored (``{}`` when unknown)."""
        owner = ((self.job or {}).get("kwargs") or {}).get("owner")
        return owner if isinstance(owner, dict) else {}

    @property
    def next_run_time(self) -> dt.datetime | None:
        """The heartbeat (aware), None while paused."""
        return (self.job or {}).get("next_run_time")

    @property
    def renewed(self) -> dt.datetime | None:
        """When the owner last renewed its lease (aware UTC); None in a row stored by a version without leases."""
        renewed = self.owner.get("renewed")
        return renewed if isinstance(renewed, dt.datetime) else None


def read_sync(engine: Engine) -> SyncRow | None:
    """The stored ``sync`` job's row, or None when there is none.

    Raises
    ------
    sqlalchemy.exc.OperationalError
        The database is unavailable.
    """
    with engine.connect() as conn:
        state = conn.execute(text(f"SELECT job_state FROM {JOBSTORE_TABLE} WHERE id = :id"),
                             {"id": SYNC_JOB_ID}).scalar()
    if state is None:
        return None
    try:
        job = pickle.loads(state)
    except Exception:  # a job stored by a version whose classes moved
        job = None
    return SyncRow(bytes(state), job if isinstance(job, dict) else None)


def compare_and_set(engine: Engine, seen: SyncRow, owner: dict, *, next_run_time: dt.datetime | None = None) -> bool:
    """Store ``owner`` with the ``sync`` job if its row is still exactly ``seen``; True if written.

    ``next_run_time`` (aware), when given, also becomes the job's next run time (a paused job resumed).
    False when the row changed since ``seen`` was read (another scheduler wrote it) or is gone.

    Raises
    ------
    ValueError
        ``seen`` could not be unpickled (``seen.job`` is None): there is no job to rewrite.
    sqlalchemy.exc.OperationalError
        The database is unavailable.
    """
    if seen.job is None:
        raise ValueError("the stored sync job cannot be read by this version")
    job = {**seen.job, "kwargs": {**(seen.job.get("kwargs") or {}), "owner": owner}}
    values: dict = {"id": SYNC_JOB_ID, "old": seen.state}
    sets = "job_state = :new"
    if next_run_time is not None:
        job["next_run_time"] = next_run_time
        sets += ", next_run_time = :next"
        values["next"] = datetime_to_utc_timestamp(next_run_time)
    values["new"] = pickle.dumps(job, pickle.HIGHEST_PROTOCOL)  # as SQLAlchemyJobStore pickles
    stmt = text(f"UPDATE {JOBSTORE_TABLE} SET {sets} WHERE id = :id AND job_state = :old").bindparams(
        bindparam("old", type_=LargeBinary), bindparam("new", type_=LargeBinary))
    with engine.begin() as conn:
        return conn.execute(stmt, values).rowcount == 1


def advance_next_run(engine: Engine, seen: SyncRow, next_run_time: dt.datetime) -> bool:
    """Move the stored ``sync`` job's next run time to ``next_run_time`` (aware) if the row is still ``seen``; True if written.

    This is APScheduler's write-back after it ran the job, made to keep what is stored: the owner and
    lease (another scheduler may have renewed or taken the job since this one read it), a pause (an
    owner's clean shutdown), and a next run time already later (another scheduler ran it since).

    Raises
    ------
    ValueError
        ``seen`` could not be unpickled (``seen.job`` is None).
    sqlalchemy.exc.OperationalError
        The database is unavailable.
    """
    if seen.job is None:
        raise ValueError("the stored sync job cannot be read by this version")
    stored = seen.next_run_time
    if stored is None or stored >= next_run_time:
        return True  # paused, or already moved at least as far: nothing to write
    return compare_and_set(engine, seen, seen.owner, next_run_time=next_run_time)
