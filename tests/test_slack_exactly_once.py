"""Slack digests exactly once through a death at every step and a lost answer: the real SlackPoster
against the fake Web API, on SQLite and PostgreSQL.

A "kill" is the process dying: :class:`Killed` (a ``BaseException``, as
``SystemExit`` is) raised in the posting thread by the HTTP client, before a
``chat.postMessage`` is sent or right after Slack accepted it (the reference
not yet recorded). The restart is a new store and poster, after the claim's
recovery delay. Afterwards the channel must hold one header and, in its
thread, one reply per paper, all on record.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget, deliver
from bot.slack.poster import METADATA_EVENT, SlackPoster, web_client
from recommender.store import Channel, Delivery, Member, Store

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)
TOKEN = "xoxb-test-once"
REPO = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "delivery_child.py"
SIZE = 4  # papers per digest: 5 messages


class Killed(BaseException):
    """The process dies here (not an ``Exception``: nothing in the bot may catch it)."""


class DyingClient(WebClient):
    """The bot's WebClient, in a process that dies at its ``die_at``-th ``chat.postMessage``:
    before sending it, or (``accepted``) once Slack answered it."""

    def __init__(self, fake: FakeSlack, die_at: int, accepted: bool):
        model = web_client(TOKEN, fake.api_url)
        super().__init__(token=TOKEN, base_url=model.base_url, retry_handlers=model.retry_handlers)
        self.die_at, self.accepted, self.posts = die_at, accepted, 0

    def api_call(self, api_method, **kwargs):
        if api_method != "chat.postMessage":
            return super().api_call(api_method, **kwargs)
        self.posts += 1
        if self.posts == self.die_at and not self.accepted:
            raise Killed(f"before post {self.posts}")
        answer = super().api_call(api_method, **kwargs)
        if self.posts == self.die_at:
            raise Killed(f"after post {self.posts} was accepted")
        return answer


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}, clock=NOW.timestamp) as f:
        yield f
        assert f.invalid_blocks() == []


@pytest.fixture
def team(papers_store, settings):
    commands = Commands(papers_store, settings)
    caller = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
    commands.channel_setup(caller, size=SIZE, topic="graph neural networks")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    return commands, target


def assert_posted_once(fake: FakeSlack, store: Store, channel: str = "C1") -> None:
    """One header in ``channel``, one reply per paper in its thread, each carrying its metadata, all on record."""
    messages = fake.messages[channel]
    headers = [m for m in messages if "thread_ts" not in m or m["thread_ts"] == m["ts"]]
    assert len(headers) == 1, [m["metadata"]["event_payload"] for m in headers]
    (header,) = headers
    replies = [m for m in messages if m is not header]
    assert all(m["thread_ts"] == header["ts"] for m in replies)
    parts = [m["metadata"]["event_payload"]["part"] for m in replies]
    assert header["metadata"]["event_type"] == METADATA_EVENT and header["metadata"]["event_payload"]["part"] == "header"
    with store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.status == "posted"
        assert delivery.message_ref == f"{channel}:{header['ts']}"
        assert sorted(parts) == sorted(i.paper_id for i in delivery.items) and len(parts) == SIZE
        by_part = {m["metadata"]["event_payload"]["part"]: m["ts"] for m in replies}
        assert {i.paper_id: i.message_ref for i in delivery.items} == {p: f"{channel}:{ts}" for p, ts in by_part.items()}
        assert {m["metadata"]["event_payload"]["delivery_id"] for m in messages} == {delivery.id}


# post 1 is the header, posts 2..5 the replies; "accepted" kills once Slack has the message, before it is recorded
STEPS = [(n, accepted) for n in range(1, SIZE + 2) for accepted in (False, True)]


@pytest.mark.parametrize(("die_at", "accepted"), STEPS, ids=[f"{'after' if a else 'before'}-post{n}" for n, a in STEPS])
def test_killed_at_every_step_then_restarted_posts_each_message_once(team, fake, settings, db_url, die_at, accepted):
    commands, target = team
    dying = SlackPoster(DyingClient(fake, die_at, accepted))
    with pytest.raises(Killed):
        deliver(commands.store, commands.recommender, settings, dying, target, now=NOW)
    with commands.store.session() as s:
        delivery = s.scalar(select(Delivery))
        recorded = [delivery.message_ref] + [i.message_ref for i in delivery.items]
        assert delivery.status == "claimed" and delivery.attempts == 1
        assert sum(r is not None for r in recorded) == die_at - 1  # each accepted message was committed at once

    store = Store(db_url)  # the restarted process
    try:
        poster = SlackPoster(web_client(TOKEN, fake.api_url))
        early = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds / 2)
        assert deliver(store, commands.recommender, settings, poster, target, now=early).status == "skipped"
        later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
        outcome = deliver(store, commands.recommender, settings, poster, target, now=later)
        assert outcome.status == "posted" and outcome.papers == SIZE
        assert_posted_once(fake, store)
        looked_up = {c.method for c in fake.calls if c.method.startswith("conversations.")}
        header_on_record = die_at > 1
        assert looked_up == ({"conversations.replies"} if header_on_record else {"conversations.history", "conversations.replies"})
    finally:
        store.dispose()


def test_killed_after_the_last_post_is_only_marked_posted(team, fake, settings):
    """Every message accepted and recorded, then death before the outcome is written: the restart posts nothing."""
    commands, target = team

    class DiesWhenDone(SlackPoster):
        def post(self, post):
            super().post(post)
            raise Killed("after the last reply was recorded")

    with pytest.raises(Killed):
        deliver(commands.store, commands.recommender, settings, DiesWhenDone(web_client(TOKEN, fake.api_url)), target, now=NOW)
    before = len(fake.posts())
    later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
    outcome = deliver(commands.store, commands.recommender, settings, SlackPoster(web_client(TOKEN, fake.api_url)), target, now=later)
    assert outcome.status == "posted" and len(fake.posts()) == before == SIZE + 1
    assert_posted_once(fake, commands.store)


@pytest.mark.parametrize("lost", [1, 3], ids=["header", "second-reply"])
def test_an_answer_lost_after_slack_accepted_the_post_is_adopted_not_reposted(team, fake, settings, lost, strict_logs):
    """The connection drops after Slack accepted the post: the same attempt finds it by its metadata."""
    strict_logs.allow("Remote end closed connection without response")  # slack_sdk's own log of the drop
    commands, target = team
    fake.drop_next("chat.postMessage", after=lost - 1)
    outcome = deliver(commands.store, commands.recommender, settings, SlackPoster(web_client(TOKEN, fake.api_url)), target, now=NOW)
    assert outcome.status == "posted"
    assert len(fake.of("chat.postMessage")) == SIZE + 1  # nothing sent twice: no blind retry of a post
    assert_posted_once(fake, commands.store)
    lookup = fake.of("conversations.history" if lost == 1 else "conversations.replies")
    assert len(lookup) == 1 and lookup[0].params["include_all_metadata"] in ("1", "true")


def test_a_lost_header_answer_is_found_by_the_retry_from_the_first_claim_on(team, fake, settings, strict_logs):
    """Slack accepted the header, the answer was lost and the lookup failed, so the attempt failed; the retry
    (a takeover) looks the header up from the first claim time, not its own, and adopts it."""
    strict_logs.allow("Remote end closed connection without response")
    commands, target = team
    fake.drop_next("chat.postMessage")
    fake.fail_next("conversations.history", status=503)
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    first = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW)
    assert first.status == "failed" and "conversations.history" in first.error
    retry = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW + dt.timedelta(hours=1))
    assert retry.status == "posted"
    oldest = float(fake.of("conversations.history")[-1].params["oldest"])
    assert oldest <= NOW.timestamp() < oldest + 600
    assert_posted_once(fake, commands.store)


def test_without_the_history_scopes_a_resumed_post_still_completes(team, fake, settings, strict_logs):
    """An install made before the history scopes: the lookup is refused (missing_scope), logged, and the post goes on."""
    commands, target = team
    fake.fail_next("chat.postMessage", status=503, after=2)  # header and one reply, then a failure
    poster = SlackPoster(web_client(TOKEN, fake.api_url))
    assert deliver(commands.store, commands.recommender, settings, poster, target, now=NOW).status == "failed"
    fake.fail_next("conversations.replies", error="missing_scope")
    retry = deliver(commands.store, commands.recommender, settings, poster, target, now=NOW + dt.timedelta(minutes=5))
    assert retry.status == "posted"
    assert_posted_once(fake, commands.store)


def test_a_resumed_dm_digest_adopts_its_header(papers_store, settings, fake):
    commands = Commands(papers_store, settings)
    ada = Caller("slack", "T1", "U1", display_name="ada")
    commands.interests_add(ada, "reinforcement learning")
    commands.subscribe(ada, "07:00", "Europe/Berlin")
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member)))
    with pytest.raises(Killed):
        deliver(papers_store, commands.recommender, settings, SlackPoster(DyingClient(fake, 1, True)), target, now=NOW)
    later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
    outcome = deliver(papers_store, commands.recommender, settings, SlackPoster(web_client(TOKEN, fake.api_url)), target, now=later)
    assert outcome.status == "posted"
    messages = fake.messages["DU1"]
    assert len([m for m in messages if m.get("thread_ts", m["ts"]) == m["ts"]]) == 1
    assert len(messages) == 1 + outcome.papers


def test_a_process_sigkilled_while_slack_holds_its_answer_resumes_without_doubles(team, fake, settings, db_url):
    """A real process (tests/delivery_child.py) is SIGKILLed after Slack accepted its third post (the second
    reply) and before the answer reached it; the restart adopts that message and posts the rest."""
    commands, target = team
    held = 3
    release = fake.hold_next("chat.postMessage", after=held - 1)
    child = subprocess.Popen(
        [sys.executable, str(CHILD), db_url, str(settings.data_dir), fake.api_url, TOKEN, target.kind, str(target.id),
         NOW.isoformat()], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        fake.wait_for(lambda calls: len(fake.messages.get("C1", [])) >= held, timeout=120)
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL, child.stderr.read()
    with commands.store.session() as s:
        delivery = s.scalar(select(Delivery))
        on_record = [delivery.message_ref] + [i.message_ref for i in delivery.items]
        assert delivery.status == "claimed" and sum(r is not None for r in on_record) == held - 1

    later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
    outcome = deliver(commands.store, commands.recommender, settings, SlackPoster(web_client(TOKEN, fake.api_url)), target, now=later)
    assert outcome.status == "posted"
    assert_posted_once(fake, commands.store)
