"""The heartbeat watch ("keep the sync job running") runs every sync interval: its routine
"Running job" / "executed successfully" lines are DEBUG, not two INFO lines at every sync."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

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
