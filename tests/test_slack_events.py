"""Slack events beyond 👍/👎 on a paper, end to end: signed Events API callbacks into the Bolt app, the
real command layer and store, the local fake Web API. A renamed channel's stored name follows it; a
👍 on a digest's header (which holds several papers) is answered privately, once, with where to react."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from slack_requests import (
    SIGNING_SECRET,
    bolt_request,
    channel_rename_event,
    papers_command,
    reaction_event,
)
from sqlalchemy import func, select, text

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.poster import SlackPoster
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Feedback, Member

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
TOKEN = "xoxb-test-events"


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f
        assert f.invalid_blocks() == []


@pytest.fixture
def slack(papers_store, settings, fake):
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    return commands, build_app(commands, settings, secrets=secrets, process_before_response=True)


def names(store):
    with store.session() as s:
        return {c.channel_ref: c.name for c in s.scalars(select(Channel))}


def test_a_renamed_channel_keeps_its_new_name_in_titles_and_lists(slack, fake, settings, cli):
    commands, app = slack
    papers_command(app, fake, "channel setup 09:30 UTC 3 graph neural networks")  # in #papers (C1)
    papers_command(app, fake, "channel setup", channel="G1", channel_name="privategroup")  # a private channel: no name given
    assert names(commands.store) == {"C1": "papers", "G1": None}

    assert app.dispatch(bolt_request(channel_rename_event("C1", "reading-group"))).status == 200
    assert app.dispatch(bolt_request(channel_rename_event("G1", "secret-papers", kind="group_rename"))).status == 200
    assert names(commands.store) == {"C1": "reading-group", "G1": "secret-papers"}
    # the same channel id seen from another workspace (Slack Connect) is another channel: nothing changes
    app.dispatch(bolt_request(channel_rename_event("C1", "elsewhere", team="T2")))
    # a rename to the name it has (Slack retries an event it thinks was lost) logs nothing more
    app.dispatch(bolt_request(channel_rename_event("C1", "reading-group")))
    assert names(commands.store) == {"C1": "reading-group", "G1": "secret-papers"}
    with commands.store.session() as s:
        changes = [(c.actor, c.change) for c in s.scalars(select(ChannelChange).where(ChannelChange.change.like("renamed%")))]
    assert changes == [("slack", "renamed #papers to #reading-group"), ("slack", "renamed #G1 to #secret-papers")]
    assert "slack: renamed #papers to #reading-group" in papers_command(app, fake, "channel status")["text"]

    listed = cli("channels", "list", "--json")
    assert listed.exit_code == 0
    assert {c["channel"]: c["name"] for c in json.loads(listed.stdout)} == {"C1": "reading-group", "G1": "secret-papers"}

    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel).where(Channel.channel_ref == "C1")))
    assert deliver(commands.store, commands.recommender, settings, SlackPoster(app.client), target, now=NOW).status == "posted"
    assert fake.posts("C1")[0].params["text"].startswith("Papers for #reading-group")


def test_a_thumbs_up_on_a_digest_header_gets_a_private_hint_once_and_rates_nothing(slack, fake, settings):
    commands, app = slack
    store = commands.store
    papers_command(app, fake, "channel setup 09:30 UTC 3 graph neural networks")
    with store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert deliver(store, commands.recommender, settings, SlackPoster(app.client), target, now=NOW).status == "posted"
    with store.session() as s:
        header = s.scalar(select(Delivery.message_ref))
        paper_ref = s.scalars(select(DeliveryItem.message_ref)).first()
        members = s.scalar(select(func.count(Member.id)))

    def react(kind, reaction, ref, user, **kw):
        assert app.dispatch(bolt_request(reaction_event(kind, reaction, ref, user=user, **kw))).status == 200

    react("reaction_added", "+1", header, "U2")
    hints = fake.of("chat.postEphemeral")
    assert [(h.params["channel"], h.params["user"]) for h in hints] == [("C1", "U2")]
    assert "a paper's own message in the thread" in hints[0].params["text"]
    assert hints[0].params["_ok"] and hints[0].token == TOKEN
    # once: taking the 👍 back, adding it again, or a 👎 there too, says nothing more to U2
    react("reaction_removed", "+1", header, "U2")
    react("reaction_added", "thumbsup::skin-tone-2", header, "U2")
    react("reaction_added", "-1", header, "U2")
    assert len(fake.of("chat.postEphemeral")) == 1
    react("reaction_added", "+1", header, "U3")  # someone else is told too
    assert [h.params["user"] for h in fake.of("chat.postEphemeral")] == ["U2", "U3"]
    with store.session() as s:  # nobody's profile changed, nobody became a member
        assert s.scalar(select(func.count(Feedback.id))) == 0
        assert s.scalar(select(func.count(Member.id))) == members

    # a 👍 on a paper's own message counts, as before, without a hint; other people's messages get none
    react("reaction_added", "+1", paper_ref, "U4")
    react("reaction_added", "+1", "C1:1699999999.000100", "U4", item_user="U1")
    assert len(fake.of("chat.postEphemeral")) == 2
    with store.session() as s:
        assert s.scalar(select(func.count(Feedback.id))) == 1


def test_a_database_error_in_a_rename_or_a_reaction_is_a_warning_and_slack_gets_its_200(slack, fake, caplog):
    """Bolt would answer 500 (and Slack retry the event, failing again) and log the exception at ERROR."""
    commands, app = slack
    papers_command(app, fake, "channel setup 09:30 UTC 3 graph neural networks")
    with commands.store.session() as s:  # the tables the two listeners read are gone: every query of them fails
        s.execute(text("ALTER TABLE channels RENAME TO channels_gone"))
        s.execute(text("ALTER TABLE deliveries RENAME TO deliveries_gone"))
    assert app.dispatch(bolt_request(channel_rename_event("C1", "reading-group"))).status == 200
    # a 👍 on a bot message that carries no paper: is it a digest's header? (the question the database cannot answer)
    assert app.dispatch(bolt_request(reaction_event("reaction_added", "+1", "C1:1700000000.000100", user="U2"))).status == 200
    warned = [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.WARNING]
    assert ("bot.slack.app", "channel rename failed") in warned and ("bot.slack.app", "reaction failed") in warned
    assert not fake.of("chat.postEphemeral")
