"""The platform-neutral command layer: parsing, usage, interests, channels, feedback."""

import pytest
from sqlalchemy import select

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands, UsageError, parse_time, parse_timezone
from recommender.store import ChannelChange, Feedback, Member, Paper

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
ADA_DM = Caller("slack", "T1", "U1", display_name="ada")


@pytest.fixture
def cmds(papers_store, settings):
    return Commands(papers_store, settings)


def first_paper(store, like="%graph%"):
    with store.session() as s:
        return s.scalars(select(Paper).where(Paper.title.ilike(like)).order_by(Paper.id)).first()


@pytest.mark.parametrize(
    "text",
    ["", "help", "frobnicate", "search", "picks now please", "interests", "interests add", "interests remove",
     "subscribe 25:00", "subscribe 08:00 Mars/Olympus", "subscribe a b c", "channel", "channel dance",
     "channel setup 99", "like", "like a b", "channel setup 08:00 Nowhere/City"],
)
def test_malformed_or_help_input_answers_usage_privately(cmds, text):
    reply = cmds.handle(ADA, text)
    assert reply.ephemeral
    assert "/papers <command>" in reply.text
    if text not in ("", "help"):
        assert not reply.ok


def test_time_and_timezone_parsing():
    assert parse_time("8:05") == "08:05"
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(UsageError):
        parse_time("8pm")
    with pytest.raises(UsageError):
        parse_timezone("Europe/Atlantis")


def test_interests_add_list_remove_change_picks(cmds):
    before = [i.paper_id for i in cmds.handle(ADA_DM, "picks").items]
    assert cmds.handle(ADA_DM, "interests add graph neural networks").ok
    assert cmds.handle(ADA_DM, "interests add graph neural networks").ok  # no duplicate
    listed = cmds.handle(ADA_DM, "interests list").text
    assert listed.count("graph neural networks") == 1
    after = cmds.handle(ADA_DM, "picks")
    assert [i.paper_id for i in after.items] != before
    assert any("graph" in i.title.lower() for i in after.items)
    assert all(i.reason for i in after.items)
    assert cmds.handle(ADA_DM, "interests remove graph neural networks").ok
    assert not cmds.handle(ADA_DM, "interests remove graph neural networks").ok
    assert "no interests" in cmds.handle(ADA_DM, "interests list").text


def test_subscribe_sets_time_and_timezone(cmds, store=None):
    reply = cmds.handle(ADA_DM, "subscribe 07:30 America/New_York")
    assert reply.ok and "07:30 America/New_York" in reply.text
    with cmds.store.session() as s:
        m = s.scalar(select(Member).where(Member.user_ref == "U1"))
        assert (m.subscribed, m.digest_time, m.timezone) == (True, "07:30", "America/New_York")
    assert "Unsubscribed" in cmds.handle(ADA_DM, "unsubscribe").text
    with cmds.store.session() as s:
        assert s.scalar(select(Member.subscribed).where(Member.user_ref == "U1")) is False


def test_channel_setup_off_and_status_log_who_changed_what(cmds):
    reply = cmds.handle(ADA, "channel setup 08:15 Europe/Berlin 3 graph learning and pruning")
    assert reply.ok and not reply.ephemeral
    assert "3 papers every day at 08:15 Europe/Berlin" in reply.text
    assert "graph learning and pruning" in reply.text
    bob = Caller("slack", "T1", "U2", display_name="bob", channel_ref="C1")
    assert cmds.handle(bob, "channel off").text == "Channel digest is off."
    status = cmds.handle(bob, "channel status").text
    assert status.startswith("Off.")
    assert "slack:U1 (ada): setup" in status and "slack:U2 (bob): off" in status
    with cmds.store.session() as s:
        assert len(s.scalars(select(ChannelChange)).all()) == 2


def test_channel_commands_in_a_dm_answer_usage(cmds):
    reply = cmds.handle(ADA_DM, "channel setup 08:00")
    assert not reply.ok and "not in a direct message" in reply.text


def test_like_dislike_by_arxiv_link_and_unknown_paper(cmds):
    with cmds.store.session() as s:
        paper = s.scalars(select(Paper).order_by(Paper.id)).first()
        paper.arxiv_id = "2401.00001"
    reply = cmds.handle(ADA_DM, "like https://arxiv.org/abs/2401.00001v2")
    assert reply.ok and "👍" in reply.text
    assert cmds.handle(ADA_DM, "dislike arXiv:2401.00001").ok  # changes the opinion, no second row
    with cmds.store.session() as s:
        rows = s.scalars(select(Feedback)).all()
        assert [(r.value, r.origin) for r in rows] == [(NEGATIVE, "command")]
    missing = cmds.handle(ADA_DM, "like 2501.99999")
    assert not missing.ok and "No stored paper" in missing.text


def test_feedback_retunes_picks_at_once(cmds):
    liked = first_paper(cmds.store, "%graph neural%")
    cmds.feedback(ADA_DM, liked.id, POSITIVE)
    picks = cmds.picks(ADA_DM, 5).items
    assert liked.id not in [i.paper_id for i in picks]  # rated papers are never picked
    assert any(liked.title[:40] in i.reason for i in picks)  # "similar to 👍 …"


def test_reaction_on_unknown_message_is_ignored(cmds):
    assert cmds.reaction(ADA, "C1:1700000000.000100", POSITIVE, added=True) is False
    with cmds.store.session() as s:
        assert s.scalars(select(Feedback)).all() == []


def test_search_ranks_relevant_papers_first(cmds):
    reply = cmds.search(ADA_DM, "zero-shot learning", k=3)
    assert len(reply.items) == 3
    assert all("zero-shot" in (i.title + i.abstract).lower() for i in reply.items)
    assert any("zero-shot" in i.title.lower() for i in reply.items)
    assert cmds.search(ADA_DM, "xylophone quokka").items == []
