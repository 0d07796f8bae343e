"""The question a refused DM asks: is the member still in the server? (``GET /guilds/{id}/members/{user}``)

Offline through dpytest's fake Discord, whose API refuses a DM as Discord does (403, code 50007) and answers
the member question as told: 404 Unknown Guild (the bot was removed from the server and the gateway has not
said so yet), a 5xx, a connection error. The digest goes out as the scheduler sends it (a worker thread, the
poster bridging into the client's loop); the person's next command is an app-command callback.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import discord.ext.test as dpytest
import pytest
from club_helpers import MONDAY
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from recommender.store import Channel, ChannelChange, Member

from discord_helpers import (
    FakeInteraction,
    config,
    fail_member_lookups,
    invoke,
    make_bot,
    patch_dpytest_people,
    refuse_dms_as_discord,
    sent_messages,
    server_error,
    unknown_guild,
)

pytestmark = pytest.mark.strict_logs

MANAGER = discord.Permissions(manage_channels=True, send_messages=True)


class World:
    """A server "Lab" (#reading, #locked; ada, alan, grace) where grace subscribed and ada set up #reading."""

    def __init__(self, bot, cmds: Commands, settings):
        cfg = config()
        self.bot, self.cmds, self.store, self.settings = bot, cmds, cmds.store, settings
        self.lab = cfg.guilds[0]
        self.reading, self.locked = cfg.channels[:2]
        self.ada, self.alan, self.grace = cfg.members
        self.poster = DiscordPoster(bot, loop=asyncio.get_running_loop())

    async def run(self, path: str, user, channel=None, *, permissions=None, **options) -> FakeInteraction:
        interaction = FakeInteraction(user, channel or self.reading, permissions=permissions)
        return await invoke(self.bot, path, interaction, **options)

    async def deliver_to(self, user):
        target = DeliveryTarget.of(self.member(user))
        outcome = await asyncio.to_thread(deliver, self.store, self.cmds.recommender, self.settings, self.poster,
                                          target, now=MONDAY)
        await dpytest.run_all_events()
        return outcome

    def member(self, user) -> Member:
        with self.store.session() as s:
            return s.scalar(select(Member).where(Member.workspace == str(self.lab.id), Member.user_ref == str(user.id)))

    def channels(self) -> dict[str, str | None]:
        with self.store.session() as s:
            return {c.name: c.paused for c in s.scalars(select(Channel))}

    def changes(self) -> list[str]:
        with self.store.session() as s:
            return [f"{c.actor}: {c.change}" for c in s.scalars(select(ChannelChange).order_by(ChannelChange.id))]


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    cmds = Commands(papers_store, settings)
    bot = await make_bot(cmds, monkeypatch)
    made = World(bot, cmds, settings)
    patch_dpytest_people(monkeypatch)
    refuse_dms_as_discord(monkeypatch, closed=(made.grace.id,))  # her DMs are refused however the question goes
    bot._handle_ready()  # READY: every server the bot is in is known
    await dpytest.run_all_events()
    for channel in (made.reading, made.locked):
        await made.run("channel setup", made.ada, channel, permissions=MANAGER)
    await made.run("subscribe", made.grace, time="09:00", timezone="UTC")
    sent_messages()
    yield made
    await dpytest.empty_queue()


async def test_unknown_guild_in_the_member_check_is_the_bot_removed_from_that_server(world, monkeypatch):
    """Discord refused grace's DM and, asked whether she is still in Lab, says it knows no such server for the bot
    (404, code 10004): the bot was removed before GUILD_DELETE arrived. That pauses her and every channel of Lab
    as the event does ("bot removed"), not her alone as one who left."""
    await world.run("subscribe", world.alan, time="09:00", timezone="UTC")
    fail_member_lookups(monkeypatch, unknown_guild())
    outcome = await world.deliver_to(world.grace)
    assert outcome.status == "unreachable" and outcome.error.endswith("· paused: the bot was removed from the server")
    assert world.member(world.grace).paused == "bot removed"
    assert world.channels() == {world.reading.name: "bot removed", world.locked.name: "bot removed"}
    assert world.changes()[-2:] == ["discord: paused: the bot was removed from the server"] * 2
    assert world.member(world.alan).paused is None  # one who may share another server with the bot: his own DM says
    assert sent_messages() == []  # nobody is asked to give the bot permissions in a server it is not in

    world.bot.dispatch("guild_remove", world.lab)  # the gateway's GUILD_DELETE, late: nothing left to change
    await dpytest.run_all_events()
    assert world.changes()[-2:] == ["discord: paused: the bot was removed from the server"] * 2


@pytest.mark.parametrize("failure", [
    pytest.param(lambda: server_error(503), id="5xx"),
    pytest.param(lambda: aiohttp.ServerDisconnectedError(), id="disconnected"),
    pytest.param(lambda: aiohttp.ClientOSError(104, "Connection reset by peer"), id="reset"),
])
async def test_a_member_check_without_an_answer_leaves_the_refused_dm_a_dms_closed_day(world, monkeypatch, failure):
    """The DM was refused for good (50007); only whether grace is still in Lab could not be learnt. The day is
    ``unreachable`` as it is without the question ("DMs closed": not retried, she is told at her next command
    there), not ``failed`` (retried, refused again); nobody is paused, and tomorrow's refusal asks again."""
    fail_member_lookups(monkeypatch, failure())
    outcome = await world.deliver_to(world.grace)
    assert outcome.status == "unreachable", outcome
    assert "Cannot send messages to this user" in outcome.error and "paused" not in outcome.error
    assert world.member(world.grace).paused is None
    assert set(world.channels().values()) == {None}
    answered = await world.run("interests list", world.grace)
    [notice] = [m for m in answered.sent if "could not send your daily picks by DM" in (m.content or "")]
    assert notice.ephemeral and "your DMs are closed to me" in notice.content
