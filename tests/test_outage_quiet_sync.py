"""The heartbeat watch ("keep the sync job running") runs every sync interval: its routine
"Running job" / "executed successfully" lines are DEBUG, not two INFO lines at every sync."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading

import pytest

from bot.service.context import JobContext
from bot.service.heartbeat import LOCAL_JOBSTORE, WATCH_JOB_ID, add_heartbeat_watch
from bot.service.scheduler import make_scheduler
from bot.settings import Settings

WATCH = "keep the sync job running"


def _run_the_watch_once(store, settings) -> None:
    scheduler = make_scheduler(store)
    ctx = JobContext(store, settings, {})

    async def main() -> None:
        scheduler.start()
        add_heartbeat_watch(scheduler, ctx)
        scheduler.modify_job(WATCH_JOB_ID, jobstore=LOCAL_JOBSTORE, next_run_time=dt.datetime.now(dt.UTC))
        scheduler.wakeup()
        for _ in range(50):  # the watch runs on this loop
            await asyncio.sleep(0)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)

    asyncio.run(main())


def _watch_runs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("apscheduler.executors") and WATCH in r.getMessage()]


@pytest.mark.strict_logs
def test_the_watch_runs_without_info_lines(store, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    _run_the_watch_once(store, Settings(data_dir=tmp_path))
    assert _watch_runs(caplog) == []


def test_the_watch_runs_are_debug_lines(store, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    _run_the_watch_once(store, Settings(data_dir=tmp_path))
    runs = _watch_runs(caplog)
    assert [r.getMessage().startswith(start) for r, start in zip(runs, (f'Running job "{WATCH}', f'Job "{WATCH}'), strict=True)] == [True, True]
    assert {r.levelname for r in runs} == {"DEBUG"}


def _skip_the_sync_job_once(store, settings) -> list:
    """A real skip: the ``sync`` job is queued behind a busy worker when it is due again."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES

    from bot.service.context import set_context
    from bot.service.heartbeat import add_sync_job, new_owner

    scheduler = make_scheduler(store, workers=1)
    ctx = JobContext(store, settings, {})
    ctx.close()  # the queued sync returns at once when it finally runs
    set_context(ctx)
    busy, release, skipped = threading.Event(), threading.Event(), []
    scheduler.add_listener(lambda event: skipped.append(event.job_id), EVENT_JOB_MAX_INSTANCES)
    synced = threading.Event()  # the queued sync has run: the context may go (it ran after it once, and failed)
    scheduler.add_listener(lambda event: event.job_id == "sync" and synced.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def hold_the_worker() -> None:
        busy.set()
        release.wait(30)

    async def due_now() -> None:
        scheduler.modify_job("sync", jobstore="default", next_run_time=dt.datetime.now(dt.UTC))
        scheduler.wakeup()
        for _ in range(50):
            await asyncio.sleep(0)

    async def main() -> None:
        scheduler.start()
        add_sync_job(scheduler, new_owner(), 3600, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
        scheduler.add_job(hold_the_worker, jobstore=LOCAL_JOBSTORE, executor="default")
        await asyncio.to_thread(busy.wait, 30)
        await due_now()  # submitted: queued behind the busy worker
        await due_now()  # due again while still queued: skipped
        release.set()
        await asyncio.to_thread(synced.wait, 30)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)

    try:
        asyncio.run(main())
    finally:
        release.set()
        set_context(None)
    return skipped


@pytest.mark.strict_logs
def test_a_skipped_sync_is_no_warning(store, tmp_path, caplog):
    """Ops trial: after an outage, APScheduler warned "skipped: maximum number of running instances
    reached" for the sync job, which was still waiting the outage out."""
    caplog.set_level(logging.DEBUG)
    assert _skip_the_sync_job_once(store, Settings(data_dir=tmp_path)) == ["sync"]
    lines = [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelname == "DEBUG"
