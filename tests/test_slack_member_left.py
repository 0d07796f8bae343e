"""Someone leaves the lab's Slack workspace: nobody can type `/papers` for them any more, so the command
line removes them (`paperbot users remove <name or user id> --platform slack`), and with them their daily
DM (otherwise refused by Slack every day), their `who` fit and their mentions."""

from __future__ import annotations

import json

import pytest
from slack_requests import papers_command
from sqlalchemy import func, select

from recommender.store import Feedback, Member

pytestmark = pytest.mark.strict_logs


@pytest.fixture
def app(slack_bolt):
    return slack_bolt[1]


def test_a_slack_member_who_left_is_removed_from_the_command_line(app, slack_fake, papers_store, cli):
    for user, name in (("U1", "ada"), ("U2", "elif")):
        papers_command(app, slack_fake, "interests add graph neural networks", user=user, user_name=name)
        papers_command(app, slack_fake, "mentions me on", user=user, user_name=name)
    papers_command(app, slack_fake, "subscribe 07:00 Europe/Istanbul", user="U2", user_name="elif")
    papers_command(app, slack_fake, "like #24", user="U2", user_name="elif")
    listed = {u["name"]: u for u in json.loads(cli("users", "list", "--json").stdout)}
    assert listed["elif"]["platform"] == "slack" and listed["elif"]["user"] == "U2"

    # a local user of that name there is not: the plain command says so and removes nothing
    assert cli("users", "remove", "elif").exit_code == 1
    assert cli("users", "remove", "nobody", "--platform", "slack").exit_code == 1
    removed = cli("users", "remove", "elif", "--platform", "slack")
    assert removed.exit_code == 0, removed.output
    assert "Removed elif with 1 interest, 1 👍/👎 and the daily DM" in " ".join(removed.stdout.split())
    with papers_store.session() as s:
        assert list(s.scalars(select(Member.user_ref))) == ["U1"]
        assert s.scalar(select(func.count()).select_from(Feedback)) == 0

    # she is no longer among the people a paper fits
    who = papers_command(app, slack_fake, "who #24", user="U1", user_name="ada")
    assert "elif" not in who["text"] and "ada" in who["text"]
    # by user id works too, and a name two people share asks for the id
    papers_command(app, slack_fake, "interests add robots", user="U3", user_name="ada")
    twice = cli("users", "remove", "ada", "--platform", "slack")
    assert twice.exit_code == 1 and "U1 (workspace T1), U3 (workspace T1)" in " ".join(twice.output.split())
    assert cli("users", "remove", "U3", "--platform", "slack").exit_code == 0
    with papers_store.session() as s:
        assert list(s.scalars(select(Member.user_ref))) == ["U1"]
