"""The database going away while ``paperbot run`` runs: one line when the outage starts (not
APScheduler's raw error at every retry), a few while it lasts, one with its duration when it ends.

The outage is real at the wire: a :class:`service_harness.TcpProxy` in front of PostgreSQL drops
every connection and refuses new ones, so these run with ``PAPERBOT_TEST_DATABASE_URL`` only.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from service_harness import TcpProxy
from sqlalchemy.exc import OperationalError

from bot.service.context import JobContext, set_context
from bot.service.outage import OutageLog
from bot.service.scheduler import make_scheduler, sync_job
from bot.settings import Settings
from recommender.store import Store

RETRYING = "database error, retrying"
OVER = "database outage over"


def _events(caplog, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == event]


def test_an_outage_is_told_once_then_every_few_minutes_then_its_end(caplog):
    caplog.set_level(logging.INFO)
    now = [100.0]
    outage = OutageLog(repeat_seconds=300, clock=lambda: now[0])
    error = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    assert outage.answered("sync") is False  # nothing to end
    told = []
    for _ in range(40):  # a failure every 10 s for 400 s
        told.append(outage.failed(error, "sync"))
        now[0] += 10
    assert told.count(True) == 2 and told[0] and told[30]
    lines = _events(caplog, RETRYING)
    assert [r.outage_seconds for r in lines] == [0.0, 300.0]
    assert lines[0].error.startswith("OperationalError (builtins.ConnectionRefusedError): connection refused")
    assert outage.down and outage.answered("sync") and not outage.down
    assert [r.outage_seconds for r in _events(caplog, OVER)] == [400.0]


@pytest.fixture
def proxied(db_url):
    """``(proxy, url)``: the test database reached through a :class:`TcpProxy` the test can take down."""
    if db_url.startswith("sqlite"):
        pytest.skip("a TCP proxy needs a database server: PostgreSQL only")
    Store(db_url).dispose()  # the schema, migrated before the proxy is in the way
    proxy = TcpProxy(("127.0.0.1", 5432))
    url = db_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}", 1)
    assert url != db_url
    try:
        yield proxy, url
    finally:
        proxy.up()
        proxy.close()


async def _let_the_loop_run() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_the_scheduler_tells_an_outage_once_and_its_end(proxied, caplog):
    """APScheduler reads its job store every 10 s during an outage and logged each failure raw (its SQL,
    several lines, SQLAlchemy's "Background on this error" link); the end of the outage was never logged."""
    proxy, url = proxied
    caplog.set_level(logging.INFO)
    store = Store(url)
    scheduler = make_scheduler(store)

    async def main() -> None:
        scheduler.start()
        await _let_the_loop_run()
        proxy.down()
        for _ in range(3):  # three reads of the job store, as the scheduler retries
            scheduler.wakeup()
            await _let_the_loop_run()
        assert len(_events(caplog, RETRYING)) == 1
        proxy.up()
        scheduler.wakeup()
        await _let_the_loop_run()
        scheduler.shutdown(wait=False)
        await _let_the_loop_run()

    try:
        asyncio.run(main())
    finally:
        store.dispose()
    [line] = _events(caplog, RETRYING)
    assert line.work == "scheduler job store" and line.error.startswith("OperationalError (psycopg.OperationalError)")
    assert not [r for r in caplog.records if r.getMessage().startswith("Error getting due jobs")]
    [over] = _events(caplog, OVER)
    assert over.work == "scheduler job store" and over.outage_seconds >= 0


def test_the_sync_job_tells_an_outage_once_and_its_end(proxied, caplog, tmp_path):
    proxy, url = proxied
    caplog.set_level(logging.INFO)
    store = Store(url)
    ctx = JobContext(store, Settings(data_dir=tmp_path, service={"sync_seconds": 1}), {})
    set_context(ctx)
    try:
        sync_job()
        proxy.down()
        sync_job()  # waits out one sync interval (1 s), retrying with backoff
        sync_job()
        assert not _events(caplog, OVER)
        proxy.up()
        sync_job()
    finally:
        set_context(None)
        store.dispose()
    [line] = _events(caplog, RETRYING)
    assert line.work == "sync" and line.error.startswith("OperationalError (psycopg.OperationalError)")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.getMessage() == "sync postponed"]
    [over] = _events(caplog, OVER)
    assert over.work == "sync" and over.outage_seconds >= 1


def test_an_outage_ends_when_the_work_that_failed_answers(caplog):
    """Review: the job store reading its jobs while the sync job kept failing (a lock timeout) logged
    "outage over" then "database error" at every sync, 35 lines in 3 minutes."""
    caplog.set_level(logging.INFO)
    now = [0.0]
    outage = OutageLog(repeat_seconds=300, clock=lambda: now[0])
    error = OperationalError("SELECT 1", {}, TimeoutError("lock timeout"))
    for _ in range(18):  # every 10 s for 3 minutes
        outage.failed(error, "sync")
        assert outage.answered("scheduler job store") is False
        now[0] += 10
    assert len(_events(caplog, RETRYING)) == 1 and _events(caplog, OVER) == [] and outage.down
    assert outage.answered("sync") and [r.outage_seconds for r in _events(caplog, OVER)] == [180.0]


def test_a_failed_write_of_a_jobs_next_run_never_stops_the_scheduler(store, caplog):
    """APScheduler 3 stops its timer for good when its job store raises while writing a job it ran:
    an outage, or a job another scheduler removed meanwhile, is logged instead."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import create_engine

    from bot.service.outage import ReportingJobStore

    caplog.set_level(logging.INFO)
    scheduler = BackgroundScheduler()
    scheduler.start(paused=True)
    try:
        job = scheduler.add_job(print, "interval", minutes=1, id="j")
        down = ReportingJobStore(engine=create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"), tablename="jobs")
        down.update_job(job)  # the database is unreachable
        down.remove_job("j")
        assert [r.work for r in _events(caplog, RETRYING)] == ["scheduler job store"]
        here = ReportingJobStore(engine=store.engine, tablename="jobs_here")
        here.start(scheduler, "here")
        here.update_job(job)  # never stored, or removed by another scheduler meanwhile
        here.remove_job("j")
    finally:
        scheduler.shutdown(wait=False)
