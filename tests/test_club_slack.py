"""The journal club on Slack end to end, offline: signed requests as Slack sends them into the Bolt app,
the scheduler's due run posting to the local Web API, votes by button (changed, counted with chat.update),
the close naming the winner and its voters, exactly once across a restart."""

from __future__ import annotations

import datetime as dt

import pytest
from club_helpers import MONDAY, Clock, paper_refs
from slack_requests import SIGNING_SECRET, block_action, bolt_request, papers_command, reaction_event
from sqlalchemy import select

from bot.club import CLOSE, POLL
from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.service.context import JobContext
from bot.service.scheduler import queue_due
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.club import ACTION_CLUB_VOTE
from bot.slack.poster import METADATA_EVENT, SlackPoster, web_client
from recommender.store import Channel, ChannelChange, ClubVote, Delivery, Store

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

TOKEN = "xoxb-test-club"


@pytest.fixture
def clock():
    return Clock(MONDAY - dt.timedelta(days=3))


@pytest.fixture
def fake(clock):
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}, clock=clock.timestamp) as f:
        yield f
        assert f.invalid_blocks() == []


@pytest.fixture
def slack(papers_store, settings, fake, clock):
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings, clock=clock)
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    app = build_app(commands, settings, secrets=secrets, process_before_response=True)
    return commands, app


def press(app, fake, value, user, name):
    """A signed press of a vote button by ``user``; the private answer."""
    before = len(fake.of("response_url"))
    body = block_action(ACTION_CLUB_VOTE, value, user=user, user_name=name, message={"ts": "1.1"},
                        response_url=fake.response_url("vote"))
    assert app.dispatch(bolt_request(body)).status == 200
    return fake.of("response_url")[before:][-1].params


def top_level(fake, channel="C1"):
    return [m for m in fake.messages.get(channel, []) if m.get("thread_ts", m["ts"]) == m["ts"]]


def buttons(message):
    return [b["accessory"] for b in message["blocks"] if b.get("accessory", {}).get("action_id") == ACTION_CLUB_VOTE]


def test_invalid_club_command_answers_usage_privately_and_changes_nothing(slack, fake):
    commands, app = slack
    for text in ("club funday 10:00", "club monday 24:00", "club vote 9"):
        answer = papers_command(app, fake, text)
        assert answer["response_type"] == "ephemeral" and "Usage:" in answer["text"], text
    with commands.store.session() as s:
        assert s.scalars(select(Channel)).all() == [] and s.scalars(select(ChannelChange)).all() == []


def test_a_week_of_journal_club_on_slack(slack, fake, clock, settings, db_url):
    commands, app = slack
    store = commands.store
    answer = papers_command(app, fake, "club monday 09:00")
    assert answer["response_type"] == "in_channel" and "every Monday at 09:00 UTC" in answer["text"]
    papers_command(app, fake, "channel setup 08:00 UTC 4")

    # The channel's week: a digest; 👍 reactions on its papers by ada and bob; cy likes one by command there.
    with store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    assert deliver(store, commands.recommender, settings, poster, target, now=clock.now).status == "posted"
    with store.session() as s:
        items = list(s.scalar(select(Delivery).where(Delivery.target_kind == "channel")).items)
        refs = {i.paper_id: i.message_ref for i in items}
    first, second, third, fourth = (i.paper_id for i in items)
    for user, paper in (("U1", first), ("U2", first), ("U1", second), ("U2", third)):
        clock.now += dt.timedelta(minutes=10)
        assert app.dispatch(bolt_request(reaction_event("reaction_added", "+1", refs[paper], user=user))).status == 200
    clock.now += dt.timedelta(minutes=10)
    papers_command(app, fake, f"like #{second}", user="U3", user_name="cy")  # second: 2 people, more recent than first
    papers_command(app, fake, f"dislike #{fourth}", user="U3", user_name="cy")

    # The scheduler's due run at the slot posts the vote: one message, three papers, a button each.
    clock.now = MONDAY + dt.timedelta(seconds=20)
    ctx = JobContext(store, settings, {"slack": poster})
    before = len(top_level(fake))
    queue_due(ctx, now=clock.now)
    (poll_msg,) = top_level(fake)[before:]
    assert poll_msg["blocks"][0]["text"]["text"] == "Journal club for #papers, Mon 23 Nov 2026"
    assert poll_msg["metadata"]["event_type"] == METADATA_EVENT and poll_msg["metadata"]["event_payload"]["part"] == "header"
    values = [b["value"] for b in buttons(poll_msg)]
    with store.session() as s:
        poll = s.scalar(select(Delivery).where(Delivery.target_kind == POLL))
        assert poll.status == "posted" and poll.message_ref == f"C1:{poll_msg['ts']}"
        assert [i.paper_id for i in poll.items] == [second, first, third]
        poll_id = poll.id
    assert values == [f"{poll_id}:{p}" for p in (second, first, third)]

    # A second run at the same time, and a restarted process, post nothing more.
    queue_due(ctx, now=clock.now)
    restarted = Store(db_url)
    try:
        queue_due(JobContext(restarted, settings, {"slack": SlackPoster(web_client(TOKEN, fake.api_url))}), now=clock.now)
    finally:
        restarted.dispose()
    assert len(top_level(fake)) == before + 1

    # Votes by button: one per person, changeable; each updates the poll's counts through chat.update.
    clock.now += dt.timedelta(hours=2)
    assert "Your journal club vote" in press(app, fake, values[2], "U2", "bob")["text"]
    assert "Your journal club vote" in papers_command(app, fake, "club vote 1", user="U3", user_name="cy")["text"]  # by text
    press(app, fake, values[1], "U2", "bob")  # bob changes his vote
    press(app, fake, values[1], "U1", "ada")
    assert len(fake.of("chat.update")) == 4
    shown = fake.messages["C1"][[m["ts"] for m in fake.messages["C1"]].index(poll_msg["ts"])]
    counts = [b["text"]["text"].split("\n")[1] for b in shown["blocks"] if b.get("block_id", "").startswith("club-")]
    assert counts == ["👍 2 · 1 vote (cy)", "👍 2 · 2 votes (bob, ada)", "👍 1 · no votes"]
    with store.session() as s:
        assert {(v.member.user_ref, v.paper_id) for v in s.scalars(select(ClubVote))} == {
            ("U1", first), ("U2", first), ("U3", second)}

    # The close, 24 hours after the poll: the winner with its link and who voted; the poll shows the final count.
    clock.now = MONDAY + dt.timedelta(hours=24, minutes=1)
    refused = press(app, fake, values[0], "U1", "ada")
    assert "closed" in refused["text"]
    queue_due(ctx, now=clock.now)
    queue_due(ctx, now=clock.now)
    winner_msg = top_level(fake)[-1]
    assert winner_msg["ts"] != poll_msg["ts"] and "Journal club pick" in winner_msg["text"]
    link = f"https://papers.example/{first}"
    assert f"<{link}|" in winner_msg["blocks"][1]["text"]["text"] and link in winner_msg["text"]
    assert "2 votes (bob, ada)" in winner_msg["text"]
    assert len(top_level(fake)) == before + 2
    shown = next(m for m in fake.messages["C1"] if m["ts"] == poll_msg["ts"])
    assert buttons(shown) == [] and "Voting is closed." in str(shown["blocks"])
    with store.session() as s:
        close = s.scalar(select(Delivery).where(Delivery.target_kind == CLOSE))
        assert close.status == "posted" and [i.paper_id for i in close.items] == [first]
        assert close.message_ref == f"C1:{winner_msg['ts']}"
        assert {(v.member.user_ref, v.paper_id) for v in s.scalars(select(ClubVote))} == {
            ("U1", first), ("U2", first), ("U3", second)}  # the late vote changed nothing


@pytest.fixture(autouse=True)
def _links(papers_store):
    paper_refs(papers_store, 216)  # every sample paper gets a link


def test_a_poll_whose_answer_was_lost_is_adopted_not_posted_twice(slack, fake, clock, settings, strict_logs):
    """Slack accepted the poll, the answer never came back: the message is found by its metadata."""
    strict_logs.allow("Remote end closed connection without response")  # slack_sdk's own log of the drop
    commands, app = slack
    papers_command(app, fake, "club monday 09:00")
    (ref,) = paper_refs(commands.store, 1)
    papers_command(app, fake, f"like {ref}")
    clock.now = MONDAY + dt.timedelta(minutes=1)
    fake.drop_next("chat.postMessage")
    ctx = JobContext(commands.store, settings, {"slack": SlackPoster(web_client(TOKEN, fake.api_url))})
    queue_due(ctx, now=clock.now)
    (poll_msg,) = top_level(fake)
    with commands.store.session() as s:
        poll = s.scalar(select(Delivery).where(Delivery.target_kind == POLL))
        assert poll.status == "posted" and poll.message_ref == f"C1:{poll_msg['ts']}"
    queue_due(ctx, now=clock.now + dt.timedelta(minutes=5))
    assert len(top_level(fake)) == 1


def test_a_poll_message_deleted_before_the_close_still_gets_its_winner_and_the_close_is_posted(slack, fake, clock, settings):
    """As on Discord: someone deleted the poll message; chat.update answers message_not_found. The winner is
    posted by then, so the close is done (``posted``), not failed and retried every sync."""
    commands, app = slack
    papers_command(app, fake, "club monday 09:00")
    (ref,) = paper_refs(commands.store, 1)
    papers_command(app, fake, f"like {ref}")
    clock.now = MONDAY + dt.timedelta(minutes=1)
    ctx = JobContext(commands.store, settings, {"slack": SlackPoster(web_client(TOKEN, fake.api_url))})
    queue_due(ctx, now=clock.now)
    (poll_msg,) = top_level(fake)
    fake.messages["C1"].remove(poll_msg)  # a moderator tidies the channel: the poll is gone
    clock.now = MONDAY + dt.timedelta(hours=24, minutes=1)
    queue_due(ctx, now=clock.now)
    (winner_msg,) = top_level(fake)
    assert "Journal club pick" in winner_msg["text"]
    with commands.store.session() as s:
        close = s.scalar(select(Delivery).where(Delivery.target_kind == CLOSE))
        assert (close.status, close.message_ref) == ("posted", f"C1:{winner_msg['ts']}")
    queue_due(ctx, now=clock.now + dt.timedelta(hours=1))
    assert top_level(fake) == [winner_msg]
