"""``/papers who`` and mentions on Discord, offline: app-command interaction doubles and dpytest's
fake API; the digest's paper message carries a real ``<@id>`` mention allowed for that user only."""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
import discord.ext.test as dpytest
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from recommender.store import Channel, DeliveryItem, Member, Mention, Paper

from discord_helpers import FakeInteraction, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
MANAGER = discord.Permissions(manage_channels=True, send_messages=True)
MEMBER = discord.Permissions(send_messages=True)
ON, OFF = app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    cmds = Commands(papers_store, settings)
    bot = await make_bot(cmds, monkeypatch)
    sent_messages()
    cfg = config()
    yield bot, cmds, cfg.channels[0], cfg.members
    await dpytest.empty_queue()


async def opt_in(bot, channel, members) -> None:
    ada, alan, grace = members
    for who, topic in ((alan, "graph neural networks"), (grace, "diffusion models")):
        await invoke(bot, "interests add", FakeInteraction(who, channel, permissions=MEMBER), text=topic)
        done = await invoke(bot, "mentions me", FakeInteraction(who, channel, permissions=MEMBER), state=ON)
        assert done.answer.ephemeral and "You may now be named" in done.answer.content


async def test_mentions_on_needs_manage_channels_and_me_needs_a_server(world):
    bot, cmds, reading, (ada, alan, grace) = world
    refused = await invoke(bot, "mentions on", FakeInteraction(alan, reading, permissions=MEMBER))
    assert refused.answer.ephemeral and "Manage Channels" in refused.answer.content
    in_dm = await invoke(bot, "mentions me", FakeInteraction(alan, None), state=ON)
    assert in_dm.answer.ephemeral and "works in a server channel" in in_dm.answer.content
    with cmds.store.session() as s:
        assert s.scalars(select(Member)).all() == []


async def test_who_is_an_ephemeral_followup_and_a_dm_gets_usage(world):
    bot, cmds, reading, members = world
    ada, alan, grace = members
    await opt_in(bot, reading, members)
    with cmds.store.session() as s:
        gnn = s.scalars(select(Paper).where(Paper.title.ilike("%graph neural%")).order_by(Paper.id)).first()
    asked = await invoke(bot, "who", FakeInteraction(ada, reading, permissions=MEMBER), paper=f"#{gnn.id}")
    answer = asked.answer
    assert answer.kind == "followup" and answer.ephemeral
    assert f"• {alan.display_name}: " in answer.content and "matches graph neural" in answer.content
    in_dm = await invoke(bot, "who", FakeInteraction(ada, None), paper=f"#{gnn.id}")
    assert in_dm.answer.ephemeral and "a direct message belongs to no server" in in_dm.answer.content
    assert "**Usage:**" in in_dm.answer.content


async def test_the_channel_digest_mentions_the_best_fits(world, settings):
    bot, cmds, reading, members = world
    ada, alan, grace = members
    await opt_in(bot, reading, members)
    await invoke(bot, "channel setup", FakeInteraction(ada, reading, permissions=MANAGER), size=4,
                 topic="graph neural networks diffusion models")
    on = await invoke(bot, "mentions on", FakeInteraction(ada, reading, permissions=MANAGER))
    assert not on.answer.ephemeral and "Mentions are on" in on.answer.content
    with cmds.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    outcome = await asyncio.to_thread(deliver, cmds.store, cmds.recommender, settings, poster, target, now=NOW)
    await dpytest.run_all_events()
    assert outcome.status == "posted"
    header, *papers = sent_messages()
    assert len(papers) == 4 and all(len(m.embeds) == 1 for m in papers)
    contents = [m.content or "" for m in papers]
    assert sum(f"<@{alan.id}>" in c for c in contents) == 1 and sum(f"<@{grace.id}>" in c for c in contents) == 1
    assert f"<@{ada.id}>" not in "".join(contents)  # ada never opted in
    named = next(m for m in papers if f"<@{alan.id}>" in (m.content or ""))
    assert named.content == f"For <@{alan.id}>: this fits your interests."  # interests, no 👍
    assert [u.id for u in named.mentions] == [alan.id]
    with cmds.store.session() as s:  # the stored name is of the paper that message carries
        rows = {(m.member.user_ref, m.paper_id) for m in s.scalars(select(Mention))}
        item = s.scalar(select(DeliveryItem).where(DeliveryItem.message_ref == str(named.id)))
        assert (str(alan.id), item.paper_id) in rows and len(rows) == 2


def test_a_paper_message_may_notify_only_the_people_it_names():
    from bot.digest import Mention as Named
    from bot.discord.poster import allowed_mentions

    allowed = allowed_mentions((Named("123", "alan"), Named("456", "grace")))
    assert [u.id for u in allowed.users] == [123, 456]
    assert allowed.everyone is False and allowed.roles is False
    assert allowed_mentions(()).users is False  # nobody named: nobody notified
