"""The console bootstrap of ``paperbot run``: the sample papers and the demo team go into an empty
database only, never into one where a team set something up or a bot already ran."""

from __future__ import annotations

import asyncio
import io
import os
import time

import pytest
from rich.console import Console
from sqlalchemy import func, select

from bot.commands import Caller, Commands
from bot.service.run import RunOptions, serve
from bot.settings import InboxSource, Secrets, Settings
from recommender.store import Channel, Member, Paper

SECRET_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
               "DISCORD_TOKEN")
BOOTSTRAP = "console bootstrap"


@pytest.fixture
def no_secrets(monkeypatch):
    for var in SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    return Secrets()


def run_once(store, settings, secrets, **kw) -> tuple[int, RunOptions, str]:
    out = io.StringIO()
    options = RunOptions(once=True, console=Console(file=out, width=200), **kw)
    status = asyncio.run(serve(store, settings, secrets, options))
    return status, options, out.getvalue()


def team(store) -> tuple[int, list[str], list[str]]:
    with store.session() as s:
        return (s.scalar(select(func.count(Paper.id))) or 0, [m.name for m in s.scalars(select(Member).order_by(Member.id))],
                list(s.scalars(select(Channel.name).order_by(Channel.id))))


def bootstrap_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(BOOTSTRAP)]


@pytest.mark.strict_logs
def test_a_team_set_up_before_its_first_run_gets_its_inbox_and_no_sample_papers(store, tmp_path, no_secrets,
                                                                                 sample_digests, caplog):
    """The trial: a user and a channel added first, one digest dropped in the inbox, then `paperbot run --once`
    (bootstrap on, as by default): the digests hold the inbox's papers only, and nobody of the demo team appears."""
    settings = Settings(data_dir=tmp_path)
    commands = Commands(store, settings)
    commands.interests_add(Caller("cli", "local", "mia", display_name="mia"), "diffusion models")
    commands.channel_setup(Caller("cli", "local", "mia", channel_ref="reading", channel_name="reading"),
                           topic="graph neural networks")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    dropped = inbox / "today.txt"
    dropped.write_bytes((sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    os.utime(dropped, (time.time() - 3600, time.time() - 3600))  # settled

    status, options, out = run_once(store, settings, no_secrets)

    assert status == 0
    [source] = options.report.sources
    papers, members, channels = team(store)
    assert source.new_papers > 0 and papers == source.new_papers  # the inbox's papers, and no others
    assert (members, channels) == (["mia"], ["reading"])
    assert "Papers for #reading" in out and "ml-reading-group" not in out
    assert bootstrap_lines(caplog) == []


@pytest.mark.strict_logs
def test_a_database_a_bot_already_ran_on_is_not_bootstrapped(store, tmp_path, no_secrets, caplog):
    """`run --once --no-bootstrap` recorded an (empty) inbox run: the next plain run adds nothing either."""
    settings = Settings(data_dir=tmp_path)
    assert run_once(store, settings, no_secrets, bootstrap=False)[0] == 0
    assert run_once(store, settings, no_secrets)[0] == 0
    assert team(store) == (0, [], []) and bootstrap_lines(caplog) == []


@pytest.mark.strict_logs
def test_a_config_declaring_its_own_sources_is_never_given_the_demo_team(store, tmp_path, no_secrets, caplog):
    """A trial: a lab's own config (its inbox declared) and a new data directory, then `run --once`: ada, grace,
    alan and the 216 sample papers were added and their digests posted beside the lab's."""
    inbox = tmp_path / "lab-inbox"
    inbox.mkdir()
    settings = Settings(data_dir=tmp_path, sources=[InboxSource(name="lab", path=inbox)])
    status, _, out = run_once(store, settings, no_secrets)
    assert status == 0 and "ml-reading-group" not in out
    assert team(store) == (0, [], []) and bootstrap_lines(caplog) == []


@pytest.mark.strict_logs
def test_an_empty_database_is_bootstrapped_and_the_log_says_what_and_how_to_skip(store, tmp_path, no_secrets, caplog):
    settings = Settings(data_dir=tmp_path)
    status, _, out = run_once(store, settings, no_secrets)
    assert status == 0 and "Papers for #ml-reading-group" in out
    papers, members, channels = team(store)
    assert (papers, members, channels) == (216, ["ada", "grace", "alan"], ["ml-reading-group"])
    [line] = bootstrap_lines(caplog)
    assert "the database was empty" in line and "--no-bootstrap" in line
    [record] = [r for r in caplog.records if r.getMessage() == line]
    assert record.did == ("ingested the bundled sample digests: 216 papers from 3 files; "
                          "set up the demo team from demo.toml: 3 users, 1 channel")
    assert run_once(store, settings, no_secrets)[0] == 0  # no longer empty: nothing added twice
    assert team(store) == (papers, members, channels) and len(bootstrap_lines(caplog)) == 1


def test_run_still_takes_bootstrap_the_default_that_its_help_no_longer_lists(cli, tmp_path, no_secrets, monkeypatch):
    """``--bootstrap/--no-bootstrap`` became ``--no-bootstrap`` alone to save a column of ``run --help``: a script or
    unit file that spelled the default out, ``paperbot run --bootstrap``, then stopped with "No such option"
    (exit status 2) and no bot. It is accepted again, unlisted; given with ``--no-bootstrap`` it is a usage error."""
    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    assert cli("users", "add", "mia").exit_code == 0  # a team's database: the bootstrap adds nothing to it
    ran = cli("run", "--once", "--bootstrap")
    assert ran.exit_code == 0, ran.output
    assert "paperbot run --once" in ran.stdout and "ingest inbox" in ran.stdout
    both = cli("run", "--once", "--bootstrap", "--no-bootstrap")
    assert both.exit_code == 2 and "--bootstrap or --no-bootstrap, not both" in " ".join(both.output.split())
    assert "--bootstrap " not in cli("run", "--help").output.replace("--no-bootstrap", "")
