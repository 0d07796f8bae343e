"""A subscriber whose DMs are closed is told so, privately and once, when they press a button under a
posted pick too (a journal club vote: Discord's digests take 👍/👎 as reactions, which have no private
answer, so no notice), or an onboarding rating button.

Offline through dpytest's fake Discord: the fake API refuses the bot's DMs (403, code 50007), the
digest and the poll are posted as the scheduler posts them (a worker thread), and the press is a
component interaction double handed to the bot's ``on_interaction``, as the gateway does.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import discord
import discord.ext.test as dpytest
import pytest
from club_helpers import MONDAY, Clock, paper_refs
from sqlalchemy import select
from test_club_discord import ButtonClick
from test_discord_dms import ButtonPress

from bot.club import POLL
from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.club import club_button_id
from bot.discord.poster import DiscordPoster
from bot.service.context import JobContext
from bot.service.scheduler import queue_due
from recommender.store import Channel, Delivery, Member

from discord_helpers import FakeInteraction, capture_components, config, invoke, make_bot, refuse_dms, sent_messages

pytestmark = pytest.mark.strict_logs

MANAGER = discord.Permissions(manage_channels=True, send_messages=True)
NOTICE = "could not send your daily picks by DM"


async def post_poll(bot, commands: Commands, settings, clock: Clock) -> tuple[discord.Message, list[str]]:
    """A digest in #reading with 👍 on two papers, then the club's poll at its slot: the poll message and its button ids."""
    reading, (ada, alan, _) = config().channels[0], config().members
    await invoke(bot, "club set", FakeInteraction(ada, reading, permissions=MANAGER), weekday="monday", time="09:00")
    await invoke(bot, "channel setup", FakeInteraction(ada, reading, permissions=MANAGER), size=3)
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    with commands.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert (await asyncio.to_thread(deliver, commands.store, commands.recommender, settings, poster, target,
                                    now=clock.now)).status == "posted"
    await dpytest.run_all_events()
    _, first, second, _ = sent_messages()
    for user, message in ((ada, first), (alan, second)):
        clock.now += dt.timedelta(minutes=5)
        await dpytest.add_reaction(user, message, "👍")
    clock.now = MONDAY + dt.timedelta(seconds=30)
    await asyncio.to_thread(queue_due, JobContext(commands.store, settings, {"discord": poster}), now=clock.now)
    await dpytest.run_all_events()
    (poll_msg,) = sent_messages()
    with commands.store.session() as s:
        poll = s.scalar(select(Delivery).where(Delivery.target_kind == POLL))
        return poll_msg, [club_button_id(poll.id, item.paper_id) for item in poll.items]


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    paper_refs(papers_store, 216)  # the samples carry no links: give each one
    clock = Clock(MONDAY - dt.timedelta(days=2))  # a Saturday
    commands = Commands(papers_store, settings, clock=clock)
    bot = await make_bot(commands, monkeypatch)
    reading, grace = config().channels[0], config().members[2]
    await invoke(bot, "subscribe", FakeInteraction(grace, reading), time="07:30", timezone="Europe/Paris")
    sent_messages()
    refuse_dms(monkeypatch)
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member).where(Member.user_ref == str(grace.id))))
    outcome = await asyncio.to_thread(deliver, papers_store, commands.recommender, settings, poster, target, now=clock.now)
    assert outcome.status == "unreachable"
    yield bot, commands, clock
    await dpytest.empty_queue()


def member_delivery(commands: Commands) -> Delivery:
    with commands.store.session() as s:
        return s.scalar(select(Delivery).where(Delivery.target_kind == "member"))


async def test_a_club_vote_button_tells_privately_once(world, settings):
    bot, commands, clock = world
    poll_msg, custom_ids = await post_poll(bot, commands, settings, clock)
    assert member_delivery(commands).told_at is None  # the week's presses and reactions were not grace's
    reading, grace = config().channels[0], config().members[2]

    click = ButtonClick(grace, reading, custom_ids[0], poll_msg)
    await bot.on_interaction(click)
    vote, notice = click.sent
    assert vote.ephemeral and "Your journal club vote" in vote.content
    assert notice.ephemeral and NOTICE in notice.content and "on Sat 21 Nov: your DMs are closed to me" in notice.content
    told = member_delivery(commands)
    assert told.told_at is not None and told.error.endswith(" · person told")

    again = ButtonClick(grace, reading, custom_ids[1], poll_msg)
    await bot.on_interaction(again)
    assert len(again.sent) == 1 and NOTICE not in again.sent[0].content  # told once


async def test_a_rating_press_whose_next_round_goes_out_is_followed_by_the_notice(papers_store, settings, monkeypatch):
    commands = Commands(papers_store, settings)
    bot = await make_bot(commands, monkeypatch)
    components = capture_components(monkeypatch)
    reading, grace = config().channels[0], config().members[2]
    await invoke(bot, "subscribe", FakeInteraction(grace, reading), time="07:30", timezone="Europe/Paris")
    await invoke(bot, "start", FakeInteraction(grace, reading))  # the first round, by DM
    ups = [c["custom_id"] for row in components[-1] for c in row["components"] if ":up:" in c["custom_id"]]
    for button in ups[:-1]:
        await bot.cog.on_interaction(ButtonPress(grace, button))
    refuse_dms(monkeypatch)
    with papers_store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member).where(Member.user_ref == str(grace.id))))
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    assert (await asyncio.to_thread(deliver, papers_store, commands.recommender, settings, poster, target,
                                    now=MONDAY)).status == "unreachable"
    sent_messages()

    last = ButtonPress(grace, ups[-1])  # completes the round: the next one comes as the press's follow-up
    await bot.cog.on_interaction(last)
    await dpytest.run_all_events()
    *round_, notice = last.sent
    assert round_ and "more" in round_[0].content
    assert notice.ephemeral and NOTICE in notice.content and "on Mon 23 Nov" in notice.content
    assert member_delivery(commands).told_at is not None
    await dpytest.empty_queue()
