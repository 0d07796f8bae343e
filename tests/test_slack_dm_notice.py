"""A subscriber whose daily picks Slack will not take by DM is told so, privately and once, at their next
``/papers`` command: signed commands into the Bolt app, the digest posted to the fake Web API, which
refuses the DM (``messages_tab_disabled``: the app's Messages tab is off), answers read from response_url."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_requests import SIGNING_SECRET, block_action, bolt_request, slash_command
from sqlalchemy import select
from test_slack_onboarding import rating_ids
from test_status import status

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.blocks import ACTION_DOWN, ACTION_RATE_DOWN, ACTION_RATE_UP, ACTION_UP
from bot.slack.poster import SlackPoster, web_client
from recommender.store import Channel, Delivery, Member

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

TOKEN = "xoxb-test-dm-notice"
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)  # a Thursday
NOTICE = "could not send your daily picks by DM"


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f


@pytest.fixture
def world(papers_store, settings, fake):
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    app = build_app(commands, settings, secrets=Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET),
                    process_before_response=True)
    command(app, fake, "subscribe 07:30 Europe/Paris")
    command(app, fake, "interests add diffusion models")
    return app, commands


def command(app, fake, text: str, name: str = "cmd", **kw) -> list[dict]:
    """Run ``/papers text`` as Slack posts it; what was answered through its response_url, in order."""
    url = fake.response_url(name)
    resp = app.dispatch(bolt_request(slash_command(text, response_url=url, **kw)))
    assert resp.status == 200
    return [c.params for c in fake.of("response_url") if c.path.endswith("/" + name)]


def fail_the_dm(commands, settings, fake, now=NOW):
    fake.fail_next("chat.postMessage", error="messages_tab_disabled")
    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member)))
    return deliver(commands.store, commands.recommender, settings, SlackPoster(web_client(TOKEN, fake.api_url)),
                   target, now=now)


def delivery(commands) -> Delivery:
    with commands.store.session() as s:
        return s.scalar(select(Delivery))


def test_a_refused_dm_is_unreachable_and_told_privately_once(world, settings, fake, db_url, tmp_path):
    app, commands = world
    outcome = fail_the_dm(commands, settings, fake)
    assert outcome.status == "unreachable" and "messages_tab_disabled" in outcome.error  # not retried all day

    answer, notice = command(app, fake, "interests list", "next")
    assert answer["response_type"] == "ephemeral" and "diffusion models" in answer["text"]
    assert notice["response_type"] == "ephemeral" and NOTICE in notice["text"]
    assert "on Thu 03 Dec" in notice["text"] and "Messages tab is turned off" in notice["text"]
    assert "App Home → Messages Tab" in notice["text"] and "`/papers picks`" in notice["text"]

    row = delivery(commands)
    assert row.told_at is not None and row.error.endswith(" · person told")
    data, table = status(db_url, tmp_path)  # `paperbot status`, --json and the table
    [target] = data["targets"]
    assert target["last_told"] and target["last_error"].endswith("messages_tab_disabled · person told")
    assert "2026-12-03 unreachable · person told" in table

    assert len(command(app, fake, "interests list", "again")) == 1  # told once


def test_an_answer_for_the_channel_leaves_the_notice_private(world, settings, fake):
    app, commands = world
    fail_the_dm(commands, settings, fake)
    answer, notice = command(app, fake, "channel setup 09:00", "setup")
    assert answer["response_type"] == "in_channel" and NOTICE not in answer["text"]
    assert notice["response_type"] == "ephemeral" and NOTICE in notice["text"]


def test_a_notice_slack_did_not_take_is_told_at_the_next_command(world, settings, fake, strict_logs):
    app, commands = world
    fail_the_dm(commands, settings, fake)
    fake.fail_next("response_url", status=500, after=1)  # the answer goes, the notice does not
    assert len(command(app, fake, "interests list", "lost")) == 2
    assert delivery(commands).told_at is None
    [_, notice] = command(app, fake, "interests list", "told")
    assert NOTICE in notice["text"] and delivery(commands).told_at is not None


def test_the_same_user_id_in_another_workspace_is_not_told(world, settings, fake):
    app, commands = world
    fail_the_dm(commands, settings, fake)
    elsewhere = command(app, fake, "interests list", "t2", team="T2")
    assert all(NOTICE not in a["text"] for a in elsewhere) and delivery(commands).told_at is None
    assert NOTICE in command(app, fake, "help", "t1")[-1]["text"]


def test_a_mistyped_command_is_told_too(world, settings, fake):
    app, commands = world
    fail_the_dm(commands, settings, fake)
    usage, notice = command(app, fake, "serch diffusion", "typo")
    assert "Did you mean" in usage["text"] and NOTICE in notice["text"]


def test_a_later_digest_that_arrived_is_said_and_nothing_to_fix(world, settings, fake):
    app, commands = world
    fail_the_dm(commands, settings, fake)
    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member)))
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    assert deliver(commands.store, commands.recommender, settings, poster, target,
                   now=NOW + dt.timedelta(days=1)).status == "posted"  # the tab is on again
    [_, notice] = command(app, fake, "interests list", "after")
    assert "on Thu 03 Dec: Slack refused them" in notice["text"]
    assert "They have reached you since, so there is nothing to fix" in notice["text"]
    assert "App Home" not in notice["text"]


def press(app, fake, action: str, value: str, name: str, channel: str = "C1") -> list[dict]:
    """A signed press of button ``action`` on a message in ``channel`` by U1; what was answered through its response_url."""
    body = block_action(action, value, channel=channel, message={"ts": "1.1"}, response_url=fake.response_url(name))
    assert app.dispatch(bolt_request(body)).status == 200
    return [c.params for c in fake.of("response_url") if c.path.endswith("/" + name)]


def member_delivery(commands) -> Delivery:
    with commands.store.session() as s:
        return s.scalar(select(Delivery).where(Delivery.target_kind == "member"))


def test_a_thumbs_button_on_a_posted_pick_tells_privately_once(world, settings, fake):
    app, commands = world
    command(app, fake, "channel setup 09:00", "setup")
    fail_the_dm(commands, settings, fake)
    with commands.store.session() as s:
        channel = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    assert deliver(commands.store, commands.recommender, settings, poster, channel, now=NOW).status == "posted"
    with commands.store.session() as s:
        posted = s.scalar(select(Delivery).where(Delivery.target_kind == "channel"))
        value = f"{posted.id}:{posted.items[0].paper_id}"

    answer, notice = press(app, fake, ACTION_UP, value, "up")
    assert "👍 noted" in answer["text"] and answer["response_type"] == "ephemeral"
    assert notice["response_type"] == "ephemeral" and notice["replace_original"] is False
    assert NOTICE in notice["text"] and "on Thu 03 Dec" in notice["text"]
    told = member_delivery(commands)
    assert told.told_at is not None and told.error.endswith(" · person told")
    assert len(press(app, fake, ACTION_DOWN, value, "down")) == 1  # told once


def test_an_onboarding_rating_button_tells_privately_once(world, settings, fake):
    app, commands = world
    command(app, fake, "start", "start")  # a round to rate, in the DM, before the digest's DM was refused
    first = rating_ids(fake.posts("DU1")[0].params["blocks"])
    fail_the_dm(commands, settings, fake)

    answer, notice = press(app, fake, ACTION_RATE_UP, str(first[0]), "rate", "DU1")
    assert "noted" in answer["text"] and answer["response_type"] == "ephemeral"
    assert notice["response_type"] == "ephemeral" and NOTICE in notice["text"] and "on Thu 03 Dec" in notice["text"]
    assert member_delivery(commands).told_at is not None
    assert len(press(app, fake, ACTION_RATE_DOWN, str(first[1]), "again", "DU1")) == 1  # told once
