"""A digest set up from a private channel, through the wire protocol: Slack's slash command says
``channel_name=privategroup`` there, so paperbot never learns the channel's name; the digest's header
must not call the channel by its id."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_requests import SIGNING_SECRET, bolt_request, slash_command
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.poster import SlackPoster
from recommender.store import Channel

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
TOKEN = "xoxb-test-private-channel"


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f
        assert f.invalid_blocks() == []


def test_a_private_channels_digest_is_not_titled_with_the_channel_id(papers_store, settings, fake):
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    app = build_app(commands, settings, secrets=secrets, process_before_response=True)
    app.dispatch(bolt_request(slash_command("channel setup 09:00 UTC 3 graph neural networks", channel="G0PRIV",
                                            channel_name="privategroup", response_url=fake.response_url("setup"))))
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    outcome = deliver(papers_store, commands.recommender, settings, SlackPoster(app.client), target, now=NOW)
    assert outcome.status == "posted"
    header = fake.posts("G0PRIV")[0].params
    title = header["blocks"][0]["text"]["text"]
    assert title == "Papers for this channel, Mon 23 Nov 2026"
    assert "G0PRIV" not in header["text"] and "G0PRIV" not in title
