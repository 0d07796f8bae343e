"""``paperbot --log-level DEBUG <one-shot command>`` logs to stderr (which settings, which database, how
long it took to open) and prints the same on stdout as without it; a trial saw nothing at all on stderr."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from bot.cli import app


@pytest.fixture
def restored_logging():
    """The root logger as it was: a command's --log-level replaces its handler and level."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_debug_on_a_one_shot_command_logs_to_stderr_only(db_url, restored_logging):
    runner = CliRunner()

    def paperbot(*args):
        return runner.invoke(app, ["--database-url", db_url, *args])

    assert paperbot("--log-level", "WARNING", "users", "add", "ada", "--interests", "graph neural networks").exit_code == 0
    quiet = paperbot("--log-level", "WARNING", "picks", "ada")
    loud = paperbot("--log-level", "DEBUG", "picks", "ada")
    assert quiet.exit_code == loud.exit_code == 0, loud.output
    assert loud.stdout == quiet.stdout and quiet.stderr == ""
    shown = db_url.split("?")[0]
    assert 'level=debug logger=bot.cli.state event="settings loaded" config=' in loud.stderr
    assert 'level=debug logger=bot.cli.state event="database opened" database=' in loud.stderr
    assert shown.split("//", 1)[1].split("@")[-1] in loud.stderr
