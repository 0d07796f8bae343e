"""``paperbot status`` says ``stale`` as soon as the scheduler owning the ``sync`` job is a process of this host
that no longer exists, rather than ``running`` while its heartbeat stays fresh (two sync intervals and 5 s:
a trial's SIGKILLed scheduler read ``running`` for two minutes)."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid

from test_status import status

from bot.service.heartbeat import add_sync_job
from bot.service.scheduler import make_scheduler
from recommender.store.models import utcnow


def _owned_by(store, pid: int) -> None:
    """Store a ``sync`` job with a fresh heartbeat (next run time now) owned by process ``pid`` of this host."""
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        add_sync_job(scheduler, {"host": socket.gethostname(), "pid": pid, "run": uuid.uuid4().hex}, 60, now=utcnow())
    finally:
        scheduler.shutdown(wait=False)  # no clean stop: the heartbeat stays as the owner left it


async def test_a_scheduler_whose_process_was_killed_is_stale_at_once(store, db_url, tmp_path):
    """The owner is a real process, alive, then killed (SIGKILL) and reaped: the heartbeat is as fresh both
    times, the state goes from running to stale, and the owner is shown as gone."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        _owned_by(store, child.pid)
        data, table = status(db_url, tmp_path)
        js = data["job_store"]
        assert (js["scheduler_state"], js["scheduler_running"], js["owner"]["gone"]) == ("running", True, False)
        assert "scheduler running (heartbeat " in table and f"pid {child.pid})" in table
    finally:
        child.kill()
        child.wait()

    _owned_by(store, child.pid)  # the same heartbeat, fresh again: only the process is gone
    data, table = status(db_url, tmp_path)
    js = data["job_store"]
    assert (js["scheduler_state"], js["scheduler_running"], js["owner"]["gone"]) == ("stale", False, True)
    assert "scheduler stale (heartbeat " in table and f"pid {child.pid}: process gone)" in table


async def test_an_owner_on_another_host_is_judged_by_its_heartbeat(store, db_url, tmp_path):
    """A process of another host cannot be asked: a fresh heartbeat is ``running`` whatever its pid."""
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        add_sync_job(scheduler, {"host": f"not-{socket.gethostname()}", "pid": 1, "run": "x"}, 60, now=utcnow())
    finally:
        scheduler.shutdown(wait=False)
    data, _ = status(db_url, tmp_path)
    assert data["job_store"]["scheduler_state"] == "running" and data["job_store"]["owner"]["gone"] is False


async def test_a_cleanly_stopped_scheduler_is_no_crash(store, db_url, tmp_path):
    """An upgrade trial: after SIGTERM, status read `scheduler stopped (heartbeat none, owner vm pid 24405:
    process gone)`, which reads like a crash. A clean stop paused the job: its process is meant to be gone."""
    from bot.service.heartbeat import SYNC_JOB_ID

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _owned_by(store, child.pid)
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        scheduler.pause_job(SYNC_JOB_ID)  # what a clean stop does (release_heartbeat)
    finally:
        scheduler.shutdown(wait=False)
    data, table = status(db_url, tmp_path)
    assert data["job_store"]["scheduler_state"] == "stopped"
    assert f"scheduler stopped (heartbeat none, last owner {socket.gethostname()} pid {child.pid})" in " ".join(table.split())
    assert "process gone" not in table
