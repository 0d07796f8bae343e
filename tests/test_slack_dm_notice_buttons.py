"""A subscriber whose daily picks Slack would not take by DM is told so, privately and once, when they press
a button under posted picks too: a journal club vote here (the 👍/👎 buttons of a digest are in
``tests/test_slack_dm_notice.py``). Signed requests into the Bolt app, the fake Web API refusing the DM
(``messages_tab_disabled``), the poll posted by the scheduler's due run, answers read from response_url."""

from __future__ import annotations

import datetime as dt

import pytest
from club_helpers import MONDAY, Clock, paper_refs
from slack_requests import SIGNING_SECRET, block_action, bolt_request, papers_command, reaction_event
from sqlalchemy import select

from bot.club import POLL
from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.service.context import JobContext
from bot.service.scheduler import queue_due
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.club import ACTION_CLUB_VOTE
from bot.slack.poster import SlackPoster, web_client
from recommender.store import Channel, Delivery, Member

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

TOKEN = "xoxb-test-dm-notice-buttons"
NOTICE = "could not send your daily picks by DM"


@pytest.fixture
def clock():
    return Clock(MONDAY - dt.timedelta(days=2))  # a Saturday


@pytest.fixture
def fake(clock):
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}, clock=clock.timestamp) as f:
        yield f


@pytest.fixture
def world(papers_store, settings, fake, clock):
    """The app, its commands and poster; bob (U2) subscribed, and his DM of Saturday refused."""
    paper_refs(papers_store, 216)  # the samples carry no links: give each one
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings, clock=clock)
    app = build_app(commands, settings, secrets=Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET),
                    process_before_response=True)
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    papers_command(app, fake, "subscribe 07:30 Europe/Paris", user="U2", user_name="bob")
    fake.fail_next("chat.postMessage", error="messages_tab_disabled")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member).where(Member.user_ref == "U2")))
    assert deliver(papers_store, commands.recommender, settings, poster, target, now=clock.now).status == "unreachable"
    return app, commands, poster


def post_poll(app, fake, commands: Commands, poster: SlackPoster, settings, clock: Clock) -> list[str]:
    """ada's channel: a digest with 👍 on two papers, then the club's poll at its slot; its vote buttons' values."""
    papers_command(app, fake, "club monday 09:00")
    papers_command(app, fake, "channel setup 08:00 UTC 3")
    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert deliver(commands.store, commands.recommender, settings, poster, target, now=clock.now).status == "posted"
    with commands.store.session() as s:
        refs = [i.message_ref for i in s.scalar(select(Delivery).where(Delivery.target_kind == "channel")).items]
    for ref in refs[:2]:
        clock.now += dt.timedelta(minutes=5)
        assert app.dispatch(bolt_request(reaction_event("reaction_added", "+1", ref))).status == 200
    clock.now = MONDAY + dt.timedelta(seconds=20)
    queue_due(JobContext(commands.store, settings, {"slack": poster}), now=clock.now)
    with commands.store.session() as s:
        poll = s.scalar(select(Delivery).where(Delivery.target_kind == POLL))
        return [f"{poll.id}:{item.paper_id}" for item in poll.items]


def press(app, fake, value: str, name: str) -> list[dict]:
    """bob presses the vote button ``value``; what was answered through its response_url, in order."""
    body = block_action(ACTION_CLUB_VOTE, value, user="U2", user_name="bob", message={"ts": "1.1"},
                        response_url=fake.response_url(name))
    assert app.dispatch(bolt_request(body)).status == 200
    return [c.params for c in fake.of("response_url") if c.path.endswith("/" + name)]


def member_delivery(commands: Commands) -> Delivery:
    with commands.store.session() as s:
        return s.scalar(select(Delivery).where(Delivery.target_kind == "member"))


def test_a_club_vote_button_tells_privately_once(world, settings, fake, clock):
    app, commands, poster = world
    values = post_poll(app, fake, commands, poster, settings, clock)
    assert member_delivery(commands).told_at is None  # ada's commands and reactions told bob nothing

    vote, notice = press(app, fake, values[0], "vote")
    assert vote["response_type"] == "ephemeral" and "Your journal club vote" in vote["text"]
    assert notice["response_type"] == "ephemeral" and notice["replace_original"] is False
    assert NOTICE in notice["text"] and "on Sat 21 Nov" in notice["text"] and "Messages tab is turned off" in notice["text"]
    told = member_delivery(commands)
    assert told.told_at is not None and told.error.endswith(" · person told")
    assert len(press(app, fake, values[1], "again")) == 1  # told once
