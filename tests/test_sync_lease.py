"""The ``sync`` job's owner on another host dies (kill -9, power loss): a survivor takes the job over once
the owner's lease (``owner["renewed"]``) is older than :func:`lease_grace`, one survivor of several,
never from a live owner, and an owner that was only paused notices on its return. The other host's row
is written as it would have left it (an owner with another host name); the checks run with ``now`` given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading

import pytest
from test_scheduler_helpers import RecordingPoster
from test_status import status

from bot.service.heartbeat import add_sync_job, keep_heartbeat, lease_grace, same_owner, this_process
from bot.service.scheduler import JobContext, install_jobs, make_scheduler, set_context, stop_scheduler
from bot.service.sync_lease import compare_and_set, read_sync
from bot.settings import Settings
from recommender.store.models import utcnow

ELSEWHERE = {"host": "other-host.example", "pid": 4242, "run": "their-start"}
GRACE = lease_grace(60)  # the default sync_seconds


@pytest.fixture(autouse=True)
def _clear_context():
    yield
    set_context(None)


@pytest.fixture
async def schedulers():
    started: list = []
    yield started
    for scheduler in started:
        if scheduler.running:
            scheduler.shutdown(wait=False)


def _survivor(store, settings, schedulers, *, left_by: dict | None = None, at: dt.datetime | None = None):
    """A scheduler started (paused) on ``store``; ``left_by`` first stores the sync job as that owner left it at ``at``."""
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    schedulers.append(scheduler)
    if left_by is not None:
        add_sync_job(scheduler, left_by, settings.service.sync_seconds, now=at)
    ctx = JobContext(store, settings, {"cli": RecordingPoster()}, [])
    install_jobs(scheduler, ctx)
    return scheduler, ctx


def _taken(caplog) -> list:
    return [r for r in caplog.records if r.getMessage() == "sync job taken over"]


async def test_a_dead_owner_on_another_host_is_taken_over_once_its_lease_expires(store, tmp_path, schedulers, caplog):
    t0 = utcnow()
    settings = Settings(data_dir=tmp_path)
    scheduler, ctx = _survivor(store, settings, schedulers, left_by=ELSEWHERE, at=t0)
    assert "another scheduler is running on this database" in caplog.text  # its heartbeat was fresh at start

    await keep_heartbeat(scheduler, ctx, now=t0 + dt.timedelta(seconds=GRACE - 1))
    assert same_owner(read_sync(store.engine).owner, ELSEWHERE) and not _taken(caplog)  # still within its lease

    await keep_heartbeat(scheduler, ctx, now=t0 + dt.timedelta(seconds=GRACE + 1))
    row = read_sync(store.engine)
    assert same_owner(row.owner, ctx.owner) and row.renewed == t0 + dt.timedelta(seconds=GRACE + 1)
    (taken,) = _taken(caplog)
    assert taken.levelname == "WARNING" and "lease expired" in taken.why
    assert (taken.old_host, taken.old_pid) == (ELSEWHERE["host"], ELSEWHERE["pid"])
    assert (taken.host, taken.pid) == (this_process()["host"], this_process()["pid"])

    data, table = status(store.engine.url.render_as_string(hide_password=False), tmp_path)
    me = this_process()
    assert (data["job_store"]["owner"]["host"], data["job_store"]["owner"]["pid"]) == (me["host"], me["pid"])
    assert f"owner {me['host']} pid {me['pid']}" in table


async def test_a_live_owner_on_another_host_renews_its_lease_and_keeps_the_job(store, tmp_path, schedulers, caplog):
    t0 = utcnow()
    settings = Settings(data_dir=tmp_path)
    theirs, their_ctx = _survivor(store, settings, schedulers)
    their_ctx.owner = {**ELSEWHERE}  # the other host's scheduler, as it stored itself
    add_sync_job(theirs, their_ctx.owner, 60, now=t0)
    scheduler, ctx = _survivor(store, settings, schedulers)  # ours keeps their job: its heartbeat is fresh
    assert same_owner(read_sync(store.engine).owner, ELSEWHERE)

    renewed = t0 + dt.timedelta(seconds=150)
    await keep_heartbeat(theirs, their_ctx, now=renewed)
    assert read_sync(store.engine).renewed == renewed
    await keep_heartbeat(scheduler, ctx, now=t0 + dt.timedelta(seconds=GRACE + 60))  # stale since t0, fresh since 150 s
    assert same_owner(read_sync(store.engine).owner, ELSEWHERE) and not _taken(caplog)


async def test_of_two_survivors_that_read_the_same_stale_row_one_takes_the_job(store, tmp_path, schedulers, caplog):
    t0 = utcnow()
    settings = Settings(data_dir=tmp_path)
    one, one_ctx = _survivor(store, settings, schedulers, left_by=ELSEWHERE, at=t0)
    two, two_ctx = _survivor(store, settings, schedulers)
    later = t0 + dt.timedelta(seconds=GRACE + 1)

    seen = read_sync(store.engine)  # what the second survivor read, before the first one wrote
    await keep_heartbeat(one, one_ctx, now=later)
    assert not compare_and_set(store.engine, seen, {**two_ctx.owner, "renewed": later})  # the row changed since
    await keep_heartbeat(two, two_ctx, now=later)  # it reads again: the first one's lease is fresh
    assert same_owner(read_sync(store.engine).owner, one_ctx.owner) and len(_taken(caplog)) == 1


async def test_survivors_checking_at_once_leave_one_owner(store, tmp_path, schedulers, caplog):
    t0 = utcnow()
    settings = Settings(data_dir=tmp_path)
    survivors = [_survivor(store, settings, schedulers, left_by=ELSEWHERE if i == 0 else None, at=t0) for i in range(4)]
    later = t0 + dt.timedelta(seconds=GRACE + 1)
    start = threading.Barrier(len(survivors))

    def check(scheduler, ctx):
        start.wait()
        asyncio.run(keep_heartbeat(scheduler, ctx, now=later))

    await asyncio.gather(*(asyncio.to_thread(check, s, c) for s, c in survivors))
    owner = read_sync(store.engine).owner
    assert sum(same_owner(owner, ctx.owner) for _, ctx in survivors) == 1
    assert len(_taken(caplog)) == 1


async def test_an_owner_paused_past_its_lease_finds_it_taken_and_stops_acting_as_owner(store, tmp_path, schedulers,
                                                                                        caplog):
    settings = Settings(data_dir=tmp_path)
    mine, my_ctx = _survivor(store, settings, schedulers)  # owns the sync job, renewed now
    t0 = read_sync(store.engine).renewed
    theirs, their_ctx = _survivor(store, settings, schedulers)
    their_ctx.owner = {**ELSEWHERE}  # a survivor on another host

    await keep_heartbeat(theirs, their_ctx, now=t0 + dt.timedelta(seconds=GRACE + 1))  # ours stopped renewing
    assert same_owner(read_sync(store.engine).owner, ELSEWHERE)

    back = t0 + dt.timedelta(seconds=GRACE + 30)
    await keep_heartbeat(mine, my_ctx, now=back)  # ours comes back: no renewal, no taking it back
    row = read_sync(store.engine)
    assert same_owner(row.owner, ELSEWHERE) and row.renewed == t0 + dt.timedelta(seconds=GRACE + 1)
    (lost,) = [r for r in caplog.records if r.getMessage() == "sync job lost to another scheduler"]
    assert (lost.new_host, lost.new_pid, lost.host) == (ELSEWHERE["host"], ELSEWHERE["pid"], socket.gethostname())
    await keep_heartbeat(mine, my_ctx, now=back + dt.timedelta(seconds=60))
    assert len([r for r in caplog.records if r.getMessage() == "sync job lost to another scheduler"]) == 1

    my_ctx.close()
    stop_scheduler(mine, my_ctx.owner)  # its clean stop leaves the new owner's heartbeat running
    row = read_sync(store.engine)
    assert row.next_run_time is not None and same_owner(row.owner, ELSEWHERE)


def _read_to_run(scheduler, now: dt.datetime):
    """The ``sync`` job as APScheduler reads it from the job store to run it (``BaseScheduler._process_jobs``)."""
    (job,) = [job for job in scheduler._jobstores["default"].get_due_jobs(now) if job.id == "sync"]
    return job


def _write_back(scheduler, job, next_run_time: dt.datetime) -> None:
    """APScheduler's write-back of the job it ran, with its next run time."""
    job._modify(next_run_time=next_run_time)
    scheduler._jobstores["default"].update_job(job)


async def test_running_sync_does_not_undo_a_takeover_stored_while_it_ran(store, tmp_path, schedulers, caplog):
    t0 = utcnow()
    settings = Settings(data_dir=tmp_path)
    stale, _ = _survivor(store, settings, schedulers, left_by=ELSEWHERE, at=t0)
    taker, taker_ctx = _survivor(store, settings, schedulers)
    later = t0 + dt.timedelta(seconds=GRACE + 1)

    job = _read_to_run(stale, later)  # one scheduler runs the due sync job, owned by the dead host
    await keep_heartbeat(taker, taker_ctx, now=later)  # meanwhile another takes the job over
    _write_back(stale, job, later + dt.timedelta(seconds=60))

    row = read_sync(store.engine)
    assert same_owner(row.owner, taker_ctx.owner) and row.renewed == later
    assert row.next_run_time == later + dt.timedelta(seconds=60)


async def test_running_sync_keeps_a_renewal_and_a_pause_stored_while_it_ran(store, tmp_path, schedulers):
    settings = Settings(data_dir=tmp_path)
    owner, owner_ctx = _survivor(store, settings, schedulers)  # owns the sync job, renewed at start
    other, _ = _survivor(store, settings, schedulers)
    renewed = read_sync(store.engine).renewed + dt.timedelta(seconds=60)

    job = _read_to_run(other, renewed)
    await keep_heartbeat(owner, owner_ctx, now=renewed)
    _write_back(other, job, renewed + dt.timedelta(seconds=60))
    row = read_sync(store.engine)
    assert same_owner(row.owner, owner_ctx.owner) and row.renewed == renewed

    job = _read_to_run(other, renewed + dt.timedelta(seconds=60))
    owner_ctx.close()
    stop_scheduler(owner, owner_ctx.owner)  # the owner's clean stop pauses the job
    _write_back(other, job, renewed + dt.timedelta(seconds=120))
    assert read_sync(store.engine).next_run_time is None  # still paused: the survivor takes it over at its next check
