"""Taking away what the command line added: a user's interest, a user, a channel."""

import json
import re

import pytest


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
    assert "“graph learning” is not among mia's interests. `paperbot users list` shows them." in text  # said to the admin
    assert "/papers" not in text
    one_missing = cli("users", "remove-interest", "mia", "diffusion models; graph learning")  # all or none
    assert one_missing.exit_code == 1
    assert "“graph learning” is not among mia's interests; nothing was removed." in " ".join(one_missing.output.split())
    assert interests(cli) == {"mia": ["diffusion models", "video generation"]}
    both = cli("users", "remove-interest", "mia", "diffusion models; video generation")  # separated as users add reads them
    assert both.exit_code == 0, both.output
    assert interests(cli) == {"mia": []}


def test_adding_a_user_who_exists_says_so_and_changes_nothing(cli):
    assert cli("users", "add", "mia", "--interests", "diffusion models").exit_code == 0
    again = cli("users", "add", "mia")
    assert again.exit_code == 0
    assert "mia is already a user; nothing changed." in again.stdout and "• diffusion models" in again.stdout
    assert "already" not in cli("users", "add", "noor").stdout
    assert interests(cli) == {"mia": ["diffusion models"], "noor": []}


def test_remove_interest_of_nobody_or_of_no_words_is_refused(cli):
    unknown = cli("users", "remove-interest", "nobody", "graph learning")
    assert unknown.exit_code == 1 and "unknown user 'nobody'" in unknown.output
    assert interests(cli) == {}  # a typo creates nobody
    assert cli("users", "add", "mia", "--interests", "graph learning").exit_code == 0
    for blank in ("", "  ", ";, ."):
        result = cli("users", "remove-interest", "mia", blank)
        assert result.exit_code == 2 and "is no interest" in result.output, blank
    assert interests(cli) == {"mia": ["graph learning"]}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """`paperbot run --once` watches <data_dir>/inbox and posts on the console (no chat secret)."""
    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
                "DISCORD_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def stats(cli) -> dict:
    return json.loads(cli("stats", "--json").stdout)


def run_once(cli) -> str:
    result = cli("run", "--once", "--no-bootstrap")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_remove_user_takes_interests_subscription_and_feedback_papers_stay(cli, data_dir, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("users", "add", "ada", "--interests", "graph learning").exit_code == 0
    assert cli("like", "ada", "#1").exit_code == 0
    assert cli("users", "add", "mia", "--interests", "diffusion models; video generation").exit_code == 0
    for verdict, paper in (("like", "#1"), ("like", "#2"), ("dislike", "#3")):
        assert cli(verdict, "mia", paper).exit_code == 0
    assert cli("users", "subscribe", "mia").exit_code == 0
    assert "DM @mia" in run_once(cli)

    removed = cli("users", "remove", "mia")
    assert removed.exit_code == 0, removed.output
    assert "Removed mia with 2 interests, 3 👍/👎 and the daily DM. The papers stay." in " ".join(removed.stdout.split())
    assert [u["user"] for u in json.loads(cli("users", "list", "--json").stdout)] == ["ada"]
    assert "mia" not in cli("users", "list").stdout
    gone = cli("picks", "mia")
    assert gone.exit_code == 1 and "unknown user 'mia'" in gone.output
    counts = stats(cli)
    assert (counts["papers"], counts["users"], counts["likes"], counts["dislikes"]) == (216, 1, 1, 0)  # ada's 👍 stays
    assert [t["name"] for t in json.loads(cli("status", "--json").stdout)["targets"]] == []

    # mia added again is someone new: no interests, no 👍/👎, and her DM digests are hers alone
    assert cli("users", "add", "mia").exit_code == 0
    assert interests(cli) == {"ada": ["graph learning"], "mia": []}
    assert cli("users", "subscribe", "mia").exit_code == 0
    assert "DM @mia" in run_once(cli)  # today's digest again: the removed mia's did not stay behind


def test_remove_unknown_user_exits_1_and_changes_nothing(cli):
    assert cli("users", "add", "ada", "--interests", "graph learning").exit_code == 0
    before = cli("users", "list", "--json").stdout
    unknown = cli("users", "remove", "nobody")
    assert unknown.exit_code == 1 and "unknown user 'nobody'" in unknown.output
    assert cli("users", "list", "--json").stdout == before
    assert cli("users", "remove", "ada").exit_code == 0
    again = cli("users", "remove", "ada")
    assert again.exit_code == 1 and "unknown user 'ada'" in again.output
    assert stats(cli)["users"] == 0


def test_users_remove_reads_platform_and_workspace_as_channels_remove_does(cli):
    assert cli("users", "add", "omar", "--interests", "graph learning").exit_code == 0
    before = cli("users", "list", "--json").stdout
    for kind in ("users", "channels"):  # an unknown platform is a usage error, said alike
        teams = cli(kind, "remove", "omar", "--platform", "teams")
        assert teams.exit_code == 2, (kind, teams.output)
        assert "unknown platform 'teams': give cli, slack or discord" in teams.output, kind
        local = cli(kind, "remove", "omar", "--workspace", "T1")  # a local user or channel has no workspace
        assert local.exit_code == 2 and "--workspace is a Slack or Discord workspace's id" in local.output, kind
    assert cli("users", "list", "--json").stdout == before
    said = " ".join(re.sub("[│╭╮╰╯─]", " ", cli("users", "remove", "--help").stdout).split())  # no box, no wrap
    assert "display name, which may hold spaces" in said and "--workspace" in said


def test_remove_channel_stops_its_digest_and_unlists_it(cli, data_dir, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    for name in ("lab", "gone"):
        assert cli("channels", "add", name).exit_code == 0
    removed = cli("channels", "remove", "#gone")  # as channels add takes it
    assert removed.exit_code == 0, removed.output
    assert "Removed #gone: no more digests there." in " ".join(removed.stdout.split())
    assert [c["channel"] for c in json.loads(cli("channels", "list", "--json").stdout)] == ["lab"]
    assert [t["name"] for t in json.loads(cli("status", "--json").stdout)["targets"]] == ["#lab"]
    out = run_once(cli)
    assert "Papers for #lab" in out and "#gone" not in out
    assert stats(cli)["channels"] == 1

    # added again, it is a new channel with a digest of its own today, twice (SQLite reuses the deleted id)
    for _ in range(2):
        assert cli("channels", "add", "gone").exit_code == 0
        assert "Papers for #gone" in run_once(cli)
        assert cli("channels", "remove", "gone").exit_code == 0
    assert "#gone" not in run_once(cli)


def test_remove_unknown_channel_exits_1_and_changes_nothing(cli):
    assert cli("channels", "add", "lab", "--topic", "graph learning").exit_code == 0
    before = cli("channels", "list", "--json").stdout
    unknown = cli("channels", "remove", "nosuch")
    assert unknown.exit_code == 1 and "unknown channel 'nosuch'" in unknown.output
    assert cli("channels", "list", "--json").stdout == before
    assert cli("channels", "remove", "lab").exit_code == 0
    assert cli("channels", "remove", "lab").exit_code == 1
    assert json.loads(cli("channels", "list", "--json").stdout) == []


def test_feedback_given_in_a_removed_channel_stays_with_who_gave_it(cli, db_url, tmp_path, sample_digests):
    from bot.cli.local import caller
    from bot.commands import Commands
    from bot.settings import Settings
    from recommender.store import Store

    assert cli("ingest", sample_digests / "000_c6f8620f3de3774f.txt").exit_code == 0
    assert cli("users", "add", "mia").exit_code == 0
    assert cli("channels", "add", "lab").exit_code == 0
    store = Store(db_url)
    try:
        assert Commands(store, Settings(data_dir=tmp_path)).rate(caller("mia", channel="lab"), "#1", 1).ok  # a 👍 in #lab
    finally:
        store.dispose()
    assert cli("channels", "remove", "lab").exit_code == 0
    assert (stats(cli)["users"], stats(cli)["likes"]) == (1, 1)
