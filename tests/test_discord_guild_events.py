"""What the server does to the bot's channels, offline: dpytest's fake gateway sends the events a real guild
would (a channel renamed), app commands get interaction doubles, digests go out through the poster."""

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
from recommender.store import Channel

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
