"""A subscriber whose DMs are closed is told so, privately and once, at their next ``/papers`` command.

Offline through dpytest's fake Discord: the fake API refuses the bot's DMs with 403, code 50007
("Cannot send messages to this user"), as Discord does for a person who allows no DMs from the
server's members; the digest is delivered as the scheduler does (a worker thread, the poster
bridging into the client's loop) and the commands are app-command callbacks with interaction doubles.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import discord.ext.test as dpytest
import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from bot.service.status import collect_status
from recommender.store import Delivery, Member

from discord_helpers import FakeInteraction, config, invoke, make_bot, refuse_dms, sent_messages

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)  # a Thursday


class World:
    def __init__(self, bot, cmds: Commands, settings):
        cfg = config()
        self.bot, self.cmds, self.store, self.settings = bot, cmds, cmds.store, settings
        self.reading = cfg.channels[0]
        self.ada, self.alan, self.grace = cfg.members
        self.poster = DiscordPoster(bot, loop=asyncio.get_running_loop())

    async def run(self, path: str, user, channel=None, **options) -> FakeInteraction:
        interaction = FakeInteraction(user, self.reading if channel is None else channel)
        return await invoke(self.bot, path, interaction, **options)

    async def deliver_to(self, user, now: dt.datetime = NOW, workspace: str | None = None):
        with self.store.session() as s:
            query = select(Member).where(Member.user_ref == str(user.id))
            if workspace is not None:
                query = query.where(Member.workspace == workspace)
            target = DeliveryTarget.of(s.scalar(query))
        outcome = await asyncio.to_thread(deliver, self.store, self.cmds.recommender, self.settings, self.poster,
                                          target, now=now)
        await dpytest.run_all_events()
        return outcome

    def delivery(self) -> Delivery:
        with self.store.session() as s:
            return s.scalar(select(Delivery).order_by(Delivery.day.desc()).limit(1))


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    cmds = Commands(papers_store, settings)
    bot = await make_bot(cmds, monkeypatch)
    sent_messages()
    made = World(bot, cmds, settings)
    await made.run("subscribe", made.grace, time="07:30", timezone="Europe/Paris")
    await made.run("interests add", made.grace, text="diffusion models")
    refuse_dms(monkeypatch)
    yield made
    await dpytest.empty_queue()


def notices(interaction: FakeInteraction) -> list:
    return [s for s in interaction.sent if s.content and "could not send your daily picks by DM" in s.content]


async def test_closed_dms_are_told_privately_at_the_next_command_and_only_once(world):
    outcome = await world.deliver_to(world.grace)
    assert outcome.status == "unreachable" and "Cannot send messages to this user" in outcome.error
    assert sent_messages() == []

    asked = await world.run("interests list", world.grace)
    answer, [notice] = asked.sent[0], notices(asked)
    assert answer.ephemeral and answer.content.startswith("Your interests")  # the answer first, as it was
    assert notice is asked.sent[-1] and notice.ephemeral
    assert "on Thu 03 Dec: your DMs are closed to me" in notice.content
    assert "Privacy Settings → Direct Messages" in notice.content and "`/papers picks`" in notice.content

    told = world.delivery()
    assert told.told_at is not None and told.error.endswith(" · person told")
    [target] = [t for t in collect_status(world.store, world.settings, now=NOW)["targets"] if t["kind"] == "member"]
    assert target["last_status"] == "unreachable" and target["last_told"] and target["last_error"].endswith("person told")

    again = await world.run("interests list", world.grace)
    assert notices(again) == [] and len(again.sent) == 1  # once per failure

    next_day = await world.deliver_to(world.grace, NOW + dt.timedelta(days=1))
    assert next_day.status == "unreachable"
    later = await world.run("help", world.grace)
    assert [n.content.split(":")[0] for n in notices(later)] == ["I could not send your daily picks by DM on Fri 04 Dec"]


async def test_a_shared_answer_goes_to_the_channel_and_the_notice_to_the_person_alone(world):
    await world.deliver_to(world.grace)
    shared = await world.run("picks", world.grace, share=True)
    public = [s for s in shared.sent if not s.ephemeral]
    assert public and all("could not send" not in (s.content or "") for s in public)
    [notice] = notices(shared)
    assert notice.ephemeral and shared.sent[-1] is notice
    assert world.delivery().told_at is not None


async def test_a_usage_error_carries_the_notice_too(world):
    await world.deliver_to(world.grace)
    wrong = await world.run("subscribe", world.grace, time="25:00")
    assert not wrong.sent[0].content.startswith("I could not") and wrong.sent[0].ephemeral
    assert len(notices(wrong)) == 1 and notices(wrong)[0].ephemeral


async def test_only_the_same_person_is_told(world):
    await world.deliver_to(world.grace)
    other = await world.run("interests list", world.alan)  # someone else in the server
    assert notices(other) == [] and world.delivery().told_at is None
    in_server = await world.run("interests list", world.grace)
    assert len(notices(in_server)) == 1
    assert world.delivery().told_at is not None


async def test_a_command_in_a_dm_with_the_bot_tells_of_the_missed_digest_once(world):
    await world.deliver_to(world.grace)
    dm = await world.grace.create_dm()
    in_dm = await invoke(world.bot, "interests list", FakeInteraction(world.grace, dm))  # a DM: no server
    [notice] = notices(in_dm)
    assert notice.ephemeral and in_dm.sent[-1] is notice and len(in_dm.sent) == 2
    assert "by DM on Thu 03 Dec: your DMs were closed to me then" in notice.content
    assert "If they still are, allow direct messages from the server's members" in notice.content
    told = world.delivery()
    assert told.told_at is not None and told.error.endswith(" · person told")
    assert notices(await invoke(world.bot, "help", FakeInteraction(world.grace, dm))) == []
    assert notices(await world.run("interests list", world.grace)) == []  # told once, wherever


async def test_a_dm_tells_of_a_day_missed_in_two_servers_once(world):
    await world.deliver_to(world.grace)
    elsewhere = Caller("discord", "777", str(world.grace.id), display_name="grace")  # her profile in another server
    assert world.cmds.subscribe(elsewhere, "07:30", "Europe/Paris").ok
    assert (await world.deliver_to(world.grace, workspace="777")).status == "unreachable"
    in_dm = await invoke(world.bot, "help", FakeInteraction(world.grace, await world.grace.create_dm()))
    [notice] = notices(in_dm)
    assert "by DM on Thu 03 Dec: your DMs were closed to me then" in notice.content  # one day, not "Thu 03 Dec and Thu 03 Dec"
    with world.store.session() as s:
        assert [d.told_at is not None for d in s.scalars(select(Delivery))] == [True, True]


async def test_a_digest_posted_in_another_server_does_not_say_nothing_is_left_to_fix(world):
    """Review: grace's digests from servers A and 777 were both unreachable; she then opened her DMs to
    777's members only, and 777's next digest arrived. Each server has its own DM setting: A's is still to fix."""
    await world.deliver_to(world.grace)
    elsewhere = Caller("discord", "777", str(world.grace.id), display_name="grace")
    assert world.cmds.subscribe(elsewhere, "07:30", "Europe/Paris").ok
    assert (await world.deliver_to(world.grace, workspace="777")).status == "unreachable"
    with world.store.session() as s:
        there = s.scalar(select(Member.id).where(Member.workspace == "777"))
        s.add(Delivery(target_kind="member", target_id=there, day=dt.date(2026, 12, 4), status="posted",
                       platform="discord", posted_at=NOW + dt.timedelta(days=1)))
    in_dm = await invoke(world.bot, "help", FakeInteraction(world.grace, await world.grace.create_dm()))
    [notice] = notices(in_dm)
    assert "nothing to fix" not in notice.content
    assert "If they still are, allow direct messages from the server's members" in notice.content


async def test_a_dm_only_profile_refused_is_not_told_of_a_server_it_never_named(world):
    """A profile made in a DM with the bot (workspace ``dm``) names no server: Discord refusing its DM (50007) means
    no server the person shares with the bot lets its members DM them (or none is left), not "this server's"."""
    dm = await world.grace.create_dm()
    await invoke(world.bot, "subscribe", FakeInteraction(world.ada, await world.ada.create_dm()),
                 time="07:30", timezone="Europe/Paris")
    outcome = await world.deliver_to(world.ada, workspace="dm")
    assert outcome.status == "unreachable" and "paused" not in outcome.error
    [notice] = notices(await invoke(world.bot, "help", FakeInteraction(world.ada, await world.ada.create_dm())))
    assert "the server's members" not in notice.content and "this server" not in notice.content
    assert ("by DM on Thu 03 Dec: Discord refused them (it lets me DM you only through a server we are both in whose "
            "members may send you direct messages, and there was none). To get the next ones, allow direct messages "
            "from the members of a server we share (Server name → Privacy Settings → Direct Messages), or join one "
            "I am in.") in notice.content
    assert notices(await invoke(world.bot, "help", FakeInteraction(world.grace, dm))) == []  # grace missed nothing
