"""Onboarding by rating on the console (``paperbot start``), and the command layer's rules behind every adapter."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.commands import Caller, Commands
from recommender.store import Feedback, Member, Onboarding

pytestmark = pytest.mark.strict_logs

runner = CliRunner()


@pytest.fixture
def cli(papers_store, db_url):
    def run(*args, input=None):
        return runner.invoke(app, ["--database-url", db_url, "--log-level", "WARNING", *map(str, args)], input=input)
    return run


def counts(store):
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(Feedback)), s.scalar(select(func.count()).select_from(Onboarding)))


def test_rating_on_the_console_then_first_picks(cli, papers_store):
    assert cli("users", "add", "mia").exit_code == 0
    result = cli("start", "mia", input="y\nn\ny\ns\n")
    assert result.exit_code == 0, result.output
    assert "Rate 8 recent papers" in result.output and "Your first 5 picks" in result.output
    assert "similar to 👍" in result.output
    with papers_store.session() as s:
        assert sorted(f.value for f in s.scalars(select(Feedback))) == [-1, 1, 1]
        assert {f.origin for f in s.scalars(select(Feedback))} == {"onboarding"}
        assert s.scalar(select(Onboarding.status)) == "skipped"


def test_a_stopped_run_continues_where_it_was(cli, papers_store):
    cli("users", "add", "mia")
    stopped = cli("start", "mia", input="n\nn\n")  # the input ends: the process stops mid-round
    assert stopped.exit_code == 1 and counts(papers_store) == (2, 1)
    assert "`paperbot start mia` continues the round" in stopped.output and "Aborted" not in stopped.output  # trial
    resumed = cli("start", "mia", input="n\n" * 6 + "s\n")
    assert resumed.exit_code == 0, resumed.output
    assert "Round 1 of 2, 6 left to rate" in resumed.output and "more, chosen from" in resumed.output
    assert counts(papers_store) == (8, 1)


def test_bad_input_changes_nothing(cli, papers_store, settings):
    assert cli("start", "nobody").exit_code == 1
    cli("users", "add", "mia")
    result = cli("start", "mia", input="maybe\ny\ns\n")  # an unknown answer is asked again
    assert result.exit_code == 0 and counts(papers_store)[0] == 1
    cmds = Commands(papers_store, settings)
    reply = cmds.handle(Caller("slack", "T1", "U9"), "start please")
    assert not reply.ok and reply.usage and "takes no arguments" in reply.text
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.user_ref == "U9")) == 0


def test_only_newcomers_get_onboarding_from_picks(papers_store, settings):
    cmds = Commands(papers_store, settings)
    newcomer, reader = Caller("slack", "T1", "U1"), Caller("slack", "T1", "U2")
    cmds.interests_add(reader, "diffusion models")
    assert cmds.picks(reader).rating is False
    first = cmds.picks(newcomer)
    assert first.rating and first.dm and len(first.papers) == 8
    assert cmds.picks(newcomer).rating is False  # asked once: later picks are picks
    again = cmds.handle(newcomer, "start")  # /papers start redoes it, never showing a rated paper
    cmds.onboarding_rate(newcomer, again.papers[0].paper_id, 1)
    redo = cmds.start(newcomer)
    assert again.papers[0].paper_id not in {p.paper_id for p in redo.papers}


def test_piped_answers_end_each_prompts_line(db_url, papers_store):
    """A field test: `printf 'y\\nn\\ns\\n' | paperbot start newbie` ran each prompt into the next paper's title
    ("… skip the rest s: 2. Meteor…"): a piped answer is not echoed, so the line never ended."""
    import os
    import subprocess
    import sys

    def run(*args: str, stdin: str = "") -> str:
        return subprocess.run([sys.executable, "-m", "bot.cli", "--database-url", db_url, "--log-level", "WARNING",
                               *args], input=stdin, capture_output=True, text=True, check=True,
                              env={**os.environ, "COLUMNS": "80"}).stdout

    run("users", "add", "mia")
    out = run("start", "mia", stdin="y\nn\ns\n")
    prompts = [line for line in out.splitlines() if "skip the rest s:" in line]
    assert [line.rsplit(":", 1)[1].strip() for line in prompts] == ["y", "n", "s"], out


@pytest.mark.parametrize(("interests", "words"), [("speech recognition", ("speech",)),
                                                  ("graph neural networks", ("graph",))])
def test_a_newcomer_with_interests_rates_papers_near_them_first(cli, interests, words):
    """A trial: readers of recommender systems and of robotics were asked about the same first three papers."""
    assert cli("users", "add", "mia", "--interests", interests).exit_code == 0
    result = cli("start", "mia", input="s\n")
    assert result.exit_code == 0, result.output
    first = result.output.split("1. ", 1)[1].split("\n", 1)[0].lower()  # the first paper asked about
    assert any(w in first for w in words), first
    assert "near your interests" in result.output
