"""Onboarding by rating through Slack, offline: signed slash commands and button presses into the
Bolt app, the DM and its buttons read back from the fake Web API, ratings from the store."""

from __future__ import annotations

import json

import pytest
from slack_requests import SIGNING_SECRET, block_action, bolt_request, slash_command
from sqlalchemy import func, select

from bot.commands import Commands
from bot.settings import Secrets
from bot.slack.app import build_app
from bot.slack.blocks import ACTION_RATE_DOWN, ACTION_RATE_SKIP, ACTION_RATE_UP
from recommender.store import Feedback, Member, Onboarding

from slack_fake import FakeSlack, Team

pytestmark = pytest.mark.strict_logs

TOKEN = "xoxb-test-onboarding"


@pytest.fixture
def fake():
    with FakeSlack(teams={TOKEN: Team("T1", "UBOT", "BBOT")}) as f:
        yield f
        assert f.invalid_blocks() == []


def build(store, settings, fake):
    settings.slack.api_url = fake.api_url
    secrets = Secrets(slack_bot_token=TOKEN, slack_signing_secret=SIGNING_SECRET)
    return build_app(Commands(store, settings), settings, secrets=secrets, process_before_response=True)


@pytest.fixture
def app(papers_store, settings, fake):
    return build(papers_store, settings, fake)


def command(app, fake, text, **kw):
    resp = app.dispatch(bolt_request(slash_command(text, response_url=fake.response_url("cmd"), **kw)))
    assert resp.status == 200
    answers = fake.of("response_url")
    return answers[-1].params if answers else None


def press(app, fake, action, value, user="U1"):
    resp = app.dispatch(bolt_request(block_action(action, value, user=user, channel="D" + user,
                                                  response_url=fake.response_url("btn"))))
    assert resp.status == 200


def rating_ids(blocks):
    """Paper ids of the onboarding 👍 buttons, in order."""
    return [int(e["value"]) for b in blocks if b["type"] == "actions"
            for e in b["elements"] if e["action_id"] == ACTION_RATE_UP]


def feedback(store):
    with store.session() as s:
        return {(f.paper_id, f.value, f.origin) for f in s.scalars(select(Feedback))}


def test_a_newcomers_picks_start_onboarding_by_dm_two_rounds_then_first_picks(app, fake, papers_store):
    answer = command(app, fake, "picks")
    assert answer["response_type"] == "ephemeral" and "direct message" in answer["text"]
    [dm] = fake.posts("DU1")
    first = rating_ids(dm.params["blocks"])
    assert len(first) == 8 and len(set(first)) == 8
    assert any(b.get("block_id") == "rate-skip" for b in dm.params["blocks"])

    for n, paper in enumerate(first):
        press(app, fake, ACTION_RATE_UP if n % 4 == 0 else ACTION_RATE_DOWN, str(paper))
    assert {(p, v) for p, v, o in feedback(papers_store) if o == "onboarding"} == {
        (p, 1 if n % 4 == 0 else -1) for n, p in enumerate(first)}
    assert "7 of 8" in fake.of("response_url")[-1].params["text"]
    second_dm = fake.posts("DU1")[-1]
    second = rating_ids(second_dm.params["blocks"])
    assert len(second) == 8 and not set(second) & set(first)

    for paper in second:
        press(app, fake, ACTION_RATE_DOWN, str(paper))
    picks = fake.posts("DU1")[-1]
    assert "first" in picks.params["text"] and rating_ids(picks.params["blocks"]) == []
    assert len(feedback(papers_store)) == 16
    with papers_store.session() as s:
        assert s.scalar(select(Onboarding.status)) == "done"
    # onboarded: /papers picks answers with picks, no new round
    answer = command(app, fake, "picks")
    assert "picks" in answer["text"] and len(fake.posts("DU1")) == 3


def test_three_ratings_then_skip_change_the_first_picks(app, fake, papers_store, settings):
    plain = Commands(papers_store, settings).recommender
    with papers_store.session() as s:  # what a profile-less member would get
        s.add(Member(platform="slack", workspace="T1", user_ref="UOTHER", interests=[], digest_time="09:00",
                     timezone="UTC", digest_size=5))
        s.flush()
        other = s.scalar(select(Member).where(Member.user_ref == "UOTHER"))
        untouched = [p.paper_id for p in plain.picks(s, [other], 5)[0]]
    command(app, fake, "start", channel="DU1", channel_name="directmessage")
    first = rating_ids(fake.posts("DU1")[0].params["blocks"])
    press(app, fake, ACTION_RATE_UP, str(first[0]))
    press(app, fake, ACTION_RATE_DOWN, str(first[1]))
    press(app, fake, ACTION_RATE_UP, str(first[2]))
    press(app, fake, ACTION_RATE_SKIP, "skip")
    picks = fake.posts("DU1")[-1]
    text = json.dumps(picks.params["blocks"], ensure_ascii=False)
    shown = [int(b["block_id"].split("-")[1]) for b in picks.params["blocks"] if b.get("block_id", "").startswith("paper-")]
    assert len(shown) == 5 and shown != untouched and "similar to 👍" in text
    assert not set(shown) & set(first[:3])
    with papers_store.session() as s:
        assert s.scalar(select(Onboarding.status)) == "skipped"
        assert s.scalar(select(func.count()).select_from(Feedback)) == 3


def test_a_restart_continues_the_round(papers_store, settings, fake):
    app = build(papers_store, settings, fake)
    command(app, fake, "start")
    first = rating_ids(fake.posts("DU1")[0].params["blocks"])
    for paper in first[:5]:
        press(app, fake, ACTION_RATE_DOWN, str(paper))
    restarted = build(papers_store, settings, fake)  # a new process: new app, new command layer
    for paper in first[5:]:
        press(restarted, fake, ACTION_RATE_UP, str(paper))
    second = rating_ids(fake.posts("DU1")[-1].params["blocks"])
    assert len(second) == 8 and not set(second) & set(first)


@pytest.mark.parametrize("text", ["start now", "start 2"])
def test_bad_start_answers_usage_privately_and_changes_nothing(app, fake, papers_store, text):
    answer = command(app, fake, text)
    assert answer["response_type"] == "ephemeral" and "takes no arguments" in answer["text"]
    assert fake.posts() == []
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Onboarding)) == 0
        assert s.scalar(select(func.count()).select_from(Member)) == 0


def test_a_bad_button_value_changes_nothing(app, fake, papers_store):
    press(app, fake, ACTION_RATE_UP, "not-a-paper")
    press(app, fake, ACTION_RATE_UP, "999999")
    assert feedback(papers_store) == set()
    assert "no longer available" in fake.of("response_url")[-1].params["text"]


def test_skip_pressed_twice_sends_the_first_picks_once(app, fake, papers_store):
    """A double click on "Skip the rest" (or a press after the last rating): one DM of first picks, then a private note."""
    command(app, fake, "start")
    first = rating_ids(fake.posts("DU1")[0].params["blocks"])
    press(app, fake, ACTION_RATE_UP, str(first[0]))
    press(app, fake, ACTION_RATE_SKIP, "skip")
    assert fake.posts("DU1")[-1].params["text"].startswith("Onboarding skipped. Your first 5 picks")
    dms = len(fake.posts("DU1"))
    press(app, fake, ACTION_RATE_SKIP, "skip")
    assert len(fake.posts("DU1")) == dms  # nothing posted again
    note = fake.of("response_url")[-1].params
    assert note["response_type"] == "ephemeral" and "already over" in note["text"] and "/papers picks" in note["text"]
    with papers_store.session() as s:
        assert s.scalar(select(Onboarding.status)) == "skipped"
