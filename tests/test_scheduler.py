"""Scheduling: DST-aware triggers, a simulated day with a controllable clock, reconciliation of digest
jobs with the database, persistence across restarts, and missed runs coalesced into one."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from sqlalchemy import select
from test_scheduler_helpers import RecordingPoster, make_team, who

from bot.service.refit_job import REFIT_JOB_ID
from bot.service.scheduler import (
    JOB_DEFAULTS,
    JOBSTORE_TABLE,
    SYNC_JOB_ID,
    JobContext,
    digest_job,
    ingest_job,
    install_jobs,
    make_scheduler,
    set_context,
    sync_digest_jobs,
)
from bot.service.triggers import daily_trigger, digest_job_id, next_digest_time, slot_day, source_trigger
from bot.settings import HfApiSource, InboxSource
from recommender.store import Delivery, Member
from recommender.store.models import SourceRun

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _clear_context():
    yield
    set_context(None)


def fire_times(trigger, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every fire time of ``trigger`` in [start, end), by APScheduler's own arithmetic."""
    out, prev, now = [], None, start
    while True:
        nxt = trigger.get_next_fire_time(prev, now)
        if nxt is None or nxt >= end:
            return out
        out.append(nxt)
        prev, now = nxt, nxt


def test_daily_triggers_follow_local_time_across_dst():
    ingest = source_trigger(HfApiSource(name="hf", time="06:00", timezone="UTC"))
    berlin = daily_trigger("09:00", "Europe/Berlin")
    new_york = daily_trigger("08:00", "America/New_York")
    start, end = dt.datetime(2026, 3, 6, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC)
    for trigger, local in ((ingest, "06:00"), (berlin, "09:00"), (new_york, "08:00")):
        times = fire_times(trigger, start, end)
        assert len(times) == 25  # once a day, no day skipped or doubled by a DST change
        assert {t.astimezone(trigger.timezone).strftime("%H:%M") for t in times} == {local}
    utc_hours = lambda trig: {t.date(): t.astimezone(UTC).hour for t in fire_times(trig, start, end)}  # noqa: E731
    # Europe springs forward on 2026-03-29: 09:00 Berlin is 08:00 UTC before, 07:00 UTC from then on.
    assert utc_hours(berlin)[dt.date(2026, 3, 28)] == 8 and utc_hours(berlin)[dt.date(2026, 3, 29)] == 7
    # The US springs forward on 2026-03-08: 08:00 New York is 13:00 UTC before, 12:00 UTC from then on.
    assert utc_hours(new_york)[dt.date(2026, 3, 7)] == 13 and utc_hours(new_york)[dt.date(2026, 3, 8)] == 12
    assert set(utc_hours(ingest).values()) == {6}


def test_a_time_in_the_spring_gap_still_fires_once_that_day():
    trigger = daily_trigger("02:30", "Europe/Berlin")  # 02:00-03:00 does not exist on 2026-03-29
    times = fire_times(trigger, dt.datetime(2026, 3, 28, tzinfo=UTC), dt.datetime(2026, 3, 31, tzinfo=UTC))
    days = [t.astimezone(ZoneInfo("Europe/Berlin")).date() for t in times]
    assert days == [dt.date(2026, 3, 28), dt.date(2026, 3, 29), dt.date(2026, 3, 30)]


def test_slot_day_is_the_day_whose_slot_last_passed():
    ny = "America/New_York"
    assert slot_day("08:00", ny, dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC)) == dt.date(2026, 3, 8)  # 08:00 EDT
    assert slot_day("08:00", ny, dt.datetime(2026, 3, 8, 11, 59, tzinfo=UTC)) == dt.date(2026, 3, 7)
    # A 20:00 digest run late the next morning (bot was down) is still the previous day's.
    assert slot_day("20:00", "Europe/Berlin", dt.datetime(2026, 3, 30, 5, tzinfo=UTC)) == dt.date(2026, 3, 29)


def test_next_digest_time_skips_days_already_delivered():
    berlin = "Europe/Berlin"
    now = dt.datetime(2026, 3, 27, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, before today's 09:00 slot
    today = dt.date(2026, 3, 27)
    assert next_digest_time("09:00", berlin, now=now) == dt.datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    # Today's digest already posted (run --once at 07:00): the 09:00 job would post nothing.
    assert next_digest_time("09:00", berlin, now=now, done_days={today}) == dt.datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    # The stored job's next run time is used, and moved on the same way; across DST (29 March) too.
    job = dt.datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert next_digest_time("09:00", berlin, now=now, scheduled=job,
                            done_days={today, today + dt.timedelta(days=1)}) == dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    # An overdue job (bot down) whose day is not delivered yet still runs at start: shown as is.
    overdue = dt.datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    assert next_digest_time("09:00", berlin, now=now, scheduled=overdue, done_days={today}) == overdue
    # ...and once its day was delivered, the next slot whose day is not.
    assert next_digest_time("09:00", berlin, now=now, scheduled=overdue,
                            done_days={overdue.date(), today}) == dt.datetime(2026, 3, 28, 8, 0, tzinfo=UTC)


def test_simulated_day_ingests_then_posts_each_target_at_its_local_time(store, settings, sample_digests, tmp_path):
    """2026-03-29, the day Europe moves its clocks: ingest 06:00 UTC, #reading 09:00 Berlin, @ada 08:00 New York."""
    team = make_team(store, settings, sample_digests, ingest_papers=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "today.txt").write_bytes((sample_digests / "001_22f0a1ce284fcda3.txt").read_bytes())
    poster = RecordingPoster()
    spec = InboxSource(name="drop", path=inbox, time="06:00", timezone="UTC", settle_seconds=0)
    ctx = JobContext(store, settings, {"cli": poster}, [spec])
    set_context(ctx)
    jobs = {
        "ingest": (source_trigger(spec), lambda: ingest_job("drop")),
        "channel": (daily_trigger("09:00", "Europe/Berlin"), lambda: digest_job("channel", team["channel"])),
        "member": (daily_trigger("08:00", "America/New_York"), lambda: digest_job("member", team["member"])),
    }
    day_start, day_end = dt.datetime(2026, 3, 29, tzinfo=UTC), dt.datetime(2026, 3, 30, tzinfo=UTC)
    timeline = sorted((t, name) for name, (trig, _) in jobs.items() for t in fire_times(trig, day_start, day_end))
    assert [(t.astimezone(UTC).strftime("%H:%M"), name) for t, name in timeline] == [
        ("06:00", "ingest"), ("07:00", "channel"), ("12:00", "member")]
    for when, name in timeline:
        with time_machine.travel(when, tick=False):
            jobs[name][1]()
            if name != "ingest":
                jobs[name][1]()  # a second firing (another scheduler, a restart) posts nothing
    with store.session() as s:
        (run,) = s.scalars(select(SourceRun)).all()
        assert run.status == "ok" and run.new_papers > 0 and run.started_at.replace(tzinfo=UTC) == timeline[0][0]
        rows = s.execute(select(Delivery.target_kind, Delivery.day, Delivery.status, Delivery.claimed_at)).all()
    assert sorted((k, d, st) for k, d, st, _ in rows) == [
        ("channel", dt.date(2026, 3, 29), "posted"), ("member", dt.date(2026, 3, 29), "posted")]
    assert sorted(poster.headers) == [("channel", team["channel"], "2026-03-29"), ("member", team["member"], "2026-03-29")]
    assert len(poster.posts) == len(set(poster.posts)) > 0


async def test_sync_adds_updates_and_removes_digest_jobs(store, settings, sample_digests):
    team = make_team(store, settings, sample_digests, ingest_papers=False)
    ctx = JobContext(store, settings, {"cli": RecordingPoster()}, [HfApiSource(name="hf")])
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        report = install_jobs(scheduler, ctx)
        ch, mb = digest_job_id("channel", team["channel"]), digest_job_id("member", team["member"])
        assert sorted(report.added) == sorted(["ingest:hf", ch, mb])
        ids = {j.id for j in scheduler.get_jobs(jobstore="default")}
        assert ids == {"ingest:hf", ch, mb, SYNC_JOB_ID, REFIT_JOB_ID}
        job = scheduler.get_job(mb)
        assert job.func_ref == "bot.service.scheduler:digest_job" and tuple(job.args) == ("member", team["member"])
        assert job.coalesce is True and job.misfire_grace_time == JOB_DEFAULTS["misfire_grace_time"] >= 3600
        kept = scheduler.get_job(ch).next_run_time

        # Nothing changed: nothing touched, next run times kept.
        assert not sync_digest_jobs(scheduler, ctx).changed
        assert scheduler.get_job(ch).next_run_time == kept

        # Another process (a chat command) changes @ada's schedule, and #reading is turned off.
        cmds = team["commands"]
        cmds.subscribe(who("ada"), "07:30", "Asia/Tokyo")
        cmds.channel_off(who("ada", "reading"))
        report = sync_digest_jobs(scheduler, ctx)
        assert report.updated == [mb] and report.removed == [ch] and not report.added
        nxt = scheduler.get_job(mb).next_run_time.astimezone(ZoneInfo("Asia/Tokyo"))
        assert (nxt.hour, nxt.minute) == (7, 30)

        cmds.unsubscribe(who("ada"))
        assert sync_digest_jobs(scheduler, ctx).removed == [mb]
        assert {j.id for j in scheduler.get_jobs(jobstore="default")} == {"ingest:hf", SYNC_JOB_ID, REFIT_JOB_ID}

        # Targets on a platform this process does not serve get no job.
        with store.session() as s:
            s.add(Member(platform="slack", workspace="T1", user_ref="U1", subscribed=True))
        cmds.subscribe(who("ada"))
        assert sync_digest_jobs(scheduler, ctx).added == [mb]
    finally:
        scheduler.shutdown(wait=False)


async def test_jobs_persist_across_a_restart(store, settings, sample_digests):
    make_team(store, settings, sample_digests, ingest_papers=False)
    ctx = JobContext(store, settings, {"cli": RecordingPoster()}, [HfApiSource(name="hf")])
    first = make_scheduler(store)
    first.start(paused=True)
    install_jobs(first, ctx)
    before = {j.id: j.next_run_time for j in first.get_jobs(jobstore="default") if j.id != SYNC_JOB_ID}
    first.shutdown(wait=False)

    second = make_scheduler(store)
    second.start(paused=True)
    try:
        report = install_jobs(second, JobContext(store, settings, {"cli": RecordingPoster()}, ctx.sources))
        assert not report.added and not report.updated and not report.removed
        assert {j.id: j.next_run_time for j in second.get_jobs(jobstore="default") if j.id != SYNC_JOB_ID} == before
    finally:
        second.shutdown(wait=False)


async def test_an_interval_source_keeps_its_next_run_across_restarts(store, settings, tmp_path):
    """An upgrade trial: every start re-added `ingest:inbox` (an interval trigger's repr holds its start
    date, now), moving its next run to start + every_minutes, so a missed run never ran at start and a bot
    restarted more often than every_minutes never ingested."""
    sources = [InboxSource(name="drop", path=tmp_path, every_minutes=10)]
    with time_machine.travel(dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC), tick=False):
        first = make_scheduler(store)
        first.start(paused=True)
        install_jobs(first, JobContext(store, settings, {"cli": RecordingPoster()}, sources))
        before = first.get_job("ingest:drop").next_run_time
        first.shutdown(wait=False)
    with time_machine.travel(dt.datetime(2026, 3, 2, 6, 25, tzinfo=dt.UTC), tick=False):  # missed 06:10, 06:20
        second = make_scheduler(store)
        second.start(paused=True)
        try:
            report = install_jobs(second, JobContext(store, settings, {"cli": RecordingPoster()}, sources))
            assert "ingest:drop" not in report.updated
            assert second.get_job("ingest:drop").next_run_time == before  # overdue: runs at start
            changed = [InboxSource(name="drop", path=tmp_path, every_minutes=30)]  # a new schedule is one
            assert install_jobs(second, JobContext(store, settings, {"cli": RecordingPoster()}, changed)).updated == ["ingest:drop"]
        finally:
            second.shutdown(wait=False)


async def test_a_job_stored_under_an_old_function_name_is_replaced_at_start(store, settings, sample_digests):
    """A job row whose function moved (an older version's ``bot.scheduler:digest_job``) is dropped by the
    job store, both when ``paperbot status`` reads it and when ``paperbot run`` starts, and re-added."""
    import pickle

    from sqlalchemy import MetaData, Table, update

    from bot.service.status import job_store_rows

    team = make_team(store, settings, sample_digests, ingest_papers=False)
    ctx = JobContext(store, settings, {"cli": RecordingPoster()}, [HfApiSource(name="hf")])
    first = make_scheduler(store)
    first.start(paused=True)
    install_jobs(first, ctx)
    first.shutdown(wait=False)
    mb = digest_job_id("member", team["member"])
    table = Table(JOBSTORE_TABLE, MetaData(), autoload_with=store.engine)
    with store.engine.begin() as conn:
        state = pickle.loads(conn.scalar(select(table.c.job_state).where(table.c.id == mb)))
        state["func"] = "bot.scheduler:digest_job"
        conn.execute(update(table).where(table.c.id == mb).values(job_state=pickle.dumps(state)))

    rows = job_store_rows(store)
    assert mb not in rows and {"ingest:hf", SYNC_JOB_ID} <= set(rows)

    second = make_scheduler(store)
    second.start(paused=True)
    try:
        report = install_jobs(second, JobContext(store, settings, {"cli": RecordingPoster()}, ctx.sources))
        assert mb in report.added
        assert second.get_job(mb).func_ref == "bot.service.scheduler:digest_job"
    finally:
        second.shutdown(wait=False)
    assert mb in job_store_rows(store)


async def test_runs_missed_while_down_run_once_at_start(store, settings, sample_digests):
    """The bot was down for three days: at start, the digest job runs once (coalesced), posts once."""
    now = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    due = now - dt.timedelta(hours=1)
    make_team(store, settings, sample_digests)
    with store.session() as s:
        member = s.scalar(select(Member))
        member.digest_time, member.timezone = due.strftime("%H:%M"), "UTC"
        member_id = member.id
    poster = RecordingPoster()
    ctx = JobContext(store, settings, {"cli": poster}, [])
    job_id = digest_job_id("member", member_id)

    first = make_scheduler(store)
    first.start(paused=True)
    install_jobs(first, ctx)
    first.modify_job(job_id, next_run_time=due - dt.timedelta(days=3))  # last run before the outage
    first.shutdown(wait=False)

    events, done, loop = [], asyncio.Event(), asyncio.get_running_loop()

    def listen(event):  # called from a worker thread: hand the news to the loop
        if event.job_id == job_id:
            events.append(event.code)
            loop.call_soon_threadsafe(done.set)

    second = make_scheduler(store)
    second.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    second.start(paused=True)
    try:
        install_jobs(second, ctx)
        second.resume()
        await asyncio.wait_for(done.wait(), 30)  # TimeoutError: the missed digest job never ran
        # As `paperbot run` stops: no new work, then wait for the jobs under way (the sync job that
        # runs at start may still be reading the job store). shutdown(wait=True) instead holds
        # APScheduler's job-store lock while it joins that job, which needs the lock: a deadlock.
        ctx.close()
        assert await asyncio.to_thread(ctx.wait_idle, 30)
        second.shutdown(wait=False)
    finally:
        if second.running:
            second.shutdown(wait=False)
    assert events == [EVENT_JOB_EXECUTED]
    assert len(poster.headers) == 1 and poster.headers[0][:2] == ("member", member_id)
    with store.session() as s:
        (row,) = s.scalars(select(Delivery).where(Delivery.target_kind == "member")).all()
        assert row.status == "posted" and row.day == slot_day(due.strftime("%H:%M"), "UTC", now)


def test_a_job_without_context_says_so():
    with pytest.raises(RuntimeError, match="set_context"):
        digest_job("member", 1)
