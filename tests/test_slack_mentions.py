"""``/papers who`` and mentions on Slack, end to end: signed slash commands into the Bolt app, the
channel digest posted to the local Web API with the real ``<@U…>`` mention in the thread reply, and a
digest killed mid-thread that resumes without naming anyone twice."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_requests import SIGNING_SECRET, papers_command
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.poster import SlackPoster, web_client
from recommender.store import Channel, DeliveryItem, Member, Mention, Paper, Store

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
TOKEN = "xoxb-test-mentions"
PEOPLE = {"U2": ("kim", "graph neural networks"), "U3": ("mia", "diffusion models"), "U4": ("raj", "graph neural networks")}


class Killed(BaseException):
    """The process dies here."""


class DiesAtPost(WebClient):
    """The bot's client in a process that dies once Slack accepted its ``die_at``-th ``chat.postMessage``."""

    def __init__(self, fake: FakeSlack, die_at: int):
        model = web_client(TOKEN, fake.api_url)
        super().__init__(token=TOKEN, base_url=model.base_url, retry_handlers=model.retry_handlers)
        self.die_at, self.posts = die_at, 0

    def api_call(self, api_method, **kwargs):
        answer = super().api_call(api_method, **kwargs)
        if api_method == "chat.postMessage":
            self.posts += 1
            if self.posts == self.die_at:
                raise Killed(f"after post {self.posts} was accepted, before it was recorded")
        return answer


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}, clock=NOW.timestamp) as f:
        yield f
        assert f.invalid_blocks() == []


@pytest.fixture
def slack(papers_store, settings, fake):
    settings.slack.api_url = fake.api_url
    commands = Commands(papers_store, settings)
    app = build_app(commands, settings, secrets=Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET),
                    process_before_response=True)
    return commands, app


def team_with_mentions(app, fake, *, opted=("U2", "U3")) -> None:
    for user, (name, topic) in PEOPLE.items():
        papers_command(app, fake, f"interests add {topic}", user=user, user_name=name, channel="DX", channel_name="directmessage")
        if user in opted:
            papers_command(app, fake, "mentions me on", user=user, user_name=name)
    assert papers_command(app, fake, "channel setup 09:30 UTC 4 graph neural networks diffusion models")["response_type"] == "in_channel"
    answer = papers_command(app, fake, "mentions on")
    assert answer["response_type"] == "in_channel" and "Mentions are on" in answer["text"]


def channel_target(store) -> DeliveryTarget:
    with store.session() as s:
        return DeliveryTarget.of(s.scalar(select(Channel)))


def mentions_in(messages: list[dict]) -> list[str]:
    """Every ``<@U…>`` the bot wrote in a mention section, in message order."""
    found = []
    for m in messages:
        for block in m.get("blocks", []):
            if block.get("block_id", "").startswith("mentions-"):
                text = block["text"]["text"]
                found += [part.split(">")[0] for part in text.split("<@")[1:]]
    return found


def test_who_is_answered_privately_and_a_bad_who_with_usage(slack, fake):
    commands, app = slack
    team_with_mentions(app, fake)
    with commands.store.session() as s:
        gnn = s.scalars(select(Paper).where(Paper.title.ilike("%graph neural%")).order_by(Paper.id)).first()
    answer = papers_command(app, fake, f"who #{gnn.id}", user="U9", user_name="grace")
    assert answer["response_type"] == "ephemeral"
    assert "• kim: " in answer["text"] and "matches graph neural" in answer["text"] and "raj" not in answer["text"]

    with commands.store.session() as s:
        before = (s.scalar(select(func.count()).select_from(Member)), s.scalar(select(func.count()).select_from(Mention)))
    # a Slack DM knows its workspace: the same people as in any of its channels, privately
    in_dm = papers_command(app, fake, f"who #{gnn.id}", user="U9", user_name="grace", channel="D0GRACE", channel_name="directmessage")
    assert in_dm["response_type"] == "ephemeral" and in_dm["text"] == answer["text"]
    missing = papers_command(app, fake, "who")
    assert missing["response_type"] == "ephemeral" and "`who` takes one paper" in missing["text"]
    with commands.store.session() as s:
        after = (s.scalar(select(func.count()).select_from(Member)), s.scalar(select(func.count()).select_from(Mention)))
    assert after == before


def test_the_channel_digest_mentions_the_best_fits_in_the_thread(slack, fake, settings):
    commands, app = slack
    team_with_mentions(app, fake)
    outcome = deliver(commands.store, commands.recommender, settings, SlackPoster(app.client), channel_target(commands.store), now=NOW)
    assert outcome.status == "posted"
    header, *replies = fake.messages["C1"]
    assert "<@" not in str(header.get("blocks"))  # names go in the thread, under their paper
    assert sorted(mentions_in(replies)) == ["U2", "U3"]  # once each, raj never opted in
    named = [r for r in replies if "<@U2>" in r["text"]]
    assert len(named) == 1 and "For <@U2>: this fits your interests." in named[0]["text"]  # interests, no 👍
    with commands.store.session() as s:  # the stored name is of the paper that message carries
        rows = {(m.member.user_ref, m.paper_id) for m in s.scalars(select(Mention))}
        item = s.scalar(select(DeliveryItem).where(DeliveryItem.message_ref == f"C1:{named[0]['ts']}"))
        assert ("U2", item.paper_id) in rows

    # turned off, the next day's digest names nobody
    papers_command(app, fake, "mentions off")
    deliver(commands.store, commands.recommender, settings, SlackPoster(app.client), channel_target(commands.store),
            now=NOW + dt.timedelta(days=1))
    assert sorted(mentions_in(fake.messages["C1"])) == ["U2", "U3"]


@pytest.mark.parametrize("die_at", [2, 3, 4])
def test_a_digest_killed_mid_thread_resumes_without_naming_anyone_twice(slack, fake, settings, db_url, die_at):
    commands, app = slack
    team_with_mentions(app, fake)
    target = channel_target(commands.store)
    with pytest.raises(Killed):
        deliver(commands.store, commands.recommender, settings, SlackPoster(DiesAtPost(fake, die_at)), target, now=NOW)
    with commands.store.session() as s:
        chosen = sorted((m.member.user_ref, m.paper_id) for m in s.scalars(select(Mention)))
    assert [u for u, _ in chosen] == ["U2", "U3"]

    store = Store(db_url)  # the restarted process
    try:
        later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
        outcome = deliver(store, commands.recommender, settings, SlackPoster(web_client(TOKEN, fake.api_url)), target, now=later)
        assert outcome.status == "posted"
        replies = [m for m in fake.messages["C1"] if m.get("thread_ts") and m["thread_ts"] != m["ts"]]
        assert len(replies) == 4  # the accepted-but-unrecorded reply was adopted, not posted again
        assert sorted(mentions_in(replies)) == ["U2", "U3"]
        with store.session() as s:
            assert sorted((m.member.user_ref, m.paper_id) for m in s.scalars(select(Mention))) == chosen
    finally:
        store.dispose()


def test_mentions_on_twice_tells_the_channel_once(slack, fake):
    """A second `mentions on` (or `off` when off) changes nothing: only the asker is answered, as for a `channel setup`
    that changes nothing, and the channel's change log gets no second line."""
    commands, app = slack
    team_with_mentions(app, fake)
    again = papers_command(app, fake, "mentions on", user="U3", user_name="cy")
    assert again["response_type"] == "ephemeral" and again["text"] == "Nothing to change: mentions are already on in this channel."
    assert papers_command(app, fake, "mentions off")["response_type"] == "in_channel"
    assert papers_command(app, fake, "mentions off")["response_type"] == "ephemeral"
    status = papers_command(app, fake, "channel status")["text"]
    assert status.count(": mentions on") == 1 and status.count(": mentions off") == 1
