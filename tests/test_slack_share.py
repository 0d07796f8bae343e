""""Share in channel" on Slack, end to end: a private answer's button posts for everyone exactly the
papers the presser saw (their ids ride in the button value), without the presser's own marks, and a
button posted by an older version (its value the command alone) still works."""

from __future__ import annotations

import json

import pytest
from slack_requests import block_action, bolt_request, papers_command

from bot.digest import DISLIKED_NOTE, LIKED_NOTE
from bot.slack.blocks import ACTION_SHARE

pytestmark = pytest.mark.strict_logs


@pytest.fixture
def app(slack_bolt):
    return slack_bolt[1]


def press_share(app, slack_fake, value, **kw):
    """Press "Share in channel" with ``value``; what was sent to its response_url (None: nothing)."""
    before = len(slack_fake.of("response_url"))
    assert app.dispatch(bolt_request(block_action(ACTION_SHARE, value, response_url=slack_fake.response_url("share"), **kw))).status == 200
    answers = slack_fake.of("response_url")[before:]
    return answers[-1].params if answers else None


def share_value(answer):
    return next(e["value"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == ACTION_SHARE)


def paper_ids(blocks):
    return [int(b["block_id"].split("-")[1]) for b in blocks if b.get("block_id", "").startswith("paper-")]


def shown_text(blocks):
    return json.dumps(blocks, ensure_ascii=False)


def test_shared_picks_are_the_picks_shown_even_after_a_like_in_between(app, slack_fake):
    papers_command(app, slack_fake, "interests add graph neural networks")  # not a newcomer: picks, not onboarding
    answer = papers_command(app, slack_fake, "picks")
    shown = paper_ids(answer["blocks"])
    assert len(shown) == 5 and "Why: " in shown_text(answer["blocks"])
    # a 👍 on the first pick before sharing: picks are never repeated, so picks now would differ
    assert "noted" in papers_command(app, slack_fake, f"like #{shown[0]}")["text"]
    assert shown[0] not in paper_ids(papers_command(app, slack_fake, "picks")["blocks"])

    shared = press_share(app, slack_fake, share_value(answer))
    assert shared["response_type"] == "in_channel" and shared["replace_original"] is False
    assert paper_ids(shared["blocks"]) == shown
    assert shared["blocks"][0]["text"]["text"] == "<@U1> shared `/papers picks`:"
    # the reasons were the asker's ("similar to your 👍 …"), and the shared message has no share button of its own
    assert "Why: " not in shown_text(shared["blocks"])
    assert all(e["action_id"] != ACTION_SHARE for b in shared["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_a_shared_search_keeps_the_askers_ratings_private(app, slack_fake):
    first = papers_command(app, slack_fake, "search graph neural networks")
    liked, disliked = paper_ids(first["blocks"])[:2]
    papers_command(app, slack_fake, f"dislike #{disliked}")
    papers_command(app, slack_fake, f"like #{liked}")
    answer = papers_command(app, slack_fake, "search graph neural networks")
    assert {liked, disliked} <= set(paper_ids(answer["blocks"]))
    assert DISLIKED_NOTE in shown_text(answer["blocks"]) and LIKED_NOTE in shown_text(answer["blocks"])  # the asker's

    shared = press_share(app, slack_fake, share_value(answer))
    assert paper_ids(shared["blocks"]) == paper_ids(answer["blocks"])
    for note in (DISLIKED_NOTE, LIKED_NOTE):
        assert note not in shown_text(shared["blocks"]) and note not in shared["text"]


def test_a_button_posted_by_the_older_version_still_shares(app, slack_fake):
    """Its value is the command alone: the command says which papers, shared as new buttons share them."""
    answer = papers_command(app, slack_fake, "search graph neural networks")
    papers_command(app, slack_fake, f"dislike #{paper_ids(answer['blocks'])[0]}")
    shared = press_share(app, slack_fake, "search graph neural networks")
    assert shared["response_type"] == "in_channel"
    assert paper_ids(shared["blocks"]) == paper_ids(answer["blocks"])
    assert DISLIKED_NOTE not in shown_text(shared["blocks"])
    assert shared["blocks"][0]["text"]["text"] == "<@U1> shared `/papers search graph neural networks`:"
    # the old value is the text as Slack sent it, & < > as entities: read as typed, shown escaped once
    shared = press_share(app, slack_fake, "search graph &amp; neural networks")
    assert shared["blocks"][0]["text"]["text"] == "<@U1> shared `/papers search graph &amp; neural networks`:"


def test_forged_or_stale_share_values_post_nothing_for_everyone(app, slack_fake):
    assert press_share(app, slack_fake, "channel off") is None  # a command that writes is never run
    garbled = press_share(app, slack_fake, "ids:12,x:picks")
    assert garbled["response_type"] == "ephemeral" and "no longer be shared" in garbled["text"]
    gone = press_share(app, slack_fake, "ids:999999:search nothing")
    assert gone["response_type"] == "ephemeral" and "no longer stored" in gone["text"]
    assert all(c.params.get("response_type") != "in_channel" for c in slack_fake.of("response_url"))


def test_an_older_picks_button_pressed_by_a_newcomer_shares_nothing_and_sends_the_round_by_dm(app, slack_fake):
    """A newcomer's picks are onboarding: the papers to rate are theirs to rate, in their DM, not the channel's."""
    shared = press_share(app, slack_fake, "picks", user="U7", user_name="newcomer")
    assert shared["response_type"] == "ephemeral" and "direct message" in shared["text"]
    assert all(c.params.get("response_type") != "in_channel" for c in slack_fake.of("response_url"))
    [dm] = slack_fake.posts("DU7")
    assert sum(1 for b in dm.params["blocks"] if b.get("block_id", "").startswith("paper-")) == 8
