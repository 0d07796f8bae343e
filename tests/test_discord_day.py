"""A day on Discord, offline: dpytest fakes the HTTP API and gateway; app commands get interaction doubles.

Covers channel setup with and without Manage Channels, malformed input, the
channel digest (one embed message per paper, the bot's 👍/👎), reactions that
record and retract feedback, picks that change afterwards, DM picks, reactions
that are ignored, a post retried without doubles, and a forbidden channel
reported once to whoever configured it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import discord
import discord.ext.test as dpytest
import pytest
import time_machine
from discord.ext.test import backend as dpytest_backend
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from recommender.store import Channel, ChannelChange, Delivery, DeliveryItem, Feedback, Member, Paper

from discord_helpers import FakeInteraction, ReactionLog, app_command, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
MANAGER = discord.Permissions(manage_channels=True, send_messages=True)
MEMBER = discord.Permissions(send_messages=True)

#: A paper with every field an embed shows (the bundled samples have no links or authors).
GNN_PAPER = dict(
    arxiv_id="2611.01234",
    title="Message-passing graph neural networks for molecular property prediction",
    title_key="message passing graph neural networks for molecular property prediction",
    abstract="We study message passing graph neural networks on molecular graphs and improve property prediction.",
    authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"],
    published=dt.date(2026, 11, 20),
    source_kind="arxiv_atom",
    is_news=True,
)


class World:
    """The bot, its poster, the fake guild and the store, for one test."""

    def __init__(self, bot, cmds: Commands, settings, reactions: ReactionLog):
        cfg = config()
        self.bot, self.cmds, self.store, self.settings, self.reactions = bot, cmds, cmds.store, settings, reactions
        self.guild = cfg.guilds[0]
        self.reading, self.locked = cfg.channels[0], cfg.channels[1]
        self.ada, self.alan, self.grace = cfg.members
        self.poster = DiscordPoster(bot, loop=asyncio.get_running_loop())

    def interaction(self, user, channel=None, permissions=MEMBER, **kw) -> FakeInteraction:
        return FakeInteraction(user, channel if channel is not None else self.reading, permissions=permissions, **kw)

    async def setup_channel(self, channel=None, *, app_permissions=None, **options) -> FakeInteraction:
        who = self.interaction(self.ada, channel, MANAGER, app_permissions=app_permissions)
        return await invoke(self.bot, "channel setup", who, **options)

    def target(self, row_type=Channel, **where) -> DeliveryTarget:
        with self.store.session() as s:
            row = s.scalar(select(row_type).filter_by(**where))
            return DeliveryTarget.of(row)

    async def deliver(self, target: DeliveryTarget, now: dt.datetime = NOW):
        """Run delivery as the scheduler does: in a worker thread, the poster bridging into the loop."""
        outcome = await asyncio.to_thread(deliver, self.store, self.cmds.recommender, self.settings, self.poster, target, now=now)
        await dpytest.run_all_events()
        return outcome

    def feedback(self) -> list[tuple[str, int, int, str, int | None]]:
        """(user id, paper id, value, origin, channel row id) of all feedback."""
        with self.store.session() as s:
            rows = s.execute(select(Member.user_ref, Feedback.paper_id, Feedback.value, Feedback.origin, Feedback.channel_id)
                             .join(Member, Member.id == Feedback.member_id).order_by(Feedback.id)).all()
            return [tuple(r) for r in rows]


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    with papers_store.session() as s:
        s.add(Paper(**GNN_PAPER))
    cmds = Commands(papers_store, settings)
    bot = await make_bot(cmds, monkeypatch)
    reactions = ReactionLog()
    dpytest.callbacks.set_callback(reactions, "add_reaction")
    sent_messages()
    yield World(bot, cmds, settings, reactions)
    dpytest.callbacks.remove_callback("add_reaction")
    await dpytest.empty_queue()


# -- commands -------------------------------------------------------------------------
async def test_channel_setup_needs_manage_channels(world):
    refused = await invoke(world.bot, "channel setup", world.interaction(world.alan), topic="graph neural networks")
    assert refused.answer.ephemeral and "Manage Channels" in refused.answer.content
    off = await invoke(world.bot, "channel off", world.interaction(world.alan))
    assert off.answer.ephemeral and "Manage Channels" in off.answer.content
    with world.store.session() as s:
        assert s.scalars(select(Channel)).all() == []

    done = await world.setup_channel(time="08:30", timezone="Europe/Berlin", size=3, topic="graph neural networks")
    assert not done.answer.ephemeral  # the channel sees it is on
    assert "Channel digest is on. 3 papers every day at 08:30 Europe/Berlin" in done.answer.content
    assert "missing" not in done.answer.content  # the bot has what it needs here
    with world.store.session() as s:
        channel = s.scalar(select(Channel))
        assert (channel.platform, channel.workspace, channel.channel_ref, channel.name) == (
            "discord", str(world.guild.id), str(world.reading.id), "reading")
        change = s.scalar(select(ChannelChange))
        assert change.actor.startswith(f"discord:{world.ada.id} (")

    status = await invoke(world.bot, "channel status", world.interaction(world.alan))
    assert status.answer.ephemeral and status.answer.content.startswith("On. 3 papers")
    assert f"UTC <@{world.ada.id}>: setup created" in status.answer.content  # who, as a mention Discord renders

    bare = await world.setup_channel(world.locked, app_permissions=discord.Permissions(view_channel=True))
    assert "missing Send Messages, Embed Links, Read Message History, Add Reactions" in bare.answer.content

    in_dm = await invoke(world.bot, "channel setup", FakeInteraction(world.ada, None, permissions=discord.Permissions.all()))
    assert in_dm.answer.ephemeral and "not in a DM" in in_dm.answer.content


async def test_malformed_input_answers_privately_with_usage(world):
    bad_time = await invoke(world.bot, "subscribe", world.interaction(world.ada), time="25:99")
    assert bad_time.answer.ephemeral and "`25:99` is not a time" in bad_time.answer.content
    assert "**Usage:**" in bad_time.answer.content
    bad_tz = await invoke(world.bot, "subscribe", world.interaction(world.ada), time="08:00", timezone="Mars/Olympus")
    assert bad_tz.answer.ephemeral and "`Mars/Olympus` is not a timezone" in bad_tz.answer.content
    bad_setup = await world.setup_channel(timezone="Moon/Base")
    assert bad_setup.answer.ephemeral and "not a timezone" in bad_setup.answer.content
    nothing = await invoke(world.bot, "interests remove", world.interaction(world.ada), text="quantum")
    assert nothing.answer.ephemeral and "not among your interests" in nothing.answer.content
    unknown = await invoke(world.bot, "like", world.interaction(world.ada), paper="not-a-paper")
    assert unknown.answer.ephemeral and "no stored paper" in unknown.answer.content and "Usage" in unknown.answer.content
    with world.store.session() as s:
        assert s.scalars(select(Channel)).all() == []
        assert s.scalar(select(Member).where(Member.user_ref == str(world.ada.id))) is None  # refused commands create nobody

    choices = await world.bot.cog._subscribe_timezone(world.interaction(world.ada), "berl")
    assert [c.value for c in choices] == ["Europe/Berlin"]


async def test_a_timezone_typed_in_lower_case_is_taken_as_the_tz_database_spells_it(world):
    done = await invoke(world.bot, "subscribe", world.interaction(world.ada), time="08:30", timezone="europe/paris")
    assert done.answer.content == "Subscribed: your picks arrive by DM every day at 08:30 Europe/Paris."
    await world.setup_channel(timezone="america/new_york")
    with world.store.session() as s:
        assert s.scalar(select(Member.timezone)) == "Europe/Paris" and s.scalar(select(Channel.timezone)) == "America/New_York"


async def test_search_and_picks_are_private_unless_shared(world):
    await invoke(world.bot, "interests add", world.interaction(world.ada), text="graph neural networks")
    private = await invoke(world.bot, "picks", world.interaction(world.ada))
    assert private.answer.ephemeral and private.answer.content.startswith("Your top 5 picks")
    assert len(private.answer.embeds) == 5 and all(e.footer.text for e in private.answer.embeds)
    shared = await invoke(world.bot, "search", world.interaction(world.ada), query="molecular property prediction", share=True)
    note, results = shared.sent  # a private note ends the caller's "thinking…", the results follow for the channel
    assert note.ephemeral and not results.ephemeral
    assert results.embeds[0].title == "1. " + GNN_PAPER["title"]
    assert results.embeds[0].url == "https://arxiv.org/abs/2611.01234"
    helped = await invoke(world.bot, "help", world.interaction(world.alan))
    assert helped.answer.ephemeral and "/papers <command>" in helped.answer.content


async def test_picks_takes_how_many_papers(world):
    await invoke(world.bot, "interests add", world.interaction(world.ada), text="graph neural networks")
    three = await invoke(world.bot, "picks", world.interaction(world.ada), count=3)
    assert three.answer.content.startswith("Your top 3 picks") and len(three.answer.embeds) == 3
    count = app_command(world.bot, "picks").get_parameter("count")
    assert (count.required, count.min_value, count.max_value) == (False, 1, 20)


# -- the channel digest and its reactions -----------------------------------------------
async def test_channel_digest_is_one_embed_message_per_paper_with_the_bots_reactions(world):
    await world.setup_channel(size=3, topic="message passing graph neural networks molecular")
    target = world.target(Channel)
    outcome = await world.deliver(target)
    assert outcome.status == "posted" and outcome.papers == 3

    header, *papers = sent_messages()
    assert header.channel.id == world.reading.id and header.embeds == []
    assert header.content.startswith("**Papers for #reading, Mon 23 Nov 2026**")
    assert len(papers) == 3 and all(len(m.embeds) == 1 and m.channel.id == world.reading.id for m in papers)
    with world.store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.message_ref == str(header.id)
        items = delivery.items
        assert [i.message_ref for i in items] == [str(m.id) for m in papers]
        assert {i.platform for i in items} == {"discord"}
        for n, (item, message) in enumerate(zip(items, papers, strict=False), 1):
            embed = message.embeds[0]
            assert embed.title == f"{n}. {item.paper.title}"[:256]
            fields = {f.name: f.value for f in embed.fields}
            assert fields["Why this paper"] == item.reason and item.reason
            assert fields["Source"]
            assert world.reactions.on(message.id) == ["👍", "👎"]
        first = items[0]
        assert first.paper.arxiv_id == GNN_PAPER["arxiv_id"]  # the topic picks the linked paper first
    embed = papers[0].embeds[0]
    assert embed.url == "https://arxiv.org/abs/2611.01234"
    assert {f.name: f.value for f in embed.fields} == {
        "Authors": "Ada Lovelace, Alan Turing, Grace Hopper and 2 more",
        "Source": "arXiv",
        "Date": "2026-11-20",
        "Why this paper": first.reason,
    }
    assert world.reactions.on(header.id) == []
    assert world.feedback() == []  # the bot's own 👍/👎 (dispatched as raw events) are not feedback

    again = await world.deliver(target, NOW + dt.timedelta(hours=2))
    assert again.status == "skipped" and sent_messages() == []


async def test_reactions_record_and_retract_feedback_and_picks_change(world):
    await world.setup_channel(size=3, topic="graph neural networks")
    await world.deliver(world.target(Channel))
    header, first, second, third = sent_messages()
    with world.store.session() as s:
        channel_id = s.scalar(select(Channel.id))
        paper_of = {m: s.scalar(select(DeliveryItem.paper_id).where(DeliveryItem.message_ref == str(m.id)))
                    for m in (first, second, third)}

    await invoke(world.bot, "interests add", world.interaction(world.alan), text="graph neural networks")
    before = await invoke(world.bot, "picks", world.interaction(world.alan))
    before_titles = [e.title for e in before.answer.embeds]

    await dpytest.add_reaction(world.ada, first, "👍")
    await dpytest.add_reaction(world.alan, second, "👎🏿")  # any skin tone
    await dpytest.add_reaction(world.alan, third, "👍🏼")
    assert world.feedback() == [
        (str(world.ada.id), paper_of[first], 1, "reaction", channel_id),
        (str(world.alan.id), paper_of[second], -1, "reaction", channel_id),
        (str(world.alan.id), paper_of[third], 1, "reaction", channel_id),
    ]

    await dpytest.remove_reaction(world.ada, first, "👍")
    assert [f[:3] for f in world.feedback()] == [(str(world.alan.id), paper_of[second], -1),
                                                (str(world.alan.id), paper_of[third], 1)]

    after = await invoke(world.bot, "picks", world.interaction(world.alan))
    after_titles = [e.title for e in after.answer.embeds]
    assert after_titles != before_titles
    assert any("similar to 👍" in f.value for e in after.answer.embeds for f in e.fields if f.name == "Why this paper")


async def test_a_reaction_taken_back_leaves_the_other_that_still_stands(world):
    """👍 and 👎 on one message: taking back the one the opinion holds makes the other, still shown, the opinion;
    taking back the last retracts it. A 👍 by command under a 👎 reaction taken back goes, as before."""
    await world.setup_channel(size=3, topic="graph neural networks")
    await world.deliver(world.target(Channel))
    _, first, second, third = sent_messages()

    def opinion(user) -> list[int]:
        return [f[2] for f in world.feedback() if f[0] == str(user.id)]

    await dpytest.add_reaction(world.ada, first, "👍")
    await dpytest.add_reaction(world.ada, first, "👎")
    await dpytest.remove_reaction(world.ada, first, "👎")
    assert opinion(world.ada) == [1]
    await dpytest.add_reaction(world.alan, second, "👎")
    await dpytest.add_reaction(world.alan, second, "👍🏽")
    await dpytest.remove_reaction(world.alan, second, "👍🏽")
    assert opinion(world.alan) == [-1]
    await dpytest.remove_reaction(world.alan, second, "👎")
    assert opinion(world.alan) == []
    with world.store.session() as s:
        liked = s.scalar(select(DeliveryItem.paper_id).where(DeliveryItem.message_ref == str(third.id)))
    await invoke(world.bot, "like", world.interaction(world.grace), paper=f"#{liked}")
    await dpytest.add_reaction(world.grace, third, "👎")
    await dpytest.remove_reaction(world.grace, third, "👎")
    assert opinion(world.grace) == []
    await invoke(world.bot, "like", world.interaction(world.alan), paper=f"#{liked}")
    taken = await invoke(world.bot, "unrate", world.interaction(world.alan), paper=f"#{liked}")  # /papers unrate
    assert "Took back your 👍" in taken.answer.content and opinion(world.alan) == []


async def test_reactions_elsewhere_are_ignored(world):
    await world.setup_channel(size=2, topic="graph neural networks")
    await world.deliver(world.target(Channel))
    header, first, _ = sent_messages()
    someone_elses = await dpytest.message("what do you think of this one?", channel=world.reading, member=world.grace)

    await dpytest.add_reaction(world.ada, someone_elses, "👍")  # not the bot's message
    await dpytest.add_reaction(world.ada, header, "👍")  # the bot's, but no paper on it
    await dpytest.add_reaction(world.ada, first, "🎉")  # not feedback
    await dpytest.add_reaction(world.ada, first, "123456789:party")  # a custom emoji
    await dpytest.add_reaction(world.bot.user, first, "👎")  # the bot itself
    other_bot = dpytest_backend.make_user("starboard", 1)
    other_bot.bot = True
    starboard = await dpytest.member_join(world.guild, other_bot)
    await dpytest.add_reaction(starboard, first, "👍")  # another bot
    await dpytest.remove_reaction(starboard, first, "👍")  # Discord names no member on a removal: nor bot nor name
    await dpytest.remove_reaction(world.grace, first, "👎")  # given while paperbot was down: nothing to take back
    assert world.feedback() == []
    with world.store.session() as s:
        assert s.scalars(select(Member)).all() == []  # no reaction made anyone a member, bots least of all


# -- personal picks by DM ---------------------------------------------------------------
async def test_subscribed_member_gets_picks_by_dm_and_reacts_there(world):
    done = await invoke(world.bot, "subscribe", world.interaction(world.grace), time="07:15", timezone="Europe/Berlin")
    assert done.answer.ephemeral and "every day at 07:15 Europe/Berlin" in done.answer.content
    await invoke(world.bot, "interests add", world.interaction(world.grace), text="graph neural networks")
    target = world.target(Member, user_ref=str(world.grace.id))
    assert (target.kind, target.workspace) == ("member", str(world.guild.id))

    outcome = await world.deliver(target)
    assert outcome.status == "posted" and outcome.papers == 5
    header, *papers = sent_messages()
    dm = world.grace.dm_channel
    assert isinstance(header.channel, discord.DMChannel) and header.channel.id == dm.id
    assert all(m.channel.id == dm.id and len(m.embeds) == 1 for m in papers)
    assert all(world.reactions.on(m.id) == ["👍", "👎"] for m in papers)

    await dpytest.add_reaction(world.grace, papers[0], "👍")  # in the DM: no guild id in the event
    [(user, _, value, origin, channel_id)] = world.feedback()
    assert (user, value, origin, channel_id) == (str(world.grace.id), 1, "reaction", None)
    with world.store.session() as s:  # recorded on grace's guild profile, not on a separate "dm" one
        assert s.scalars(select(Member.workspace).where(Member.user_ref == str(world.grace.id))).all() == [str(world.guild.id)]


# -- failures ---------------------------------------------------------------------------
async def test_failed_post_is_retried_at_the_next_run_without_doubles(world, monkeypatch):
    await world.setup_channel(size=3, topic="graph neural networks")
    target = world.target(Channel)
    real_send = dpytest_backend.FakeHttp.send_message
    calls = {"n": 0}

    async def flaky_send(self, channel_id, *, params):
        channel = sys._getframe(1).f_locals["channel"]  # noqa: F841 - dpytest reads its caller's `channel` local
        calls["n"] += 1
        if calls["n"] == 3:  # header, paper 1, then the second paper fails
            raise discord.HTTPException(_Response(503), "upstream unavailable")
        return await real_send(self, channel_id, params=params)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", flaky_send)
    failed = await world.deliver(target)
    assert failed.status == "failed" and "503" in failed.error
    first_run = sent_messages()
    assert len(first_run) == 2  # header and one paper

    retried = await world.deliver(target, NOW + dt.timedelta(minutes=30))
    assert retried.status == "posted"
    second_run = sent_messages()
    assert len(second_run) == 2 and all(len(m.embeds) == 1 for m in second_run)  # the two missing papers, no header
    with world.store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.message_ref == str(first_run[0].id) and delivery.attempts == 2
        assert sorted(i.message_ref for i in delivery.items) == sorted(str(m.id) for m in first_run[1:] + second_run)


async def test_forbidden_channel_is_reported_once_to_its_configurer(world):
    day = dt.timedelta(days=1)
    with time_machine.travel(NOW - dt.timedelta(hours=1)):  # setup and deliveries on one clock
        await world.setup_channel(world.locked, size=2, topic="graph neural networks")
    await dpytest.set_permission_overrides(world.guild.default_role, world.locked, send_messages=False)
    target = world.target(Channel, channel_ref=str(world.locked.id))

    outcome = await world.deliver(target)
    assert outcome.status == "unreachable" and "Send Messages" in outcome.error
    [report] = sent_messages()
    assert isinstance(report.channel, discord.DMChannel) and report.channel.id == world.ada.dm_channel.id
    assert f"could not post the paper digest for Mon 23 Nov 2026 in <#{world.locked.id}>" in report.content
    # what posting needs; Add Reactions only for the bot's 👍/👎 (a digest goes out without it)
    assert "give me View Channel, Send Messages, Embed Links, Read Message History in that channel (in a thread" \
        in report.content
    status = (await invoke(world.bot, "channel status", world.interaction(world.alan, world.locked))).answer.content
    assert "The 2026-11-23 digest could not be posted here" in status
    assert "Give the bot View Channel, Send Messages" in status and "unarchive" not in status  # Discord has neither

    assert (await world.deliver(target, NOW + dt.timedelta(hours=1))).status == "skipped"
    next_day = await world.deliver(target, NOW + day)
    assert next_day.status == "unreachable"
    assert sent_messages() == []  # told once, not at every run nor every day

    with time_machine.travel(NOW + day + dt.timedelta(hours=3)):
        await world.setup_channel(world.locked)  # someone touched the setup: a new failure is worth a new note
    assert (await world.deliver(target, NOW + 2 * day)).status == "unreachable"
    assert [m.channel.id for m in sent_messages()] == [world.ada.dm_channel.id]
    with world.store.session() as s:
        assert [d.status for d in s.scalars(select(Delivery))] == ["unreachable"] * 3


async def test_forbidden_from_the_api_is_unreachable_too(world, monkeypatch):
    await world.setup_channel(size=2, topic="graph neural networks")

    async def forbidden(self, channel_id, *, params):
        raise discord.Forbidden(_Response(403), {"code": 50013, "message": "Missing Permissions"})

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", forbidden)
    outcome = await world.deliver(world.target(Channel))
    assert outcome.status == "unreachable" and "Missing Permissions" in outcome.error


class _Response:
    def __init__(self, status: int):
        self.status = status
        self.reason = "fake"
