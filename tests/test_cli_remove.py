"""Taking away what the command line added: a user's interest, a user, a channel."""

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def cli(db_url):
    def run(*args):
        return runner.invoke(app, ["--database-url", db_url, "--log-level", "WARNING", *map(str, args)])

    return run


def interests(cli) -> dict[str, list[str]]:
    return {u["user"]: u["interests"] for u in json.loads(cli("users", "list", "--json").stdout)}


def test_remove_interest_removes_that_one_only(cli):
    assert cli("users", "add", "mia", "--interests", "diffusion models; video generation").exit_code == 0
    removed = cli("users", "remove-interest", "mia", "Video  Generation")  # as /papers interests remove: any case, spaces
    assert removed.exit_code == 0, removed.output
    assert "Removed interest “Video Generation”" in removed.stdout
    assert "• diffusion models" in removed.stdout  # what is left
    assert interests(cli) == {"mia": ["diffusion models"]}


def test_remove_interest_she_does_not_have_changes_nothing_and_says_so(cli):
    assert cli("users", "add", "mia", "--interests", "diffusion models; video generation").exit_code == 0
    missing = cli("users", "remove-interest", "mia", "graph learning")
    assert missing.exit_code == 1
    text = " ".join(missing.output.split())
    assert "“graph learning” is not among your interests. `paperbot users list` shows them." in text
    assert "/papers" not in text
    both = cli("users", "remove-interest", "mia", "diffusion models; video generation")  # one interest, not two
    assert both.exit_code == 1 and "is not among your interests" in both.output
    assert interests(cli) == {"mia": ["diffusion models", "video generation"]}


def test_remove_interest_of_nobody_or_of_no_words_is_refused(cli):
    unknown = cli("users", "remove-interest", "nobody", "graph learning")
    assert unknown.exit_code == 1 and "unknown user 'nobody'" in unknown.output
    assert interests(cli) == {}  # a typo creates nobody
    assert cli("users", "add", "mia", "--interests", "graph learning").exit_code == 0
    for blank in ("", "  ", ";, ."):
        result = cli("users", "remove-interest", "mia", blank)
        assert result.exit_code == 2 and "is no interest" in result.output, blank
    assert interests(cli) == {"mia": ["graph learning"]}
