"""Real ``paperbot run --once`` processes on the console, SIGKILLed at random moments and restarted
(benchmarks/console_kills.py, bounded: 6 channels, 2 kills; the benchmark's 200 channels and 10 kills take minutes): every channel's
digest printed, nothing twice, and a part missing only where a kill fell between its record and its print, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.console import ConsolePoster
from bot.delivery import DeliveryTarget, deliver
from recommender.store import Channel, Store

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "console_kills.py"


def load_benchmark():
    spec = importlib.util.spec_from_file_location("console_kills", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_console_digests_are_printed_once_through_sigkills_and_restarts(db_url, tmp_path):
    console_kills = load_benchmark()
    trials = console_kills.run_trials(tmp_path, channels=6, kills=2, max_lines=30, seed=7, database_url=db_url)
    assert [end for end, _, _ in trials.runs] == ["killed"] * 2 + ["exited"]
    assert trials.problems() == []
    assert len(trials.lost_at_kills()) <= 2
    assert len(trials.sizes) == 6 and sum(trials.headers.values()) + sum(
        "header" in part for part in trials.lost_at_kills()) == 6
    assert all(size == 5 for size in trials.sizes.values())


def test_the_read_back_sees_a_double_header_and_a_lost_paper():
    """The check itself can fail: a digest printed twice, a paper never printed."""
    console_kills = load_benchmark()
    trials = console_kills.Trials(sizes={"c000": 2}, statuses={"posted": 1})
    console_kills.read_back(trials, ["── Papers for #c000, Wed 02 Dec 2026 ──", "1. A", "   why: x"])
    console_kills.read_back(trials, ["── Papers for #c000, Wed 02 Dec 2026 ──", "1. A"])
    assert trials.problems() == ["c000: header printed 2 times", "c000: papers printed {1: 2}, expected 1..2 once"]
    resumed = console_kills.Trials(sizes={"c000": 2}, statuses={"posted": 1})
    console_kills.read_back(resumed, ["── Papers for #c000, Wed 02 Dec 2026 ──", "1. A"])
    console_kills.read_back(resumed, ["── Papers for #c000, Wed 02 Dec 2026 (continued) ──", "2. B"])
    assert resumed.problems() == []


def test_the_read_back_allows_a_gap_only_right_after_a_killed_runs_last_part():
    """A paper recorded and then killed before its print is lost at that kill; a gap anywhere else is a problem."""
    console_kills = load_benchmark()
    header, continued = "── Papers for #c000, Wed 02 Dec 2026 ──", "── Papers for #c000, Wed 02 Dec 2026 (continued) ──"
    at_kill = console_kills.Trials(sizes={"c000": 3}, statuses={"posted": 1})
    console_kills.read_back(at_kill, [header, "1. A"], killed=True)
    console_kills.read_back(at_kill, [continued, "3. C"])
    assert at_kill.problems() == [] and at_kill.lost_at_kills() == ["c000: paper 2"]
    elsewhere = console_kills.Trials(sizes={"c000": 3}, statuses={"posted": 1})
    console_kills.read_back(elsewhere, [header, "1. A"], killed=True)
    console_kills.read_back(elsewhere, [continued, "2. B"])
    assert elsewhere.problems() == ["c000: papers printed {1: 1, 2: 1}, expected 1..3 once"]
    not_killed = console_kills.Trials(sizes={"c000": 3}, statuses={"posted": 1})
    console_kills.read_back(not_killed, [header, "1. A"])
    console_kills.read_back(not_killed, [continued, "3. C"])
    assert not_killed.problems() == ["c000: papers printed {1: 1, 3: 1}, expected 1..3 once"]


class Killed(BaseException):
    """The process dies here."""


class DyingTerminal(io.StringIO):
    """A terminal in a process that dies at its ``die_after``-th write: right after it reached the screen,
    or (``before``) between the part's record and its print."""

    def __init__(self, die_after: int, before: bool = False):
        super().__init__()
        self.die_after, self.before, self.writes = die_after, before, 0

    def write(self, text: str) -> int:
        self.writes += bool(text)  # rich also writes "" when a capture ends
        if text and self.writes == self.die_after and self.before:
            raise Killed(f"before write {self.writes}")
        written = super().write(text)
        if text and self.writes == self.die_after:
            raise Killed(f"after write {self.writes}")
        return written


@pytest.mark.parametrize("before", [False, True], ids=["after-print", "before-print"])
@pytest.mark.parametrize("die_after", range(1, 7))  # the header, then papers 1..5
def test_a_console_digest_killed_at_each_part_resumes_with_the_rest(papers_store, settings, db_url, die_after, before):
    """Killed after a part's print, the rest follows under "(continued)"; killed between a part's record and
    its print, that part alone is lost (at most once: the console cannot be asked what it printed)."""
    commands = Commands(papers_store, settings)
    commands.channel_setup(Caller("cli", "local", "ada", channel_ref="reading", channel_name="reading"),
                           size=5, topic="graph neural networks")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    first = DyingTerminal(die_after, before)
    with pytest.raises(Killed):
        deliver(papers_store, commands.recommender, settings, ConsolePoster(Console(file=first, width=200)), target, now=now)
    store = Store(db_url)  # the restarted process
    try:
        second = io.StringIO()
        later = now + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
        outcome = deliver(store, commands.recommender, settings, ConsolePoster(Console(file=second, width=200)), target, now=later)
    finally:
        store.dispose()
    assert outcome.status == "posted"
    console_kills = load_benchmark()
    trials = console_kills.Trials(sizes={"c000": 5}, statuses={"posted": 1})  # the benchmark's channel names
    console_kills.read_back(trials, first.getvalue().replace("#reading", "#c000").splitlines(), killed=True)
    console_kills.read_back(trials, second.getvalue().replace("#reading", "#c000").splitlines())
    assert trials.problems() == []
    lost = "c000: header" if die_after == 1 else f"c000: paper {die_after - 1}"
    assert trials.lost_at_kills() == ([lost] if before else [])
    assert ("(continued)" in second.getvalue()) == (die_after < 6)
