"""A journal club poll whose close fell due while nothing could post it: its channel paused (the bot removed from
the server) for longer than a week, or paperbot down that long. Through the command layer, the console adapter and
the scheduler's due run (``due_club``, ``run_due_clubs``)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from club_helpers import MONDAY, Clock, like, paper_refs
from rich.console import Console
from sqlalchemy import select

from bot.club import CLOSE, POLL
from bot.commands import Caller, Commands
from bot.console import ConsolePoster
from bot.service.club_jobs import run_due_clubs
from bot.service.context import JobContext
from bot.service.due import DueClub, due_club
from recommender.store import Channel, Delivery

pytestmark = pytest.mark.strict_logs

ADA = Caller("console", "local", "ada", display_name="ada", channel_ref="C1", channel_name="reading")


@pytest.fixture
def club(papers_store, settings):
    """A club on Mondays 09:00 UTC whose poll of MONDAY was posted (one paper 👍'd the day before), printed to a buffer."""
    clock = Clock(MONDAY - dt.timedelta(hours=1))
    commands = Commands(papers_store, settings, clock=clock)
    out = io.StringIO()
    ctx = JobContext(papers_store, settings, {"console": ConsolePoster(Console(file=out, width=200, force_terminal=False))})
    assert commands.handle(ADA, "club monday 09:00").ok
    (paper,) = paper_refs(papers_store, 1)
    like(commands, clock, "ada", paper, MONDAY - dt.timedelta(days=1))
    assert [o.status for o in run_due_clubs(ctx, now=MONDAY + dt.timedelta(minutes=1))] == ["posted"]
    assert "Journal club for #reading" in out.getvalue()
    return commands, clock, out, ctx


def due(commands: Commands, now: dt.datetime) -> list[DueClub]:
    with commands.store.session() as s:
        return due_club(s, {"console"}, now)


def channel_id(commands: Commands) -> int:
    with commands.store.session() as s:
        return s.scalar(select(Channel.id))


def test_a_close_missed_while_the_channel_was_paused_over_a_week_is_posted_when_it_resumes(club):
    commands, clock, out, ctx = club
    assert commands.bot_removed("console", "local").channels  # paused two hours into the vote
    eleven_days = MONDAY + dt.timedelta(days=11)
    assert due(commands, MONDAY + dt.timedelta(days=1, minutes=1)) == []  # paused: nothing due, poll nor close
    assert commands.bot_present("console", "local").channels  # back eleven days later

    closes = MONDAY + dt.timedelta(minutes=1, hours=24)  # 24 h after the poll was first claimed
    assert due(commands, eleven_days) == [DueClub(CLOSE, channel_id(commands), MONDAY.date(), closes)]
    assert [o.status for o in run_due_clubs(ctx, now=eleven_days)] == ["posted"]
    assert "Journal club pick:" in out.getvalue()
    with commands.store.session() as s:
        assert s.scalar(select(Delivery.status).where(Delivery.target_kind == CLOSE)) == "posted"
    assert due(commands, eleven_days + dt.timedelta(hours=1)) == []  # closed once
    next_slot = MONDAY + dt.timedelta(days=14, minutes=1)
    assert [d.kind for d in due(commands, next_slot)] == [POLL]  # and the club goes on


def test_a_close_missed_while_paperbot_was_down_over_a_week_is_posted_at_the_next_start(club):
    commands, clock, out, ctx = club
    restart = MONDAY + dt.timedelta(days=9)  # no sync ran since the poll: the process was down
    assert [d.kind for d in due(commands, restart)] == [CLOSE]
    assert [o.status for o in run_due_clubs(ctx, now=restart)] == ["posted"]
    assert "Journal club pick:" in out.getvalue()


def test_a_poll_is_closed_before_the_next_one_is_posted_when_both_are_due(club):
    """Down from just after the poll until the next week's slot: both are due at the start, the close first."""
    commands, clock, out, ctx = club
    (_, second) = paper_refs(commands.store, 2)
    like(commands, clock, "ada", second, MONDAY + dt.timedelta(days=3))
    start = MONDAY + dt.timedelta(days=7, minutes=5)
    assert [(d.kind, d.day) for d in due(commands, start)] == [
        (CLOSE, MONDAY.date()), (POLL, (MONDAY + dt.timedelta(days=7)).date())]
    assert [o.status for o in run_due_clubs(ctx, now=start)] == ["posted", "posted"]
    text = out.getvalue()
    assert text.index("Journal club pick:") < text.rindex("Journal club for #reading")
