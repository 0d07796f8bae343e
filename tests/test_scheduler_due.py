"""What is due is decided by the database: due_digests, a scheduler that lost its queued jobs, and a
digest whose final record failed on the database (retried without posting again)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError
from test_scheduler_helpers import RecordingPoster, make_team

from bot.delivery import MAX_ATTEMPTS
from bot.service.context import JobContext, set_context
from bot.service.digest_jobs import post_digest
from bot.service.due import DueDigest, due_digests
from bot.service.outage import transient
from bot.service.scheduler import digest_job, install_jobs, make_scheduler
from bot.service.triggers import daily_trigger, digest_job_id, last_slot
from recommender.store import Channel, Delivery, Member
from recommender.store.errors import describe_db_error

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # 12:00 in Berlin (summer time), 06:00 in New York


@pytest.fixture(autouse=True)
def _clear_context():
    yield
    set_context(None)


def _schedule(store, kind, target_id, time, timezone, created):
    with store.session() as s:
        row = s.get(Channel if kind == "channel" else Member, target_id)
        row.digest_time, row.timezone, row.created_at = time, timezone, created


def test_due_digests_from_schedule_timezone_and_deliveries(store, settings, sample_digests):
    team = make_team(store, settings, sample_digests, ingest_papers=False)
    long_ago = NOW - dt.timedelta(days=30)
    _schedule(store, "channel", team["channel"], "09:00", "Europe/Berlin", long_ago)  # slot 07:00 UTC today: due
    _schedule(store, "member", team["member"], "08:00", "America/New_York", long_ago)  # slot 12:00 UTC: not yet
    with store.session() as s:
        due = due_digests(s, {"cli"}, NOW)
        assert due == [DueDigest("channel", team["channel"], dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 7, tzinfo=UTC))]
        # The member's slot of yesterday (12:00 UTC on the 29th) is 22 h old: past the 12 h grace window.
        assert due_digests(s, {"cli"}, NOW, grace_seconds=24 * 3600)[0] == DueDigest(
            "member", team["member"], dt.date(2026, 3, 29), dt.datetime(2026, 3, 29, 12, tzinfo=UTC))
        assert due_digests(s, {"slack"}, NOW) == []  # a platform this process does not serve
        assert due_digests(s, {"cli"}, NOW + dt.timedelta(hours=13)) == [  # the channel's slot is 16 h old, the member's 1 h
            DueDigest("member", team["member"], dt.date(2026, 3, 30), dt.datetime(2026, 3, 30, 12, tzinfo=UTC))]
        s.add(Delivery(target_kind="channel", target_id=team["channel"], day=dt.date(2026, 3, 30), status="failed",
                       attempts=MAX_ATTEMPTS))
    with store.session() as s:
        assert due_digests(s, {"cli"}, NOW) == []  # any row, even a failed one: the retries are recover()'s
    # A target created after today's slot gets its first digest tomorrow.
    _schedule(store, "member", team["member"], "08:00", "America/New_York", NOW + dt.timedelta(hours=2, minutes=30))
    with store.session() as s:
        assert due_digests(s, {"cli"}, NOW + dt.timedelta(hours=3)) == []


def test_last_slot_follows_the_trigger_across_dst():
    # Europe springs forward on 2026-03-29: 02:30 does not exist; the slot is when the trigger fires (01:30 UTC).
    trigger_fire = daily_trigger("02:30", "Europe/Berlin").get_next_fire_time(None, dt.datetime(2026, 3, 29, tzinfo=UTC))
    assert trigger_fire.timestamp() == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC).timestamp()
    day, slot = last_slot("02:30", "Europe/Berlin", dt.datetime(2026, 3, 29, 6, tzinfo=UTC))
    assert (day, slot.timestamp()) == (dt.date(2026, 3, 29), trigger_fire.timestamp())
    assert last_slot("09:00", "Europe/Berlin", dt.datetime(2026, 3, 29, 6, 59, tzinfo=UTC)) == (
        dt.date(2026, 3, 28), dt.datetime(2026, 3, 28, 8, tzinfo=UTC))


async def test_a_digest_the_job_store_already_moved_to_tomorrow_is_still_due(store, settings, sample_digests):
    """As after a kill -9 while the job waited in APScheduler's pool: its next run time is tomorrow,
    no delivery row exists, and the database still says it is due today."""
    team = make_team(store, settings, sample_digests, ingest_papers=False)
    now = dt.datetime.now(UTC)
    slot = (now - dt.timedelta(minutes=5)).strftime("%H:%M")
    _schedule(store, "channel", team["channel"], slot, "UTC", now - dt.timedelta(days=1))
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        install_jobs(scheduler, JobContext(store, settings, {"cli": RecordingPoster()}))
        job = scheduler.get_job(digest_job_id("channel", team["channel"]))
        assert job.next_run_time > now  # the store has it for tomorrow
    finally:
        scheduler.shutdown(wait=False)
    with store.session() as s:
        (due,) = [d for d in due_digests(s, {"cli"}, now) if d.kind == "channel"]
    assert due.target_id == team["channel"] and due.day == last_slot(slot, "UTC", now)[0]


def test_a_closed_context_takes_no_work(store, settings, sample_digests):
    """After shutdown a job handed to APScheduler's pool earlier returns at once instead of raising."""
    team = make_team(store, settings, sample_digests)
    poster = RecordingPoster()
    ctx = JobContext(store, settings, {"cli": poster})
    set_context(ctx)
    ctx.close()
    digest_job("channel", team["channel"])
    assert poster.calls == 0
    with store.session() as s:
        assert s.scalars(select(Delivery)).all() == []


class FailingFinalRecord:
    """Database fault at the wire: the statement that marks a delivery posted fails ``times`` times,
    as when the connection drops between the chat post and its record."""

    def __init__(self, engine, times: int = 1):
        self.left = times
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.left and statement.lstrip().upper().startswith("UPDATE DELIVERIES") and "posted_at" in statement:
            self.left -= 1
            raise OperationalError(statement, parameters, ConnectionError("server closed the connection unexpectedly"))


def test_a_digest_posted_while_its_record_failed_is_finished_not_posted_again(store, settings, sample_digests):
    """The database fails as the attempt records its outcome, after every message went out: the retry
    takes the claim back at once (release_claim) and finds every message on record, so it posts nothing."""
    team = make_team(store, settings, sample_digests)
    poster = RecordingPoster()
    ctx = JobContext(store, settings, {"cli": poster})
    fault = FailingFinalRecord(store.engine)
    outcome = post_digest(ctx, "member", team["member"], dt.date(2026, 3, 30))
    assert fault.left == 0 and outcome.status == "posted" and outcome.papers > 0
    with store.session() as s:
        (row,) = s.scalars(select(Delivery)).all()
        assert (row.status, row.attempts) == ("posted", 2)  # the failed attempt's claim was taken over at once
        assert row.message_ref is not None and all(item.message_ref for item in row.items)
    assert len(poster.headers) == 1 and len(poster.posts) == outcome.papers == len(set(poster.posts))


def test_database_errors_are_described_whole():
    exc = OperationalError("UPDATE deliveries SET status=%(status)s", {"status": "posted"},
                           ConnectionError("server closed the connection unexpectedly\n\tThis probably means the server "
                                           "terminated abnormally"))
    line = describe_db_error(exc)
    assert transient(exc)
    assert line == ("OperationalError (builtins.ConnectionError): server closed the connection unexpectedly | "
                    "This probably means the server terminated abnormally (during UPDATE)")
    assert "posted" not in line and "Background" not in line
    assert not transient(ValueError("bad data"))


def test_a_release_never_touches_a_claim_taken_over_since(store, settings, sample_digests):
    from bot.service.outage import release_claim

    team = make_team(store, settings, sample_digests, ingest_papers=False)
    mine, theirs = NOW, NOW + dt.timedelta(minutes=11)
    day = dt.date(2026, 3, 30)
    with store.session() as s:
        s.add(Delivery(target_kind="member", target_id=team["member"], day=day, status="claimed", claimed_at=mine,
                       attempts=1))
    assert release_claim(store, "member", team["member"], day, mine, "OperationalError: gone")
    with store.session() as s:
        s.execute(update(Delivery).values(status="claimed", claimed_at=theirs, attempts=2))
    assert not release_claim(store, "member", team["member"], day, mine, "OperationalError: gone")
    with store.session() as s:
        (row,) = s.scalars(select(Delivery)).all()
        assert (row.status, row.attempts) == ("claimed", 2)
