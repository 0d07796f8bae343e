"""The journal club on Discord, offline: dpytest's fake API and gateway, app commands and button clicks
through interaction doubles, the scheduler's due run posting from a worker thread."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import discord
import discord.ext.test as dpytest
import pytest
from club_helpers import MONDAY, Clock, paper_refs
from discord.ext.test import backend as dpytest_backend
from sqlalchemy import select

from bot.club import CLOSE, POLL
from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.club import club_button_id
from bot.discord.poster import DiscordPoster
from bot.service.context import JobContext
from bot.service.scheduler import queue_due
from recommender.store import Channel, ClubVote, Delivery

from discord_helpers import FakeInteraction, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs

MANAGER = discord.Permissions(manage_channels=True, send_messages=True)


class ButtonClick(FakeInteraction):
    """A click on a message component (``custom_id``) under ``message``, as Discord sends it."""

    def __init__(self, user, channel, custom_id: str, message: discord.Message):
        super().__init__(user, channel)
        self.type = discord.InteractionType.component
        self.data = {"custom_id": custom_id, "component_type": 2}
        self.message = message


def record_components(monkeypatch) -> dict[int, list]:
    """``message id -> components`` of every message the bot sends (dpytest drops components)."""
    seen: dict[int, list] = {}
    original = dpytest_backend.FakeHttp.send_message

    async def send_message(self, channel_id, *, params, _original=original):
        channel = sys._getframe(1).f_locals["channel"]  # noqa: F841 - dpytest reads its caller's `channel` local
        data = await _original(self, channel_id, params=params)
        seen[int(data["id"])] = (params.payload or {}).get("components") or []
        return data

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)
    return seen


def stored(channel_id: int, message_id: int) -> dict:
    """The message as dpytest's API now holds it (after edits)."""
    return next(m for m in dpytest_backend._cur_config.messages[channel_id] if int(m["id"]) == message_id)


@pytest.fixture
async def world(papers_store, settings, monkeypatch):
    paper_refs(papers_store, 216)  # the samples carry no links: give each one
    clock = Clock(MONDAY - dt.timedelta(days=2))
    commands = Commands(papers_store, settings, clock=clock)
    bot = await make_bot(commands, monkeypatch)
    components = record_components(monkeypatch)
    sent_messages()
    yield bot, commands, clock, components
    await dpytest.empty_queue()


async def test_a_week_of_journal_club_on_discord(world, settings):
    bot, commands, clock, components = world
    store = commands.store
    cfg = config()
    reading = cfg.channels[0]
    ada, alan, grace = cfg.members

    refused = await invoke(bot, "club set", FakeInteraction(ada, reading), weekday="monday", time="09:00")
    assert "Manage Channels" in refused.answer.content and refused.answer.ephemeral
    bad = await invoke(bot, "club set", FakeInteraction(ada, reading, permissions=MANAGER), weekday="funday", time="09:00")
    assert bad.answer.ephemeral and "not a weekday" in bad.answer.content
    with store.session() as s:
        assert s.scalars(select(Channel)).all() == []
    done = await invoke(bot, "club set", FakeInteraction(ada, reading, permissions=MANAGER), weekday="Monday", time="9:00")
    assert not done.answer.ephemeral and "every Monday at 09:00 UTC" in done.answer.content
    await invoke(bot, "channel setup", FakeInteraction(ada, reading, permissions=MANAGER), size=3)

    # The week: a digest, 👍 reactions on two of its papers, a 👍 by command in the channel.
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    with store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert (await asyncio.to_thread(deliver, store, commands.recommender, settings, poster, target, now=clock.now)).status == "posted"
    await dpytest.run_all_events()
    _, first_msg, second_msg, _ = sent_messages()
    with store.session() as s:
        items = list(s.scalar(select(Delivery).where(Delivery.target_kind == "channel")).items)
    first, second = items[0].paper_id, items[1].paper_id
    for user, message in ((ada, first_msg), (alan, first_msg), (alan, second_msg)):
        clock.now += dt.timedelta(minutes=5)
        await dpytest.add_reaction(user, message, "👍")
    clock.now += dt.timedelta(minutes=5)
    await invoke(bot, "like", FakeInteraction(grace, reading), paper=f"#{second}")  # second: 2 people, more recent

    # The scheduler's due run at the slot posts the poll: text, an embed per paper, a Vote button each.
    clock.now = MONDAY + dt.timedelta(seconds=30)
    ctx = JobContext(store, settings, {"discord": poster})
    await asyncio.to_thread(queue_due, ctx, now=clock.now)
    await dpytest.run_all_events()
    (poll_msg,) = sent_messages()
    assert poll_msg.content.startswith("**Journal club for #reading, Mon 23 Nov 2026**") and len(poll_msg.embeds) == 2
    with store.session() as s:
        poll = s.scalar(select(Delivery).where(Delivery.target_kind == POLL))
        assert poll.status == "posted" and poll.message_ref == str(poll_msg.id)
        assert [i.paper_id for i in poll.items] == [second, first]
        poll_id = poll.id
    custom_ids = [c["custom_id"] for row in components[poll_msg.id] for c in row["components"]]
    assert custom_ids == [club_button_id(poll_id, second), club_button_id(poll_id, first)]

    # Exactly once: the same run again posts nothing.
    await asyncio.to_thread(queue_due, ctx, now=clock.now)
    await dpytest.run_all_events()
    assert sent_messages() == []

    # Votes by button, one per person and changeable; the poll message shows the counts.
    clock.now += dt.timedelta(hours=3)
    for user, custom_id in ((ada, custom_ids[0]), (alan, custom_ids[1]), (ada, custom_ids[1])):
        clock.now += dt.timedelta(minutes=1)
        click = ButtonClick(user, reading, custom_id, poll_msg)
        await bot.on_interaction(click)
        assert click.answer.ephemeral and "Your journal club vote" in click.answer.content
    clock.now += dt.timedelta(minutes=1)
    by_text = await invoke(bot, "club vote", FakeInteraction(grace, reading), number=1)  # the text fallback
    assert by_text.answer.ephemeral and "Your journal club vote" in by_text.answer.content
    content = stored(reading.id, poll_msg.id)["content"]
    assert f"· 2 votes ({alan.display_name}, {ada.display_name})" in content and f"· 1 vote ({grace.display_name})" in content
    with store.session() as s:
        assert len(s.scalars(select(ClubVote)).all()) == 3

    # The close: the winner, its link and who voted; the poll loses its buttons.
    clock.now = MONDAY + dt.timedelta(hours=24, minutes=1)
    await asyncio.to_thread(queue_due, ctx, now=clock.now)
    await dpytest.run_all_events()
    (winner_msg,) = sent_messages()
    assert f"https://papers.example/{first}" in winner_msg.content
    assert f"with 2 votes ({alan.display_name}, {ada.display_name})" in winner_msg.content
    assert winner_msg.embeds[0].url == f"https://papers.example/{first}"
    edited = stored(reading.id, poll_msg.id)
    assert edited.get("components") == [] and "Voting is closed." in edited["content"]
    late = ButtonClick(grace, reading, custom_ids[1], poll_msg)
    await bot.on_interaction(late)
    assert "closed" in late.answer.content
    with store.session() as s:
        close = s.scalar(select(Delivery).where(Delivery.target_kind == CLOSE))
        assert close.status == "posted" and close.message_ref == str(winner_msg.id)
    await asyncio.to_thread(queue_due, ctx, now=clock.now)
    await dpytest.run_all_events()
    assert sent_messages() == []


async def test_club_vote_by_text_on_discord(world, settings):
    bot, commands, clock, components = world
    cfg = config()
    reading = cfg.channels[0]
    nothing = await invoke(bot, "club vote", FakeInteraction(cfg.members[0], reading), number=1)
    assert nothing.answer.ephemeral and "no journal club poll" in nothing.answer.content


async def test_club_and_channel_status_without_one_name_the_discord_commands_that_set_them(world):
    bot, commands, clock, components = world
    cfg = config()
    club = await invoke(bot, "club status", FakeInteraction(cfg.members[0], cfg.channels[0]))
    assert club.answer.ephemeral
    assert "This channel has no journal club. `/papers club set <weekday> <HH:MM>` sets one." in club.answer.content
    channel = await invoke(bot, "channel status", FakeInteraction(cfg.members[0], cfg.channels[0]))
    assert "This channel has no digest. `/papers channel setup` turns one on." in channel.answer.content


async def test_a_poll_message_deleted_before_the_close_still_gets_its_winner_and_the_close_is_posted(world, settings):
    bot, commands, clock, components = world
    store = commands.store
    cfg = config()
    reading, (ada, alan, grace) = cfg.channels[0], cfg.members
    await invoke(bot, "club set", FakeInteraction(ada, reading, permissions=MANAGER), weekday="monday", time="09:00")
    for user, ref in ((ada, "#5"), (alan, "#5"), (grace, "#7")):
        clock.now += dt.timedelta(minutes=5)
        await invoke(bot, "like", FakeInteraction(user, reading), paper=ref)
    poster = DiscordPoster(bot, loop=asyncio.get_running_loop())
    ctx = JobContext(store, settings, {"discord": poster})
    clock.now = MONDAY + dt.timedelta(seconds=30)
    await asyncio.to_thread(queue_due, ctx, now=clock.now)
    await dpytest.run_all_events()
    (poll_msg,) = sent_messages()
    await invoke(bot, "club vote", FakeInteraction(grace, reading), number=2)

    dpytest_backend.delete_message(poll_msg)  # a moderator tidies the channel: the poll is gone
    clock.now = MONDAY + dt.timedelta(hours=24, minutes=1)
    await asyncio.to_thread(queue_due, ctx, now=clock.now)
    await dpytest.run_all_events()
    (winner_msg,) = sent_messages()
    assert winner_msg.content.startswith("🏆") and "with 1 vote" in winner_msg.content
    with store.session() as s:
        close = s.scalar(select(Delivery).where(Delivery.target_kind == CLOSE))
        assert (close.status, close.message_ref) == ("posted", str(winner_msg.id))  # done, not "unreachable"
    await asyncio.to_thread(queue_due, ctx, now=clock.now + dt.timedelta(hours=1))
    await dpytest.run_all_events()
    assert sent_messages() == []
