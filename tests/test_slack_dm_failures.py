"""A direct message Slack refuses, through the wire protocol: signed commands and button presses into
the Bolt app, the fake Web API failing ``chat.postMessage``. The person is told privately, nothing
is logged as a crash."""

from __future__ import annotations

import pytest
from slack_requests import SIGNING_SECRET, block_action, bolt_request, slash_command

from bot.commands import Commands
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.blocks import ACTION_RATE_UP

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

TOKEN = "xoxb-test-dm-failures"


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f


@pytest.fixture
def app(papers_store, settings, fake):
    settings.slack.api_url = fake.api_url
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    return build_app(Commands(papers_store, settings), settings, secrets=secrets, process_before_response=True)


def answers(fake, name):
    return [c.params for c in fake.of("response_url") if c.path.endswith("/" + name)]


@pytest.mark.parametrize("status, error", [(500, "internal_error"), (200, "messages_tab_disabled")])
def test_a_failed_onboarding_dm_is_answered_privately_and_a_retry_sends_it(app, fake, status, error):
    fake.fail_next("chat.postMessage", status=status, error=error)
    resp = app.dispatch(bolt_request(slash_command("start", response_url=fake.response_url("first"))))
    assert resp.status == 200
    assert fake.posts("DU1") == []
    [answer] = answers(fake, "first")  # not the "I sent you a direct message" of a DM that never came
    assert answer["response_type"] == "ephemeral"
    assert "could not send you a direct message" in answer["text"] and f"`{error}`" in answer["text"]

    app.dispatch(bolt_request(slash_command("start", response_url=fake.response_url("again"))))
    assert len(fake.posts("DU1")) == 1
    assert "I sent you a direct message" in answers(fake, "again")[0]["text"]


def test_a_failed_next_round_dm_after_a_rating_is_answered_privately(app, fake):
    app.dispatch(bolt_request(slash_command("start", response_url=fake.response_url("start"))))
    [dm] = fake.posts("DU1")
    papers = [e["value"] for b in dm.params["blocks"] if b["type"] == "actions"
              for e in b["elements"] if e["action_id"] == ACTION_RATE_UP]
    for paper in papers[:-1]:
        app.dispatch(bolt_request(block_action(ACTION_RATE_UP, paper, channel="DU1", response_url=fake.response_url("r"))))
    fake.fail_next("chat.postMessage", status=500, error="internal_error")  # the second round's DM
    app.dispatch(bolt_request(block_action(ACTION_RATE_UP, papers[-1], channel="DU1",
                                           response_url=fake.response_url("last"))))
    assert len(fake.posts("DU1")) == 1
    [answer] = answers(fake, "last")
    assert answer["response_type"] == "ephemeral" and "`internal_error`" in answer["text"]
