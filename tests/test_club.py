"""The weekly journal club through the command layer and the console adapter: the setting, the ballot
(ties), the scheduler's due run, votes, the close, exactly once across a restart and two schedulers."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from club_helpers import MONDAY, Clock, like, paper_id, paper_link, paper_refs
from rich.console import Console
from sqlalchemy import select

from bot.club import CLOSE, POLL
from bot.commands import USAGE, Caller, Commands
from bot.console import ConsolePoster
from bot.service.club_jobs import run_club, run_due_clubs
from bot.service.context import JobContext
from bot.service.due import DueClub, due_club
from bot.service.scheduler import queue_due
from recommender.store import Channel, ChannelChange, ClubVote, Delivery, Store

pytestmark = pytest.mark.strict_logs

ADA = Caller("console", "local", "ada", display_name="ada", channel_ref="C1", channel_name="reading")


def as_user(user: str) -> Caller:
    return Caller("console", "local", user, display_name=user, channel_ref="C1", channel_name="reading")


@pytest.fixture
def club(papers_store, settings):
    """Commands on an injected clock (Monday 08:00 UTC), a console poster printing to a buffer, and a job context."""
    clock = Clock(MONDAY - dt.timedelta(hours=1))
    commands = Commands(papers_store, settings, clock=clock)
    out = io.StringIO()
    poster = ConsolePoster(Console(file=out, width=200, force_terminal=False))
    ctx = JobContext(papers_store, settings, {"console": poster})
    return commands, clock, out, ctx


def club_rows(store: Store, kind: str) -> list[Delivery]:
    with store.session() as s:
        rows = s.scalars(select(Delivery).where(Delivery.target_kind == kind)).all()
        for row in rows:
            _ = row.items
        s.expunge_all()
        return list(rows)


def test_invalid_club_input_answers_usage_and_changes_nothing(club):
    commands, clock, out, ctx = club
    for text in ("club funday 10:00", "club monday 25:00", "club monday", "club 09:00 monday", "club mon 9:00 extra",
                 "club vote 4", "club vote x", "club vote"):
        reply = commands.handle(ADA, text)
        assert not reply.ok and reply.usage and reply.ephemeral, text
    dm = Caller("console", "local", "ada")
    assert commands.handle(dm, "club monday 09:00").usage  # a DM has no channel
    with commands.store.session() as s:
        assert s.scalars(select(Channel)).all() == [] and s.scalars(select(ChannelChange)).all() == []
    assert any("club <weekday> <HH:MM>" in line for line in USAGE)


def test_setting_the_club_keeps_the_daily_digest_off_and_is_logged(club):
    commands, clock, out, ctx = club
    reply = commands.handle(ADA, "club Thu 16:30")
    assert reply.ok and not reply.ephemeral and "every Thursday at 16:30 UTC" in reply.text
    with commands.store.session() as s:
        channel = s.scalar(select(Channel))
        assert (channel.club_weekday, channel.club_time, channel.enabled) == (3, "16:30", False)
        assert [c.change for c in s.scalars(select(ChannelChange))] == ["club thursday 16:30"]
    assert "every Thursday at 16:30" in commands.handle(ADA, "club").text
    assert commands.handle(ADA, "club off").text == "Journal club is off."
    assert "no journal club" in commands.handle(ADA, "club status").text


def test_a_digest_timezone_change_says_the_club_moves_with_it(club):
    """The club's time is local to the channel's timezone: a setup that changes it says where the club now is
    (a trial's club announced for Friday 16:00 UTC moved to 16:00 Berlin without a word)."""
    commands, clock, out, ctx = club
    commands.handle(ADA, "club Fri 16:00")
    reply = commands.handle(ADA, "channel setup 09:00 Europe/Berlin")
    assert reply.ok and "journal club now meets every Friday at 16:00 Europe/Berlin" in reply.text
    assert "journal club" not in commands.handle(ADA, "channel setup 10:00").text  # same timezone: no word of it
    commands.handle(ADA, "club off")
    assert "journal club" not in commands.handle(ADA, "channel setup 09:00 Asia/Tokyo").text


def test_ballot_is_the_weeks_most_liked_with_ties_to_the_most_recent(club):
    commands, clock, out, ctx = club
    commands.handle(ADA, "club monday 09:00")
    a, b, c, d, e = paper_refs(commands.store, 5)
    week = MONDAY - dt.timedelta(days=6)
    like(commands, clock, "ada", a, week)                        # a: 2 people, last 👍 on day 1
    like(commands, clock, "bob", a, week + dt.timedelta(hours=1))
    like(commands, clock, "ada", b, week + dt.timedelta(days=2))   # b: 2 people, last 👍 on day 3: before a
    like(commands, clock, "cy", b, week + dt.timedelta(days=2))
    like(commands, clock, "bob", c, week + dt.timedelta(days=4))   # c, d: 1 person each; d more recent
    like(commands, clock, "cy", d, week + dt.timedelta(days=5))
    like(commands, clock, "ada", e, MONDAY - dt.timedelta(days=8))  # e: 3 people, but outside the 7 days
    like(commands, clock, "bob", e, MONDAY - dt.timedelta(days=8))
    like(commands, clock, "cy", e, MONDAY - dt.timedelta(days=8))
    like(commands, clock, "dee", c, week, value=-1)                 # a 👎 is no vote for c
    like(commands, clock, "eve", c, week, channel=None)             # nor is a 👍 given outside the channel (a DM)
    outcomes = run_due_clubs(ctx, now=MONDAY + dt.timedelta(minutes=1))
    assert [o.status for o in outcomes] == ["posted"]
    (poll,) = club_rows(commands.store, POLL)
    assert [i.paper_id for i in poll.items] == [paper_id(commands.store, r) for r in (b, a, d)]
    assert [i.score for i in poll.items] == [2.0, 2.0, 1.0]


def test_console_club_from_setting_to_winner_exactly_once(club, db_url, settings):
    commands, clock, out, ctx = club
    commands.handle(ADA, "club monday 09:00")
    a, b, c = paper_refs(commands.store, 3)
    for user, ref in (("ada", a), ("bob", a), ("cy", a), ("ada", b), ("bob", b), ("cy", c)):
        like(commands, clock, user, ref, MONDAY - dt.timedelta(days=1))
    # Before the slot nothing is due; at the slot the scheduler's due run posts the numbered ballot.
    queue_due(ctx, now=MONDAY - dt.timedelta(minutes=1))
    assert out.getvalue() == ""
    slot = MONDAY + dt.timedelta(seconds=30)
    queue_due(ctx, now=slot)
    printed = out.getvalue()
    assert "Journal club for #reading, Mon 23 Nov 2026: vote" in printed
    assert "1. " in printed and "2. " in printed and "3. " in printed
    # A second run at the same time, a restarted process and a second scheduler post nothing.
    queue_due(ctx, now=slot)
    restarted = Store(db_url)
    try:
        again = JobContext(restarted, settings, {"console": ctx.posters["console"]})
        assert run_due_clubs(again, now=slot) == []  # the database says it is done
        with restarted.session() as s:
            channel_id = s.scalar(select(Channel.id))
        assert run_club(again, POLL, channel_id, now=slot).status == "skipped"  # and the claim holds if asked anyway
    finally:
        restarted.dispose()
    assert out.getvalue().count("Journal club for #reading") == 1

    # Votes: one per person, changeable; the text fallback works as the buttons do.
    clock.now = slot + dt.timedelta(hours=1)
    assert commands.handle(as_user("ada"), "club vote 2").ok
    assert commands.handle(as_user("bob"), "club vote 2").ok
    assert commands.handle(as_user("ada"), "club vote 1").ok  # ada changes her mind
    assert commands.handle(as_user("cy"), "club vote 2").ok
    with commands.store.session() as s:
        votes = {(v.member.user_ref, v.paper_id) for v in s.scalars(select(ClubVote))}
    pa, pb = paper_id(commands.store, a), paper_id(commands.store, b)
    assert votes == {("ada", pa), ("bob", pb), ("cy", pb)}
    status = commands.handle(ADA, "club status").text
    assert "2 votes (bob, cy)" in status and "1 vote (ada)" in status

    # The close is due 24 hours after the poll; it names the winner, its link and who voted.
    queue_due(ctx, now=slot + dt.timedelta(hours=23))
    assert "winner" not in out.getvalue()
    clock.now = slot + dt.timedelta(hours=24, minutes=1)
    vote = commands.handle(as_user("dee"), "club vote 1")
    assert not vote.ok and "closed" in vote.text
    queue_due(ctx, now=clock.now)
    queue_due(ctx, now=clock.now)
    printed = out.getvalue()
    assert printed.count("Journal club for #reading, Mon 23 Nov 2026: winner") == 1
    (close,) = club_rows(commands.store, CLOSE)
    assert close.status == "posted" and [i.paper_id for i in close.items] == [pb]
    assert "with 2 votes (bob, cy)" in printed and paper_link(commands.store, b) in printed.replace("\n", "")


def test_no_liked_paper_posts_nothing_and_says_so(club, caplog):
    commands, clock, out, ctx = club
    commands.handle(ADA, "club monday 09:00")
    with caplog.at_level("INFO"):
        assert [o.status for o in run_due_clubs(ctx, now=MONDAY + dt.timedelta(minutes=1))] == ["empty"]
    assert out.getvalue() == "" and any(r.getMessage() == "club poll empty" for r in caplog.records)
    assert run_due_clubs(ctx, now=MONDAY + dt.timedelta(days=1, minutes=5)) == []  # and no close follows


def test_two_schedulers_at_once_post_one_poll(club, db_url, settings):
    commands, clock, out, ctx = club
    commands.handle(ADA, "club monday 09:00")
    (a,) = paper_refs(commands.store, 1)
    like(commands, clock, "ada", a, MONDAY - dt.timedelta(days=1))
    stores = [Store(db_url), Store(db_url)]
    barrier = threading.Barrier(2)
    results: list = []

    def scheduler(store: Store) -> None:
        other = JobContext(store, settings, {"console": ctx.posters["console"]})
        barrier.wait()
        results.extend(o.status for o in run_due_clubs(other, now=MONDAY + dt.timedelta(minutes=1)))

    threads = [threading.Thread(target=scheduler, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for s in stores:
        s.dispose()
    assert sorted(results) in (["posted"], ["posted", "skipped"])
    assert out.getvalue().count("Journal club for #reading") == 1


def test_due_club_follows_the_schedule_and_the_database(club):
    commands, clock, out, ctx = club
    clock.now = MONDAY + dt.timedelta(minutes=30)  # set after this week's slot: first poll next week
    commands.handle(ADA, "club monday 09:00")
    with commands.store.session() as s:
        channel_id = s.scalar(select(Channel.id))
        assert due_club(s, {"console"}, MONDAY + dt.timedelta(hours=1)) == []
    with commands.store.session() as s:
        s.get(Channel, channel_id).club_since = MONDAY - dt.timedelta(days=1)
    with commands.store.session() as s:
        assert due_club(s, {"console"}, MONDAY + dt.timedelta(hours=1)) == [
            DueClub(POLL, channel_id, MONDAY.date(), MONDAY)]
        assert due_club(s, {"slack"}, MONDAY + dt.timedelta(hours=1)) == []  # not a platform served here
        assert due_club(s, {"console"}, MONDAY + dt.timedelta(hours=13)) == []  # past the 12 h grace
        assert due_club(s, {"console"}, MONDAY - dt.timedelta(minutes=1)) == []


def test_one_poll_a_week_even_when_the_day_changes(club):
    commands, clock, out, ctx = club
    commands.handle(ADA, "club monday 09:00")
    (a,) = paper_refs(commands.store, 1)
    like(commands, clock, "ada", a, MONDAY - dt.timedelta(days=1))
    assert [o.status for o in run_due_clubs(ctx, now=MONDAY + dt.timedelta(minutes=1))] == ["posted"]
    clock.now = MONDAY + dt.timedelta(hours=2)
    commands.handle(ADA, "club wednesday 09:00")  # moved mid-week: this week's poll was Monday's
    wednesday = MONDAY + dt.timedelta(days=2, minutes=1)
    with commands.store.session() as s:
        assert [d.kind for d in due_club(s, {"console"}, wednesday)] == [CLOSE]  # Monday's poll closes; no new one
    assert [o.status for o in run_due_clubs(ctx, now=wednesday)] == ["posted"]
    with commands.store.session() as s:
        assert [d.kind for d in due_club(s, {"console"}, wednesday + dt.timedelta(days=7))] == [POLL]


def test_paperbot_runs_posting_threads_post_the_due_poll(papers_store, settings):
    """The path of ``paperbot run``: the sync job's queue_due hands the due poll to the posting threads."""
    from bot.service.workers import DigestWorkers
    from recommender.store.models import utcnow

    now = utcnow()
    slot = now - dt.timedelta(minutes=1)
    commands = Commands(papers_store, settings)
    clock = Clock(now - dt.timedelta(hours=1))
    commands.clock = clock
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[slot.weekday()]
    assert commands.handle(ADA, f"club {weekday} {slot:%H:%M}").ok
    (a,) = paper_refs(papers_store, 1)
    like(commands, clock, "ada", a, now - dt.timedelta(minutes=30))
    out = io.StringIO()
    ctx = JobContext(papers_store, settings, {"console": ConsolePoster(Console(file=out, width=200))})
    ctx.workers = DigestWorkers(ctx, threads=1)
    ctx.workers.start()
    try:
        assert queue_due(ctx) == 1
        assert ctx.workers.wait_idle(60)
    finally:
        ctx.workers.close(10)
    assert out.getvalue().count("Journal club for #reading") == 1
    (poll,) = club_rows(papers_store, POLL)
    assert poll.status == "posted" and len(poll.items) == 1
