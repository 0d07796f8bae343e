"""A paper's reference on Slack: every paper shown says what `/papers like`, `dislike` and `who` take.

The bundled samples are title-only (no arXiv id, no link), so their only reference is paperbot's
own ``#id``: without it on the message a teammate has no way to name a digest paper in a command.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from slack_requests import papers_command
from sqlalchemy import select

from bot.delivery import DeliveryTarget, deliver
from bot.slack.poster import SlackPoster
from recommender.store import Channel, Feedback, Paper

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)


def shown_refs(blocks: list[dict]) -> dict[int, str]:
    """paper id -> the reference its section shows at the end of its meta line (the line under the title)."""
    refs = {}
    for block in blocks:
        if block.get("block_id", "").startswith("paper-"):
            meta = block["text"]["text"].split("\n")[1]
            found = re.search(r"· (#\d+|\d{4}\.\d{4,5})$", meta)
            assert found, f"no reference on {meta!r}"
            refs[int(block["block_id"].split("-")[1])] = found.group(1)
    return refs


def test_a_digest_paper_is_named_in_commands_by_the_reference_it_shows(slack_bolt, slack_fake, settings):
    commands, app = slack_bolt
    store = commands.store
    papers_command(app, slack_fake, "channel setup 09:30 UTC 3 graph neural networks", user="U1", user_name="ada")
    papers_command(app, slack_fake, "mentions me on", user="U2", user_name="bob")
    papers_command(app, slack_fake, "interests add graph neural networks", user="U2", user_name="bob")
    with store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert deliver(store, commands.recommender, settings, SlackPoster(app.client), target, now=NOW).status == "posted"

    header, *replies = slack_fake.posts("C1")
    refs = shown_refs(header.params["blocks"])
    assert len(refs) == 3
    with store.session() as s:  # title-only papers: the #id is their only reference
        assert refs == {pid: f"#{pid}" for pid in refs} and not s.scalar(select(Paper.arxiv_id).where(Paper.id.in_(refs)))
    for reply in replies:  # the thread reply a reaction goes on shows it too
        assert shown_refs(reply.params["blocks"]).items() <= refs.items()

    # a teammate types what the message shows
    paper, ref = next(iter(refs.items()))
    who = papers_command(app, slack_fake, f"who {ref}", user="U3", user_name="cy")
    assert who["text"].startswith("Who should read") and "bob" in who["text"]
    liked = papers_command(app, slack_fake, f"like {ref}", user="U3", user_name="cy")
    assert liked["text"].startswith("👍 noted for")
    with store.session() as s:
        assert s.scalar(select(Feedback.paper_id)) == paper


def test_picks_and_search_answers_show_each_papers_reference(slack_bolt, slack_fake):
    _, app = slack_bolt
    papers_command(app, slack_fake, "interests add diffusion models", user="U4", user_name="dee")
    picks = papers_command(app, slack_fake, "picks", user="U4", user_name="dee")
    found = papers_command(app, slack_fake, "search diffusion", user="U4", user_name="dee")
    for answer in (picks, found):
        refs = shown_refs(answer["blocks"])
        assert refs and all(ref == f"#{pid}" for pid, ref in refs.items())


def test_full_width_input_reads_as_the_ascii_it_shows(slack_bolt, slack_fake):
    """A Japanese or Chinese input method left in full-width mode types ＧＮＮ, ＃２４ and ０７：３０: Slack passes them
    as typed, and they are the same search, paper and time as GNN, #24 and 07:30 (interests were already so)."""
    commands, app = slack_bolt
    ascii_search = papers_command(app, slack_fake, "search GNN pipeline", user="U5", user_name="hana")
    wide_search = papers_command(app, slack_fake, "search ＧＮＮ　ｐｉｐｅｌｉｎｅ", user="U5", user_name="hana")
    assert shown_refs(wide_search["blocks"]) == shown_refs(ascii_search["blocks"]) != {}
    paper = next(iter(shown_refs(wide_search["blocks"])))
    wide_ref = "＃" + "".join(chr(ord(d) + 0xFEE0) for d in str(paper))  # #24 -> ＃２４
    liked = papers_command(app, slack_fake, f"like {wide_ref}", user="U5", user_name="hana")
    assert liked["text"].startswith("👍 noted for")
    subscribed = papers_command(app, slack_fake, "subscribe ０７：３０ Asia/Tokyo", user="U5", user_name="hana")
    assert subscribed["text"] == "Subscribed: your picks arrive by DM every day at 07:30 Asia/Tokyo."
    with commands.store.session() as s:
        assert s.scalar(select(Feedback.paper_id)) == paper
