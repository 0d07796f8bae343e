"""The platform-neutral command layer: parsing, usage, interests, channels, feedback."""

import pytest
from sqlalchemy import delete, select

from bot.commands import (
    NEGATIVE,
    POSITIVE,
    USAGE,
    USAGE_COMMAND,
    Caller,
    Commands,
    UsageError,
    parse_time,
    parse_timezone,
    reply_text,
)
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Feedback, Member, Paper

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
    ["", "help", "search", "picks now please", "interests", "interests add", "interests remove",
     "subscribe 25:00", "subscribe 08:00 Mars/Olympus", "subscribe a b c", "channel", "channel dance",
     "channel setup 99", "like", "like a b", "channel setup 08:00 Nowhere/City"],
)
def test_malformed_or_help_input_answers_usage_privately(cmds, text):
    reply = cmds.handle(ADA, text)
    assert reply.ephemeral and reply.usage
    assert "/papers <command>" in reply_text(reply, heading=str) and USAGE_COMMAND == "/papers <command>"
    if text not in ("", "help"):
        assert not reply.ok


def store_counts(store) -> tuple[int, ...]:
    with store.session() as s:
        return tuple(len(s.scalars(select(model)).all()) for model in (Member, Channel, ChannelChange, Feedback))


@pytest.mark.parametrize(
    "text,why",
    [
        ("channel setup 99:99 Mars/Phobos", "not a time: hours go from 00 to 23"),
        ("channel setup 25:00 UTC", "not a time: hours go from 00 to 23"),
        ("channel setup 08:61 reading group", "minutes go from 00 to 59"),
        ("channel setup 08:00 Mars/Phobos graphs", "`Mars/Phobos` is not a timezone"),
        ("channel setup 08:00 09:00 graphs", "one time"),
        ("channel setup 0", "between 1 and 20"),
        ("channel setup 08:00 " + "graph " * 80, "at most 300 characters"),
        ("subscribe 24:30", "`24:30` is not a time: hours go from 00 to 23"),
        ("subscribe 08:00 09:00", "one time"),
        ("subscribe Mars/Olympus", "`Mars/Olympus` is not a timezone"),
        ("subscribe 08:00 America/NewYork", "use an IANA name such as America/New_York"),  # the closest place
        ("interests add " + "x" * 201, "at most 200 characters"),
        ("picks 0", "`picks` takes one number of papers, 1 to 20"),
        ("picks 21", "`picks` takes one number of papers, 1 to 20"),
        ("picks graphs", "`picks` takes one number of papers, 1 to 20"),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(cmds, text, why):
    before = store_counts(cmds.store)
    reply = cmds.handle(ADA, text)
    assert not reply.ok and reply.ephemeral and reply.usage
    assert why in reply.text
    assert store_counts(cmds.store) == before == (0, 0, 0, 0)


def test_interest_count_is_limited(cmds):
    for n in range(20):
        assert cmds.handle(ADA_DM, f"interests add topic {n}").ok
    refused = cmds.handle(ADA_DM, "interests add one too many")
    assert not refused.ok and "remove one first" in refused.text
    assert cmds.handle(ADA_DM, "interests add topic 3").ok  # already there: no change, no error
    with cmds.store.session() as s:
        assert len(s.scalar(select(Member)).interests) == 20


def test_time_and_timezone_parsing():
    assert parse_time("8:05") == "08:05"
    assert parse_timezone("Europe/Berlin") == "Europe/Berlin"
    with pytest.raises(UsageError):
        parse_time("8pm")
    with pytest.raises(UsageError):
        parse_timezone("Europe/Atlantis")
    with pytest.raises(UsageError, match="hours go from 00 to 23"):
        parse_time("24:30")


@pytest.mark.semantic  # the shipped path: stored sentence embeddings mixed with TF-IDF
def test_interests_add_list_remove_change_picks(cmds):
    before = [i.paper_id for i in cmds.handle(ADA_DM, "picks").papers]
    assert cmds.handle(ADA_DM, "interests add graph neural networks").ok
    assert cmds.handle(ADA_DM, "interests add graph neural networks").ok  # no duplicate
    listed = cmds.handle(ADA_DM, "interests list").text
    assert listed.count("graph neural networks") == 1
    after = cmds.handle(ADA_DM, "picks")
    assert [i.paper_id for i in after.papers] != before
    assert any("graph" in i.title.lower() for i in after.papers)
    assert all(i.reason for i in after.papers)
    assert cmds.handle(ADA_DM, "interests remove graph neural networks").ok
    assert not cmds.handle(ADA_DM, "interests remove graph neural networks").ok
    assert "no interests" in cmds.handle(ADA_DM, "interests list").text


def test_an_interest_of_punctuation_alone_is_refused_and_stores_nothing(cmds):
    for text in ("interests add , ,", "interests add ;;", "interests add - ."):
        reply = cmds.handle(ADA_DM, text)
        assert not reply.ok and "needs some words" in reply.text
    assert "no interests" in cmds.handle(ADA_DM, "interests list").text
    assert cmds.handle(ADA_DM, "interests add C++ compilers").ok  # punctuation inside words is kept


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
    again = cmds.handle(bob, "channel off")  # as channel status says: off, not "no digest"
    assert again.ephemeral and again.text == "This channel's digest is already off."
    status = cmds.handle(bob, "channel status").text
    assert status.startswith("Off.")
    assert "<@U1>: setup" in status and "<@U2>: off" in status  # people, which each adapter renders
    with cmds.store.session() as s:
        changes = [c.change for c in s.scalars(select(ChannelChange).order_by(ChannelChange.id))]
    assert changes == ["setup created, time=08:15, timezone=Europe/Berlin, size=3, topic=graph learning and pruning",
                       "off"]
    cmds.handle(ADA, "channel setup")
    assert "<@U1>: setup enabled" in cmds.handle(bob, "channel status").text  # not "created" again


def test_a_channel_setup_that_changes_nothing_answers_privately_and_is_still_logged(cmds):
    assert not cmds.handle(ADA, "channel setup 08:15 Europe/Berlin 3 graphs").ephemeral  # the channel sees a change
    bob = Caller("slack", "T1", "U2", display_name="bob", channel_ref="C1")
    again = cmds.handle(bob, "channel setup 08:15 graphs")
    assert again.ok and again.ephemeral  # nothing new for the channel: bob alone is answered
    assert again.text == ("Nothing to change: this channel's digest is on. "
                          "3 papers every day at 08:15 Europe/Berlin. Topic: “graphs”.")
    with cmds.store.session() as s:
        changes = [(c.actor, c.change) for c in s.scalars(select(ChannelChange).order_by(ChannelChange.id))]
    # Still logged: bob is now the one told when a digest cannot be posted there (bot.delivery).
    assert changes[-1] == ("slack:U2 (bob)", "setup (no change)") and len(changes) == 2
    assert not cmds.handle(bob, "channel setup 09:00").ephemeral


def test_channel_status_names_who_changed_what_as_people_each_adapter_renders(cmds):
    from rich.console import Console

    from bot.console import print_reply
    from bot.discord.embeds import reply_content
    from bot.slack.blocks import reply_message

    assert cmds.handle(ADA, "channel setup 08:15 <@U2> <b>graphs</b>").ok  # a typed mark is no person
    assert cmds.channel_renamed("slack", "T1", "C1", "journal")
    status = cmds.handle(Caller("slack", "T1", "U2", display_name="bob", channel_ref="C1"), "channel status")
    assert list(status.people) == ["U1"] and status.people["U1"].name == "ada"
    text, _ = reply_message(status)
    assert "UTC <@U1>: setup created" in text and "UTC slack: renamed #reading to #journal" in text
    assert "topic=&lt;@U2&gt; &lt;b&gt;graphs&lt;/b&gt;" in text and "slack:U1" not in text
    assert "UTC ada: setup created" in reply_text(status, heading=str)  # by default, the name

    discord = Caller("discord", "G1", "42", display_name="ada", channel_ref="7")
    assert cmds.handle(discord, "channel setup 08:15").ok
    assert "UTC <@42>: setup created" in reply_content(cmds.handle(discord, "channel status"))

    local = Caller("cli", "local", "ada", display_name="ada", channel_ref="lab", channel_name="lab")
    assert cmds.channel_setup(local).ok
    console = Console(record=True, width=200)
    print_reply(console, cmds.channel_status(local))
    printed = console.export_text()
    assert "UTC ada: setup created" in printed and "cli:ada" not in printed and "<@" not in printed


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
    assert not missing.ok and "no stored paper" in missing.text


def test_feedback_retunes_picks_at_once(cmds):
    liked = first_paper(cmds.store, "%graph neural%")
    noted = cmds.feedback(ADA_DM, liked.id, POSITIVE)
    assert noted.ok and liked.title in noted.text  # the answer names the paper
    assert not cmds.feedback(ADA_DM, 10**9, POSITIVE).ok
    picks = cmds.picks(ADA_DM, 5).papers
    assert liked.id not in [i.paper_id for i in picks]  # rated papers are never picked
    assert any(liked.title[:40] in i.reason for i in picks)  # "similar to 👍 …"


def test_reaction_on_unknown_message_is_ignored(cmds):
    assert cmds.reaction(ADA, "C1:1700000000.000100", POSITIVE, added=True) is False
    with cmds.store.session() as s:
        assert s.scalars(select(Feedback)).all() == []


def test_search_ranks_relevant_papers_first(cmds):
    reply = cmds.search(ADA_DM, "zero-shot learning", k=3)
    assert len(reply.papers) == 3
    assert all("zero-shot" in (i.title + i.abstract).lower() for i in reply.papers)
    assert any("zero-shot" in i.title.lower() for i in reply.papers)
    assert cmds.search(ADA_DM, "xylophone quokka").papers == []


def _posted(store, kind: str, target_id: int, paper_id: int, ref: str) -> None:
    import datetime as dt

    with store.session() as s:
        delivery = Delivery(target_kind=kind, target_id=target_id, day=dt.date(2026, 11, 23), status="posted", platform="slack")
        delivery.items.append(DeliveryItem(paper_id=paper_id, position=0, platform="slack", message_ref=ref))
        s.add(delivery)


def test_reaction_counts_only_in_the_workspace_that_got_the_message(cmds):
    cmds.channel_setup(ADA, topic="graphs")
    paper = first_paper(cmds.store)
    with cmds.store.session() as s:
        channel_id = s.scalar(select(Channel.id))
    _posted(cmds.store, "channel", channel_id, paper.id, "C1:1700000000.000100")
    # Slack Connect: workspace T2 shares channel C1, and so the message reference
    other = Caller("slack", "T2", "U9", channel_ref="C1")
    assert cmds.reaction(other, "C1:1700000000.000100", POSITIVE, added=True) is False
    assert cmds.reaction(Caller("slack", "T1", "U2", channel_ref="C1"), "C1:1700000000.000100", POSITIVE, added=True)
    with cmds.store.session() as s:
        rows = s.execute(select(Member.workspace, Feedback.channel_id).join(Member, Feedback.member_id == Member.id)).all()
    assert rows == [("T1", channel_id)]


def test_a_reaction_added_before_reactions_were_kept_is_not_known_to_stand(cmds):
    """A 👍 added before migration 0018 left no ``reactions`` row: 👎 then taken back retracts, as it did then."""
    from recommender.store import Reaction

    cmds.channel_setup(ADA, topic="graphs")
    paper, ref, bob = first_paper(cmds.store), "C1:1700000000.000100", Caller("slack", "T1", "U2", channel_ref="C1")
    with cmds.store.session() as s:
        _posted(cmds.store, "channel", s.scalar(select(Channel.id)), paper.id, ref)
    assert cmds.reaction(bob, ref, POSITIVE, added=True)
    with cmds.store.session() as s:  # as if the 👍 came before the upgrade
        s.execute(delete(Reaction))
    assert cmds.reaction(bob, ref, NEGATIVE, added=True) and cmds.reaction(bob, ref, NEGATIVE, added=False)
    with cmds.store.session() as s:
        assert s.scalars(select(Feedback)).all() == [] and s.scalars(select(Reaction)).all() == []


def test_dm_reaction_counts_only_for_the_member_the_digest_went_to(cmds):
    cmds.subscribe(ADA_DM)
    paper = first_paper(cmds.store)
    with cmds.store.session() as s:
        member_id = s.scalar(select(Member.id))
    _posted(cmds.store, "member", member_id, paper.id, "DU1:1700000000.000200")
    stranger = Caller("slack", "dm", "U7")
    assert cmds.dm_reaction(stranger, "DU1:1700000000.000200", POSITIVE, added=True) is False
    assert cmds.dm_reaction(Caller("slack", "dm", "U1"), "DU1:1700000000.000200", NEGATIVE, added=True)
    with cmds.store.session() as s:
        assert s.execute(select(Member.workspace, Feedback.value).join(Member, Feedback.member_id == Member.id)).all() == [("T1", -1)]
    assert cmds.dm_reaction(Caller("slack", "dm", "U1"), "DU1:1700000000.000200", NEGATIVE, added=False)
    with cmds.store.session() as s:
        assert s.scalars(select(Feedback)).all() == []


def test_a_command_that_fails_keeps_nothing_of_a_first_contact(store, settings):
    from sqlalchemy import func

    cmds = Commands(store, settings)
    with pytest.raises(UsageError):  # one interest too many: refused after the member row was made
        cmds.interests_add(Caller("slack", "T1", "UNEW"), *(f"topic {i}" for i in range(21)))
    with store.session() as s:
        assert s.scalar(select(func.count(Member.id))) == 0


def test_a_bad_command_shows_the_usage_of_that_command_and_a_typo_the_closest_commands(cmds):
    bad_time = reply_text(cmds.handle(ADA_DM, "subscribe 25:99"), heading=str)
    assert "`subscribe [HH:MM] [timezone]`" in bad_time and "`help`: every command" in bad_time
    assert "`search <query>`" not in bad_time  # not the fifteen lines of every command
    channel = reply_text(cmds.handle(ADA_DM, "channel setup 08:00"), heading=str)  # channel commands, in a DM
    assert "`channel setup" in channel and "`channel off`" in channel and "`club" not in channel
    typo = reply_text(cmds.handle(ADA_DM, "subscirbe 08:00"), heading=str)
    assert typo == ("unknown command `subscirbe`\n\nDid you mean `/papers subscribe [HH:MM] [timezone]` or "
                    "`/papers unsubscribe`? `/papers help` lists every command.")


@pytest.mark.parametrize("text, pointer", [
    ("serch gnn", "Did you mean `/papers search <query>`? `/papers help` lists every command."),
    ("intrests", "Did you mean `/papers interests add <text>`, `/papers interests remove <text>` or "
                 "`/papers interests list`? `/papers help` lists every command."),
    ("Mentoins on", "Did you mean `/papers mentions on`, `/papers mentions off` or `/papers mentions me on|off`? "
                    "`/papers help` lists every command."),
    ("xyzzy", "`/papers help` lists every command."),
    ("hlep", "`/papers help` lists every command."),
])
def test_an_unknown_command_answers_one_line_with_the_closest_commands_privately(cmds, text, pointer):
    before = store_counts(cmds.store)
    reply = cmds.handle(ADA, text)
    assert not reply.ok and reply.ephemeral
    assert reply_text(reply, heading=str) == f"unknown command `{text.split()[0]}`\n\n{pointer}"
    assert store_counts(cmds.store) == before


def test_the_commands_a_pointer_may_name_are_the_verbs_parse_knows():
    from bot.commands.parse import parse
    from bot.commands.reply import usage_commands

    for verb in usage_commands():
        try:
            parse(verb)
        except UsageError as exc:
            assert not str(exc).startswith("unknown command"), verb


def test_a_known_command_with_bad_arguments_shows_its_own_usage_and_help_everything(cmds):
    for text, own in (("interests frobnicate", "`interests add <text>`"), ("club vote 9", "`club vote <n>`"),
                      ("mentions maybe", "`mentions on`"), ("who", "`who <paper>`"), ("LIKE a b", "`like <paper>`")):
        shown = reply_text(cmds.handle(ADA, text), heading=str)
        assert own in shown and "`help`: every command" in shown and "Did you mean" not in shown, text
        assert len(shown.splitlines()) <= 6 and "`search <query>`" not in shown, text
    helped = reply_text(cmds.handle(ADA, "help"), heading=str)
    assert all(line in helped for line in USAGE) and "Did you mean" not in helped


def test_a_topic_typed_with_its_label_is_stored_without_it(cmds):
    assert cmds.handle(ADA, "channel setup 09:00 Europe/Paris topic: graph learning").ok
    with cmds.store.session() as s:
        assert s.scalars(select(Channel.topic)).one() == "graph learning"
    assert cmds.handle(ADA, "channel setup Topic=sparse training").ok
    with cmds.store.session() as s:
        assert s.scalars(select(Channel.topic)).one() == "sparse training"
