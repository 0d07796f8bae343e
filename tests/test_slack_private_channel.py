"""A digest set up from a private channel, through the wire protocol: Slack's slash command says
``channel_name=privategroup`` there, so paperbot never learns the channel's name; the digest's header
must not call the channel by its id."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_requests import SIGNING_SECRET, bolt_request, papers_command, slash_command
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


def test_channel_status_says_why_no_digest_arrived_when_the_bot_is_not_in_the_channel(papers_store, settings, fake):
    """A private channel set up before the bot was invited: Slack refuses the digest (``not_in_channel``), which is
    never retried; the people there learn why from ``/papers channel status``, not "none yet"."""
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    app = build_app(commands, settings, secrets=secrets, process_before_response=True)
    papers_command(app, fake, "channel setup 09:00 UTC 3 graph neural networks", channel="G0PRIV", channel_name="privategroup")
    fake.channel_errors["G0PRIV"] = "not_in_channel"
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = SlackPoster(app.client)
    assert deliver(papers_store, commands.recommender, settings, poster, target, now=NOW).status == "unreachable"

    status = papers_command(app, fake, "channel status", channel="G0PRIV", channel_name="privategroup")
    assert status["response_type"] == "ephemeral"
    assert "Last digest: none yet" in status["text"]
    assert "2026-11-23 digest could not be posted here (`not_in_channel`)" in status["text"]
    assert "/invite @paperbot" in status["text"]

    # invited: the next day's digest goes out, and the status no longer dwells on the missed one
    del fake.channel_errors["G0PRIV"]
    assert deliver(papers_store, commands.recommender, settings, poster, target, now=NOW + dt.timedelta(days=1)).status == "posted"
    status = papers_command(app, fake, "channel status", channel="G0PRIV", channel_name="privategroup")
    assert "Last digest: 2026-11-24" in status["text"] and "could not be posted" not in status["text"]
