"""Two schedulers on one job store (a second ``paperbot run`` by mistake): stopping either one leaves
the other syncing, and ``paperbot status`` saying it runs. In-process: both schedulers share the
store of one database, each with its own context (the owner of the ``sync`` job it installs)."""

from __future__ import annotations

import asyncio

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from test_scheduler_helpers import RecordingPoster

from bot.service.heartbeat import WATCH_JOB_ID, same_owner
from bot.service.scheduler import SYNC_JOB_ID, JobContext, install_jobs, make_scheduler, set_context, stop_scheduler
from bot.service.status import collect_status
from bot.settings import ServiceSettings, Settings


@pytest.fixture(autouse=True)
def _clear_context():
    yield
    set_context(None)


def _started(store, settings) -> tuple:
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    ctx = JobContext(store, settings, {"cli": RecordingPoster()}, [])
    install_jobs(scheduler, ctx)
    return scheduler, ctx


def _sync(scheduler):
    return scheduler.get_job(SYNC_JOB_ID, jobstore="default")


async def test_stopping_the_second_scheduler_leaves_the_first_ones_heartbeat(store, tmp_path, caplog):
    settings = Settings(data_dir=tmp_path)
    first, first_ctx = _started(store, settings)
    second = None
    try:
        second, second_ctx = _started(store, settings)
        assert "another scheduler is running on this database" in caplog.text
        assert same_owner(_sync(second).kwargs["owner"], first_ctx.owner)  # the first one's sync job is kept

        second_ctx.close()
        stop_scheduler(second, second_ctx.owner)
        job = _sync(first)
        assert job.next_run_time is not None and same_owner(job.kwargs["owner"], first_ctx.owner)
        assert collect_status(store, settings)["job_store"]["scheduler_state"] == "running"

        first_ctx.close()
        stop_scheduler(first, first_ctx.owner)  # the owner's clean stop clears the heartbeat
        assert collect_status(store, settings)["job_store"]["scheduler_state"] == "stopped"
    finally:
        for scheduler in (second, first):
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)


async def test_the_survivor_takes_the_sync_job_over_when_its_owner_stops(store, tmp_path):
    settings = Settings(data_dir=tmp_path, service=ServiceSettings(sync_seconds=1))
    first, first_ctx = _started(store, settings)
    second = None
    try:
        second, second_ctx = _started(store, settings)
        first_ctx.close()
        stop_scheduler(first, first_ctx.owner)  # the owner stops cleanly: the heartbeat is paused
        assert _sync(second).next_run_time is None

        watched, loop = asyncio.Event(), asyncio.get_running_loop()

        def listen(event):
            if event.job_id == WATCH_JOB_ID:
                loop.call_soon_threadsafe(watched.set)

        second.add_listener(listen, EVENT_JOB_EXECUTED)
        second.resume()
        await asyncio.wait_for(watched.wait(), 30)
        job = _sync(second)
        assert job.next_run_time is not None and same_owner(job.kwargs["owner"], second_ctx.owner)
        assert collect_status(store, settings)["job_store"]["scheduler_state"] == "running"
        second_ctx.close()
        assert await asyncio.to_thread(second_ctx.wait_idle, 30)
        stop_scheduler(second, second_ctx.owner)
        assert collect_status(store, settings)["job_store"]["scheduler_state"] == "stopped"
    finally:
        for scheduler in (second, first):
            if scheduler is not None and scheduler.running:
                scheduler.shutdown(wait=False)


def test_a_watch_cancelled_as_the_loop_closes_is_no_error(store, caplog):
    """``paperbot run`` stopping while the heartbeat watch awaits: ``asyncio.run`` cancels it as it exits.
    APScheduler reported that as the job raising (an ERROR with a traceback in the service's last lines)."""
    from bot.service.heartbeat import LOCAL_JOBSTORE, LOOP_EXECUTOR

    async def serve_and_stop():
        scheduler = make_scheduler(store)
        scheduler.start()
        running, forever = asyncio.Event(), asyncio.Event()

        async def watch():
            running.set()
            await forever.wait()

        scheduler.add_job(watch, id=WATCH_JOB_ID, jobstore=LOCAL_JOBSTORE, executor=LOOP_EXECUTOR)
        await running.wait()
        stop_scheduler(scheduler)  # then asyncio.run cancels the watch still awaiting

    with caplog.at_level("INFO"):
        asyncio.run(serve_and_stop())
    executor = [r for r in caplog.records if r.name == f"apscheduler.executors.{LOOP_EXECUTOR}"]
    assert not [r for r in executor if r.levelno >= 30 or r.exc_info], [r.getMessage() for r in executor]
    assert any("cancelled at shutdown" in r.getMessage() for r in executor)


def test_a_watch_cancelled_before_its_first_step_is_no_error(store, caplog):
    """Stopping as APScheduler submits the watch, before the loop ran it: the executor cancels the task it made and
    logged "Error running job" with the job's id alone and a traceback (seen in a stopping service's last lines)."""
    from bot.service.heartbeat import LOCAL_JOBSTORE, LOOP_EXECUTOR

    started = []

    async def serve_and_stop():
        scheduler = make_scheduler(store)
        scheduler.start()

        async def watch():
            started.append(True)

        await asyncio.sleep(0)  # the scheduler's first wakeup
        # Both calls queue work on the loop: the wakeup submits the watch (its task waits for its first step),
        # then the shutdown cancels it
        scheduler.add_job(watch, id=WATCH_JOB_ID, jobstore=LOCAL_JOBSTORE, executor=LOOP_EXECUTOR)
        stop_scheduler(scheduler)
        for _ in range(3):
            await asyncio.sleep(0)

    with caplog.at_level("INFO"):
        asyncio.run(serve_and_stop())
    assert not started  # cancelled before it began: the case under test
    executor = [r for r in caplog.records if r.name == f"apscheduler.executors.{LOOP_EXECUTOR}"]
    assert not [r for r in executor if r.levelno >= 30 or r.exc_info], [r.getMessage() for r in executor]
    assert any("cancelled at shutdown" in r.getMessage() for r in executor)
