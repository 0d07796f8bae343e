"""SlackPoster against the fake Web API: rate limits, failures retried without doubles,
unreachable targets, DMs."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from slack_sdk.http_retry import builtin_handlers
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget, DigestPost, TargetUnreachable, deliver
from bot.digest import DigestMessage
from bot.slack.poster import SlackPoster, web_client
from recommender.pick import Pick
from recommender.store import Channel, Delivery, Feedback, Member

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
TOKEN = "xoxb-test-poster"


@pytest.fixture
def sleeps(monkeypatch):
    """Retry-After waits, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=waited.append))
    return waited


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f
        assert f.invalid_blocks() == []  # every message was valid Block Kit


@pytest.fixture
def team(papers_store, settings, fake):
    commands = Commands(papers_store, settings)
    caller = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
    commands.channel_setup(caller, size=4, topic="graph neural networks")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    return commands, target, poster


def test_429_is_retried_after_retry_after_then_succeeds(team, fake, settings, sleeps):
    commands, target, poster = team
    fake.fail_next("chat.postMessage", status=429, retry_after=2, after=1)  # the first paper is rate limited once
    outcome = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW)
    assert outcome.status == "posted"
    assert len(sleeps) == 1 and 2 <= sleeps[0] < 3
    calls = fake.of("chat.postMessage")
    assert len(calls) == 6  # header, the 429, the same paper again, three more
    assert calls[1].params == {k: v for k, v in calls[2].params.items() if k != "_ok"}
    assert len(fake.posts("C1")) == 5


def test_a_post_that_finally_fails_is_retried_next_run_never_doubled(team, fake, settings, sleeps):
    commands, target, poster = team
    fake.fail_next("chat.postMessage", status=429, retry_after=1, times=4, after=3)  # third paper: 1 try + 3 retries
    first = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW)
    assert first.status == "failed" and "chat.postMessage" in first.error and "xoxb" not in first.error
    assert len(sleeps) == 3
    with commands.store.session() as s:
        delivery = s.scalar(select(Delivery))
        header_ref = delivery.message_ref
        posted = [i.message_ref for i in delivery.items]
    assert header_ref == "C1:1700000000.000001"
    assert posted[:2] == ["C1:1700000000.000002", "C1:1700000000.000003"] and posted[2:] == [None, None]

    # feedback given on a posted paper in between is kept
    bob = Caller("slack", "T1", "U2")
    assert commands.reaction(bob, posted[0], 1, added=True)

    again = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW + dt.timedelta(hours=1))
    assert again.status == "posted"
    posts = fake.posts("C1")
    assert len(posts) == 5  # one header, four papers: nothing twice
    assert [p.params.get("thread_ts") for p in posts[3:]] == ["1700000000.000001"] * 2
    with commands.store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.message_ref == header_ref and delivery.status == "posted" and delivery.attempts == 2
        assert all(i.message_ref for i in delivery.items) and len({i.message_ref for i in delivery.items}) == 4
        assert s.scalar(select(Feedback.value)) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_unreachable_channel_is_marked_and_not_retried(team, fake, settings, error):
    commands, target, poster = team
    fake.channel_errors["C1"] = error
    outcome = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW)
    assert outcome.status == "unreachable" and error in outcome.error
    assert deliver(commands.store, commands.recommender, settings, poster, target, now=NOW + dt.timedelta(hours=1)).status == "skipped"
    with commands.store.session() as s:
        assert s.scalar(select(Delivery.status)) == "unreachable"


def test_poster_raises_target_unreachable_and_keeps_the_header(fake):
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    item = Pick(1, "2401.00001", "A", "https://arxiv.org/abs/2401.00001", (), "arxiv_atom", None, "")
    post = DigestPost(7, DeliveryTarget("channel", 1, "slack", "T1", "C1", "reading"),
                      DigestMessage("Papers", dt.date(2026, 11, 23), [item]))
    fake.fail_next("chat.postMessage", error="is_archived", after=1)
    with pytest.raises(TargetUnreachable, match="is_archived"):
        poster.post(post)
    assert post.header_ref == "C1:1700000000.000001" and post.paper_refs == {}
    header = fake.posts("C1")[0].params["blocks"]
    assert [e["value"] for b in header if b["type"] == "actions" for e in b["elements"]] == ["7:1", "7:1"]  # the delivery id


def test_dm_picks_open_a_conversation_first(papers_store, settings, fake):
    commands = Commands(papers_store, settings)
    ada = Caller("slack", "T1", "U1", display_name="ada")
    commands.interests_add(ada, "reinforcement learning")
    commands.subscribe(ada, "07:00", "Europe/Berlin")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member)))
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    outcome = deliver(papers_store, commands.recommender, settings, poster, target, now=NOW)
    assert outcome.status == "posted"
    assert [c.params["users"] for c in fake.of("conversations.open")] == ["U1"]
    posts = fake.posts("DU1")
    assert len(posts) == 1 + outcome.papers
    assert posts[0].params["blocks"][0]["text"]["text"].startswith("Papers for ada")
    # a 👍 in the DM thread counts for ada, with no channel
    with papers_store.session() as s:
        ref = s.scalar(select(Delivery)).items[0].message_ref
    assert commands.reaction(ada, ref, 1, added=True)
    with papers_store.session() as s:
        assert s.scalar(select(Feedback.channel_id)) is None


def test_connection_refused_is_a_failure_not_a_crash(team, settings, fake, strict_logs):
    strict_logs.allow("Connection refused")  # slack_sdk's own log of the failure this test provokes
    commands, target, _ = team
    dead = SlackPoster(web_client(TOKEN, "http://127.0.0.1:9/api/", connection_retries=0))
    outcome = deliver(commands.store, commands.recommender, settings, dead, target, now=NOW)
    assert outcome.status == "failed" and "SlackPostError" in outcome.error
