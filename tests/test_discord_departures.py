"""The bot removed from a server and back, a member who leaves one: offline, through dpytest's fake gateway
(``GUILD_DELETE``, ``GUILD_CREATE``, ``GUILD_MEMBER_REMOVE``) and fake API, which refuses a DM as Discord
does (403, code 50007) to a user who shares no server with the bot; app commands get interaction doubles,
the day's digests and journal clubs go out through ``paperbot run --once``'s code."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import discord
import discord.ext.test as dpytest
import pytest
from club_helpers import MONDAY, Clock
from discord.ext.test import backend as dpytest_backend
from discord.ext.test import factories as dpytest_facts
from sqlalchemy import select

from bot.club import POLL
from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from bot.service.context import JobContext
from bot.service.digest_jobs import recover, retry_candidates, run_digest
from bot.service.due import due_club
from bot.service.once import run_once
from bot.service.status import collect_status
from recommender.store import Channel, ChannelChange, Delivery, Feedback, Member, Paper
from recommender.store.models import utcnow

from discord_helpers import (
    FakeInteraction,
    config,
    fail_dms,
    invoke,
    make_bot,
    patch_dpytest_people,
    refuse_dms_as_discord,
    sent_messages,
)

pytestmark = pytest.mark.strict_logs

MANAGER = discord.Permissions(manage_channels=True, send_messages=True)
MEMBER = discord.Permissions(send_messages=True)


class World:
    """A server "Lab" (#reading, #locked; ada, alan, grace) and a server "Other" where alan is too."""

    def __init__(self, bot, cmds: Commands, settings, clock: Clock):
        cfg = config()
        self.bot, self.cmds, self.store, self.settings, self.clock = bot, cmds, cmds.store, settings, clock
        self.lab = cfg.guilds[0]
        self.reading = cfg.channels[0]
        self.ada, self.alan, self.grace = cfg.members
        self.poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
        self.ctx = JobContext(self.store, settings, {"discord": self.poster}, recommender=cmds.recommender)

    async def run(self, path: str, user, *, permissions=MEMBER, **options) -> FakeInteraction:
        return await invoke(self.bot, path, FakeInteraction(user, self.reading, permissions=permissions), **options)

    async def day(self, now: dt.datetime):
        """``paperbot run --once`` at ``now``: every digest on, then the journal clubs due."""
        report = await asyncio.to_thread(run_once, self.ctx, now=now)
        await dpytest.run_all_events()
        return report

    def member(self, user) -> Member:
        with self.store.session() as s:
            return s.scalar(select(Member).where(Member.workspace == str(self.lab.id), Member.user_ref == str(user.id)))

    def channel(self) -> Channel:
        with self.store.session() as s:
            return s.scalar(select(Channel).where(Channel.channel_ref == str(self.reading.id)))

    def changes(self) -> list[str]:
        with self.store.session() as s:
            return [f"{c.actor}: {c.change}" for c in s.scalars(select(ChannelChange).order_by(ChannelChange.id))]


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    clock = Clock(MONDAY - dt.timedelta(days=2))
    cmds = Commands(papers_store, settings, clock=clock)
    bot = await make_bot(cmds, monkeypatch)
    made = World(bot, cmds, settings, clock)
    other = dpytest_backend.make_guild("Other")
    dpytest_backend.make_member(made.alan._user, other)
    patch_dpytest_people(monkeypatch)
    refuse_dms_as_discord(monkeypatch)
    bot._handle_ready()  # READY, as the gateway's state hands it to the client: every server it is in is known
    bot.dispatch("ready")
    await dpytest.run_all_events()
    sent_messages()
    yield made
    await dpytest.empty_queue()


def remove_bot(guild: discord.Guild) -> None:
    """The bot is kicked from ``guild`` (or the server deleted): Discord sends GUILD_DELETE without ``unavailable``."""
    dpytest_backend.get_state().parse_guild_delete({"id": guild.id})


def add_bot_back(guild: discord.Guild, *, available: bool = False) -> None:
    """The bot is in ``guild`` again: GUILD_CREATE, as after an invitation (``guild_join``), or, ``available``,
    as at a connect for a server it was added back to while offline (``guild_available``)."""
    data = dpytest_facts.make_guild_dict(guild.name, 0, [dpytest_facts.make_role_dict("@everyone", guild.id, position=0)],
                                         id_num=guild.id, member_count=1, members=[], channels=[])
    if available:
        data["unavailable"] = False
    dpytest_backend.get_state().parse_guild_create(data)


async def test_the_bot_removed_from_a_server_pauses_its_channels_and_lone_members_and_is_resumed_back(world, cli):
    await world.run("channel setup", world.ada, permissions=MANAGER, size=2, topic="graph neural networks")
    await world.run("club set", world.ada, permissions=MANAGER, weekday="monday", time="09:00")
    for user, ref in ((world.ada, "#5"), (world.alan, "#5"), (world.grace, "#7")):
        world.clock.now += dt.timedelta(minutes=5)
        await world.run("like", user, paper=ref)
    for user in (world.alan, world.grace):  # alan shares another server with the bot, grace none
        await world.run("subscribe", user, time="09:00", timezone="UTC")

    remove_bot(world.lab)
    await dpytest.run_all_events()
    world.bot.dispatch("guild_remove", world.lab)  # the same event twice changes nothing more
    await dpytest.run_all_events()
    channel = world.channel()
    assert (channel.paused, channel.enabled, channel.club_weekday, channel.digest_size) == ("bot removed", True, 0, 2)
    assert world.changes()[-1:] == ["discord: paused: the bot was removed from the server"]
    assert world.changes().count("discord: paused: the bot was removed from the server") == 1
    queued = [await asyncio.to_thread(run_digest, world.ctx, kind, channel.id, now=MONDAY)  # jobs queued before it
              for kind in ("channel", POLL)]
    assert [(o.status, o.error) for o in queued] == [("skipped", "target gone or off"),
                                                     ("skipped", "channel paused (bot removed)")]

    report = await world.day(MONDAY + dt.timedelta(seconds=30))
    outcomes = {(t.kind, t.ref): o for t, o in report.digests}
    assert set(outcomes) == {("member", str(world.alan.id)), ("member", str(world.grace.id))}  # no channel digest
    assert report.clubs == []  # no journal club poll
    assert outcomes[("member", str(world.alan.id))].status == "posted"
    refused = outcomes[("member", str(world.grace.id))]
    assert refused.status == "unreachable" and refused.error.endswith("· paused: the bot was removed from the server")
    dms = sent_messages()  # alan's DM digest, nothing else: no DM to ada about permissions in #reading
    assert len({m.channel.id for m in dms}) == 1 and all(isinstance(m.channel, discord.DMChannel) for m in dms)
    assert dms[0].content.startswith(f"**Papers for {world.alan.display_name},")
    assert world.member(world.grace).paused == "bot removed" and world.member(world.grace).subscribed

    status = {t["name"]: t for t in collect_status(world.store, world.settings, now=MONDAY + dt.timedelta(hours=1))["targets"]}
    assert status["#reading"]["paused"] == "the bot was removed from the server"
    assert status["#reading"]["next_digest"] is None
    assert status[world.grace.display_name]["paused"] == "the bot was removed from the server"
    assert status[world.alan.display_name]["paused"] is None
    listed = {u["user"]: u["paused"] for u in json.loads(cli("users", "list", "--json").stdout)}
    assert listed == {str(world.alan.id): None, str(world.grace.id): "the bot was removed from the server",
                      str(world.ada.id): None}
    [reading] = json.loads(cli("channels", "list", "--json").stdout)
    assert (reading["enabled"], reading["paused"]) == (True, "the bot was removed from the server")

    report = await world.day(MONDAY + dt.timedelta(days=1, seconds=30))  # grace is no longer tried
    assert [t.ref for t, _ in report.digests] == [str(world.alan.id)]
    sent_messages()

    add_bot_back(world.lab)  # invited again: everything resumes as it was
    await dpytest.run_all_events()
    channel = world.channel()
    assert (channel.paused, channel.enabled, channel.club_weekday, channel.digest_size) == (None, True, 0, 2)
    assert world.member(world.grace).paused is None
    assert world.changes()[-1] == "discord: resumed: the bot is back in the server"
    status = await world.run("channel status", world.ada)
    assert "discord: paused: the bot was removed from the server" in status.answer.content
    assert "discord: resumed: the bot is back in the server" in status.answer.content
    with world.store.session() as s:
        assert [d.kind for d in due_club(s, {"discord"}, MONDAY + dt.timedelta(days=7, seconds=30))] == ["club_poll"]


async def test_a_server_the_bot_left_while_offline_is_paused_at_its_next_digest_and_resumed_at_a_connect(world):
    await world.run("channel setup", world.alan, permissions=MANAGER, size=2)  # alan: in "Other" with the bot too
    world.bot._connection._remove_guild(world.lab)  # removed while paperbot was down: no event will ever say so

    report = await world.day(MONDAY + dt.timedelta(seconds=30))
    [(target, outcome)] = report.digests
    assert outcome.status == "unreachable" and outcome.error.endswith("· paused: the bot was removed from the server")
    assert world.channel().paused == "bot removed"
    assert sent_messages() == []  # alan is not asked to give permissions in a server the bot is not in
    report = await world.day(MONDAY + dt.timedelta(days=1, seconds=30))
    assert report.digests == []

    add_bot_back(world.lab, available=True)  # added back while offline: the next connect lists it
    await dpytest.run_all_events()
    assert world.channel().paused is None
    assert world.changes()[-2:] == ["discord: paused: the bot was removed from the server",
                                    "discord: resumed: the bot is back in the server"]

    world.bot.dispatch("guild_remove", world.bot.get_guild(world.lab.id))  # paused, and its return never heard of
    await dpytest.run_all_events()
    assert world.channel().paused == "bot removed"
    await world.run("channel setup", world.ada, permissions=MANAGER)  # someone's setup there shows the bot is back
    assert world.channel().paused is None and world.changes()[-1].endswith(": setup resumed")


async def test_a_paused_channel_of_a_server_the_bot_never_returns_to_is_removed_from_the_command_line(world, cli):
    await world.run("channel setup", world.ada, permissions=MANAGER, size=2)
    await world.run("club set", world.ada, permissions=MANAGER, weekday="monday", time="09:00")
    await world.run("like", world.alan, paper="#5")  # a 👍 given in #reading
    report = await world.day(MONDAY + dt.timedelta(seconds=30))
    assert [t.kind for t, _ in report.digests] == ["channel"] and [o.status for _, o in report.digests] == ["posted"]
    sent_messages()
    remove_bot(world.lab)  # and it never comes back: nothing could delete #reading but the command line
    await dpytest.run_all_events()
    reading = world.channel()
    assert reading.paused == "bot removed"
    name = f"#{world.reading.name}"
    assert [t["name"] for t in json.loads(cli("status", "--json").stdout)["targets"]] == [name]

    wrong = cli("channels", "remove", name, "--platform", "discord", "--workspace", "1")
    assert wrong.exit_code == 1 and f"no discord channel '{world.reading.name}' in workspace 1" in " ".join(wrong.output.split())
    removed = cli("channels", "remove", name, "--platform", "discord")
    assert removed.exit_code == 0, removed.output
    assert f"Removed {name}: no more digests there." in " ".join(removed.stdout.split())
    assert json.loads(cli("channels", "list", "--json").stdout) == []
    assert json.loads(cli("status", "--json").stdout)["targets"] == []
    with world.store.session() as s:
        assert s.scalars(select(Delivery.target_kind).where(Delivery.target_id == reading.id)).all() == []
        assert [(f.paper_id, f.channel_id) for f in s.scalars(select(Feedback))] == [(5, None)]  # alan's, still
    assert world.changes() == []  # its change log went with it

    add_bot_back(world.lab)  # invited again after all: nothing comes back, a `channel setup` starts afresh
    await dpytest.run_all_events()
    assert world.channel() is None
    await world.run("channel setup", world.ada, permissions=MANAGER)
    assert (world.channel().paused, world.channel().digest_size, world.channel().club_weekday) == (None, 5, None)


async def test_one_person_in_two_servers_is_removed_from_the_command_line_from_the_server_named(world, cli):
    other = next(g for g in world.bot.guilds if g.name == "Other")
    lounge = dpytest_backend.make_text_channel("lounge", other)
    await world.run("interests add", world.alan, text="graph neural networks")  # in Lab
    await invoke(world.bot, "interests add", FakeInteraction(world.alan, lounge), text="diffusion models")  # in Other
    alan, lab = str(world.alan.id), str(world.lab.id)

    def rows() -> list[tuple[str, list[str]]]:
        with world.store.session() as s:
            return sorted((m.workspace, m.interests) for m in s.scalars(select(Member).where(Member.user_ref == alan)))

    assert rows() == sorted([(lab, ["graph neural networks"]), (str(other.id), ["diffusion models"])])
    # one Discord user id in two servers is two members: the id alone is refused, asking for the server's id
    both = cli("users", "remove", alan, "--platform", "discord")
    assert both.exit_code == 1
    assert (f"'{alan}' names 2 discord members: give the user id and --workspace, one of "
            + ", ".join(f"{alan} (workspace {w})" for w in sorted([lab, str(other.id)]))) in " ".join(both.output.split())
    wrong = cli("users", "remove", alan, "--platform", "discord", "--workspace", "1")
    assert wrong.exit_code == 1 and f"no discord member '{alan}' in workspace 1" in " ".join(wrong.output.split())
    assert len(rows()) == 2

    removed = cli("users", "remove", alan, "--platform", "discord", "--workspace", str(other.id))
    assert removed.exit_code == 0, removed.output
    assert "Removed" in removed.stdout and "with 1 interest" in removed.stdout
    assert rows() == [(lab, ["graph neural networks"])]  # the Lab member stays as he was
    assert cli("users", "remove", alan, "--platform", "discord").exit_code == 0  # now the id names one member
    assert rows() == []


async def test_a_member_who_leaves_gets_no_dms_is_named_nowhere_and_keeps_their_ratings(world):
    await world.run("channel setup", world.ada, permissions=MANAGER, size=4, topic="graph neural networks diffusion models")
    await world.run("mentions on", world.ada, permissions=MANAGER)
    for user, topic in ((world.alan, "graph neural networks"), (world.grace, "diffusion models")):
        await world.run("interests add", user, text=topic)
        await world.run("mentions me", user, state=discord.app_commands.Choice(name="on", value="on"))
    await world.run("subscribe", world.grace, time="09:00", timezone="UTC")
    with world.store.session() as s:
        diffusion = s.scalars(select(Paper).where(Paper.title.ilike("%diffusion%")).order_by(Paper.id)).first()
    await world.run("like", world.grace, paper=f"#{diffusion.id}")
    before = await world.run("who", world.ada, paper=f"#{diffusion.id}")
    assert f"Already rated by {world.grace.display_name} 👍" in before.answer.content

    grace = world.grace
    dpytest_backend.delete_member(grace)  # she leaves: GUILD_MEMBER_REMOVE (the members intent)
    await dpytest.run_all_events()
    world.bot.dispatch("raw_member_remove", discord.RawMemberRemoveEvent(
        {"guild_id": world.lab.id, "user": dpytest_facts.dict_from_user(grace._user)}, grace._user))  # twice
    await dpytest.run_all_events()
    row = world.member(grace)
    assert (row.paused, row.subscribed, row.mentions, row.interests) == ("left", True, True, ["diffusion models"])

    after = await world.run("who", world.ada, paper=f"#{diffusion.id}")
    assert grace.display_name not in after.answer.content  # her 👍 is no fit of hers to show either
    report = await world.day(MONDAY + dt.timedelta(seconds=30))
    assert [t.kind for t, _ in report.digests] == ["channel"]  # no DM to her
    assert f"<@{grace.id}>" not in "".join(m.content or "" for m in sent_messages())
    with world.store.session() as s:
        assert [(f.paper_id, f.value) for f in s.scalars(select(Feedback))] == [(diffusion.id, 1)]
    status = {t["name"]: t for t in collect_status(world.store, world.settings, now=MONDAY)["targets"]}
    assert status[grace.display_name]["paused"] == "left the server"

    back = dpytest_backend.make_member(grace._user, world.lab)  # she comes back and uses paperbot there
    await world.run("interests add", back, text="score matching")
    assert world.member(grace).paused is None
    again = await world.run("who", world.ada, paper=f"#{diffusion.id}")
    assert f"Already rated by {back.display_name} 👍" in again.answer.content


async def test_without_the_members_intent_a_subscriber_who_left_is_paused_when_discord_refuses_her_dm(world, monkeypatch):
    refuse_dms_as_discord(monkeypatch, closed=(world.alan.id,))  # alan allows no DMs from the server's members
    for user in (world.alan, world.grace):
        await world.run("subscribe", user, time="09:00", timezone="UTC")
    world.lab._remove_member(world.grace)  # she left; a bot without the members intent hears nothing of it

    async def deliver_to(user):
        target = DeliveryTarget.of(world.member(user))
        outcome = await asyncio.to_thread(deliver, world.store, world.cmds.recommender, world.settings, world.poster,
                                          target, now=MONDAY)
        await dpytest.run_all_events()
        return outcome

    left = await deliver_to(world.grace)
    assert left.status == "unreachable" and left.error.endswith("· paused: left the server")
    assert world.member(world.grace).paused == "left"
    closed = await deliver_to(world.alan)  # still in the server: DMs closed, told at his next command as before
    assert closed.status == "unreachable" and "paused" not in closed.error
    assert world.member(world.alan).paused is None
    with world.store.session() as s:
        assert s.scalar(select(Delivery).where(Delivery.target_id == world.member(world.alan).id)).told_at is None
    answered = await world.run("interests list", world.alan)
    assert any("could not send your daily picks by DM" in (m.content or "") for m in answered.sent)

    back = dpytest_backend.make_member(world.grace._user, world.lab)  # she comes back: her DMs resume, no notice
    answered = await world.run("interests add", back, text="diffusion models")
    assert world.member(world.grace).paused is None
    assert [m.content for m in answered.sent if "DM" in (m.content or "")] == []


async def test_a_failed_digest_of_a_member_who_left_is_not_retried_while_paused_and_is_once_back(world, monkeypatch):
    """A DM digest that failed (a Discord outage) before its member left waits while she is paused: it is no
    retry candidate at every sync (each would be skipped, logged as a retry), and is retried once she is back."""
    await world.run("subscribe", world.grace, time="09:00", timezone="UTC")
    with monkeypatch.context() as outage:
        fail_dms(outage)
        report = await world.day(MONDAY + dt.timedelta(seconds=30))
    [(_, failed)] = report.digests
    assert failed.status == "failed"
    grace = world.grace
    dpytest_backend.delete_member(grace)  # she leaves: GUILD_MEMBER_REMOVE (the members intent)
    await dpytest.run_all_events()
    assert world.member(grace).paused == "left"

    later = utcnow() + dt.timedelta(minutes=10)  # past the retry backoff (a claim's time is the real clock's)
    assert await asyncio.to_thread(retry_candidates, world.ctx, now=later) == []
    assert await asyncio.to_thread(recover, world.ctx, now=later) == []
    assert sent_messages() == []

    back = dpytest_backend.make_member(grace._user, world.lab)
    await world.run("interests add", back, text="diffusion models")  # back, and using paperbot there
    row = world.member(grace)
    assert row.paused is None
    assert await asyncio.to_thread(retry_candidates, world.ctx, now=later) == [("member", row.id, MONDAY.date())]
    [retried] = await asyncio.to_thread(recover, world.ctx, now=later)
    await dpytest.run_all_events()
    assert retried.status == "posted" and any(isinstance(m.channel, discord.DMChannel) for m in sent_messages())
