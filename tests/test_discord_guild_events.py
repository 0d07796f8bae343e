"""What the server does to the bot's channels, offline: dpytest's fake gateway sends the events a real guild
would (a channel renamed, a channel deleted), app commands get interaction doubles, digests go out through
the poster or ``paperbot run --once``."""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend as dpytest_backend
from discord.ext.test import factories as dpytest_facts
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from bot.service.context import JobContext
from bot.service.once import run_once
from recommender.store import Channel, ChannelChange, Delivery, Feedback

from discord_helpers import FakeInteraction, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
MANAGER = discord.Permissions(manage_channels=True, send_messages=True)


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    cmds = Commands(papers_store, settings)
    bot = await make_bot(cmds, monkeypatch)
    sent_messages()
    yield bot, cmds, settings
    await dpytest.empty_queue()


def rename(channel: discord.TextChannel, name: str) -> None:
    """Someone renames ``channel`` in the server: Discord sends CHANNEL_UPDATE with the new name."""
    data = dpytest_facts.dict_from_channel(channel)
    data["name"] = name
    dpytest_backend.get_state().parse_channel_update(data)


async def test_a_channel_renamed_in_the_server_gets_digests_under_its_new_name(world):
    bot, cmds, settings = world
    reading = config().channels[0]
    ada = config().members[0]
    await invoke(bot, "channel setup", FakeInteraction(ada, reading, permissions=MANAGER), size=2, topic="graph neural networks")

    rename(reading, "journal-reading")
    await dpytest.run_all_events()
    with cmds.store.session() as s:
        assert s.scalar(select(Channel.name)) == "journal-reading"
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    outcome = await asyncio.to_thread(deliver, cmds.store, cmds.recommender, settings, poster, target, now=NOW)
    await dpytest.run_all_events()
    assert outcome.status == "posted"
    header = sent_messages()[0]
    assert header.content.startswith("**Papers for #journal-reading, Mon 23 Nov 2026**")

    status = await invoke(bot, "channel status", FakeInteraction(ada, reading))
    assert "discord: renamed #reading to #journal-reading" in status.answer.content

    other = config().channels[1]  # a channel with no digest: nothing stored, nothing logged
    rename(other, "quiet")
    await dpytest.run_all_events()
    with cmds.store.session() as s:
        assert s.scalars(select(Channel.name)).all() == ["journal-reading"]


async def test_a_channel_deleted_in_the_server_loses_its_digest_and_nobody_is_asked_to_fix_it(world):
    bot, cmds, settings = world
    reading, locked = config().channels[:2]
    ada, alan = config().members[:2]
    await invoke(bot, "channel setup", FakeInteraction(ada, reading, permissions=MANAGER), size=2, topic="graph neural networks")
    await invoke(bot, "channel setup", FakeInteraction(ada, locked, permissions=MANAGER), size=2, topic="diffusion")
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    ctx = JobContext(cmds.store, settings, {"discord": poster}, recommender=cmds.recommender)
    await asyncio.to_thread(run_once, ctx, now=NOW)
    await dpytest.run_all_events()
    posted = [m for m in sent_messages() if m.channel.id == reading.id]
    await dpytest.add_reaction(alan, posted[1], "👍")

    dpytest_backend.delete_channel(reading)  # an admin deletes it: Discord sends CHANNEL_DELETE
    await dpytest.run_all_events()
    with cmds.store.session() as s:
        assert s.scalars(select(Channel.channel_ref)).all() == [str(locked.id)]
        assert s.scalars(select(Delivery.target_id)).all() == [s.scalar(select(Channel.id))]  # the deleted one's went
        assert len(s.scalars(select(ChannelChange)).all()) == 1  # the other channel's setup
        assert [f.value for f in s.scalars(select(Feedback))] == [1]  # alan's 👍 stays his

    report = await asyncio.to_thread(run_once, ctx, now=NOW + dt.timedelta(days=1))
    await dpytest.run_all_events()
    assert [(t.ref, o.status) for t, o in report.digests] == [(str(locked.id), "empty")]
    assert sent_messages() == []  # no DM asking ada for permissions in a channel that is gone
