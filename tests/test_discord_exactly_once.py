"""Discord digests exactly once through a death at every step: the real DiscordPoster on dpytest's fake
API (which honours ``enforce_nonce`` as Discord does, see discord_helpers), on SQLite and PostgreSQL.

A "kill" is :class:`Killed` (a ``BaseException``: nothing in the bot catches it)
raised by the fake API's message create, before it creates the message or right
after (the reference not yet recorded). The restart is a new store, after the
claim's recovery delay. Afterwards the channel holds one header and one message
per paper, each with the bot's 👍 and 👎, all on record.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend as dpytest_backend
from sqlalchemy import select

from bot.commands import Commands
from bot.delivery import DeliveryTarget, deliver
from bot.discord.poster import DiscordPoster
from recommender.store import Channel, Delivery, Member, Store

from discord_helpers import FakeInteraction, ReactionLog, _FakeHTTPResponse, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SIZE = 3  # papers per digest: 4 messages
MANAGER = discord.Permissions(manage_channels=True, send_messages=True)


class Killed(BaseException):
    """The process dies here."""


def die_at_send(monkeypatch, n: int, accepted: bool) -> None:
    """The process dies at the ``n``-th message create: before Discord has it, or once it has (``accepted``)."""
    real = dpytest_backend.FakeHttp.send_message
    count = {"sends": 0}

    async def send_message(self, channel_id, *, params):
        channel = sys._getframe(1).f_locals["channel"]  # noqa: F841 - dpytest reads its caller's `channel` local
        count["sends"] += 1
        if count["sends"] == n and not accepted:
            raise Killed(f"before message {n}")
        data = await real(self, channel_id, params=params)
        if count["sends"] == n:
            raise Killed(f"after message {n} was created")
        return data

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)


@pytest.fixture
async def bot(papers_store, settings, monkeypatch):
    cmds = Commands(papers_store, settings)
    client = await make_bot(cmds, monkeypatch)
    reactions = ReactionLog()
    dpytest.callbacks.set_callback(reactions, "add_reaction")
    sent_messages()
    yield client, cmds, reactions
    dpytest.callbacks.remove_callback("add_reaction")
    await dpytest.empty_queue()


async def channel_target(client, cmds) -> DeliveryTarget:
    cfg = config()
    who = FakeInteraction(cfg.members[0], cfg.channels[0], permissions=MANAGER)
    await invoke(client, "channel setup", who, size=SIZE, topic="graph neural networks")
    with cmds.store.session() as s:
        return DeliveryTarget.of(s.scalar(select(Channel)))


async def attempt(store, cmds, settings, client, target, now):
    poster = DiscordPoster(client, loop=asyncio.get_running_loop())
    return await asyncio.to_thread(deliver, store, cmds.recommender, settings, poster, target, now=now)


def assert_posted_once(messages, store, reactions, papers: int = SIZE) -> None:
    headers = [m for m in messages if not m.embeds]
    bodies = [m for m in messages if m.embeds]
    assert len(headers) == 1 and headers[0].content.startswith("**Papers for")
    assert len(bodies) == papers == len({m.embeds[0].title for m in bodies})
    with store.session() as s:
        delivery = s.scalar(select(Delivery))
        assert delivery.status == "posted" and delivery.message_ref == str(headers[0].id)
        assert sorted(i.message_ref for i in delivery.items) == sorted(str(m.id) for m in bodies)
    assert all(set(reactions.on(m.id)) == {"👍", "👎"} for m in bodies)


STEPS = [(n, accepted) for n in range(1, SIZE + 2) for accepted in (False, True)]


@pytest.mark.parametrize(("die_at", "accepted"), STEPS, ids=[f"{'after' if a else 'before'}-message{n}" for n, a in STEPS])
async def test_killed_at_every_step_then_restarted_posts_each_message_once(bot, settings, db_url, monkeypatch, die_at, accepted):
    client, cmds, reactions = bot
    target = await channel_target(client, cmds)
    sent_messages()
    with monkeypatch.context() as dying:
        die_at_send(dying, die_at, accepted)
        with pytest.raises(Killed):
            await attempt(cmds.store, cmds, settings, client, target, NOW)
    await dpytest.run_all_events()
    first = sent_messages()
    assert len(first) == die_at - (not accepted)
    with cmds.store.session() as s:
        delivery = s.scalar(select(Delivery))
        on_record = [delivery.message_ref] + [i.message_ref for i in delivery.items]
        assert delivery.status == "claimed" and sum(r is not None for r in on_record) == die_at - 1

    store = Store(db_url)  # the restarted process
    try:
        early = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds / 2)
        assert (await attempt(store, cmds, settings, client, target, early)).status == "skipped"
        later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
        outcome = await attempt(store, cmds, settings, client, target, later)
        await dpytest.run_all_events()
        assert outcome.status == "posted" and outcome.papers == SIZE
        assert_posted_once(first + sent_messages(), store, reactions)
    finally:
        store.dispose()


async def test_a_dm_digest_killed_after_its_header_was_created_resumes_under_it(bot, settings, monkeypatch):
    client, cmds, reactions = bot
    grace = config().members[2]
    who = FakeInteraction(grace, config().channels[0])
    await invoke(client, "subscribe", who, time="07:15", timezone="Europe/Berlin")
    await invoke(client, "interests add", FakeInteraction(grace, config().channels[0]), text="graph neural networks")
    with cmds.store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Member).where(Member.user_ref == str(grace.id))))
    sent_messages()
    with monkeypatch.context() as dying:
        die_at_send(dying, 1, accepted=True)
        with pytest.raises(Killed):
            await attempt(cmds.store, cmds, settings, client, target, NOW)
    later = NOW + dt.timedelta(seconds=settings.delivery.recovery_seconds + 30)
    outcome = await attempt(cmds.store, cmds, settings, client, target, later)
    await dpytest.run_all_events()
    assert outcome.status == "posted"
    messages = sent_messages()
    assert all(m.channel.id == grace.dm_channel.id for m in messages)
    assert_posted_once(messages, cmds.store, reactions, papers=outcome.papers)


async def test_a_channel_without_add_reactions_still_gets_its_digest(bot, settings, monkeypatch, caplog):
    """The bot's 👍/👎 under each paper are a convenience: with Add Reactions taken away since the setup the
    digest used to be refused before its first message ('missing permissions: Add Reactions'), and a refusal
    of one reaction (a 5xx discord.py gave up on) failed it after its first paper."""
    client, cmds, reactions = bot
    target = await channel_target(client, cmds)
    reading = config().channels[0]
    await dpytest.set_permission_overrides(reading.guild.default_role, reading, add_reactions=False)

    async def refuse(self, channel_id, message_id, emoji):
        raise discord.Forbidden(_FakeHTTPResponse(403), {"code": 50013, "message": "Missing Permissions"})

    monkeypatch.setattr(dpytest_backend.FakeHttp, "add_reaction", refuse)
    outcome = await attempt(cmds.store, cmds, settings, client, target, NOW)
    await dpytest.run_all_events()
    assert outcome.status == "posted" and outcome.papers == SIZE
    assert len([m for m in sent_messages() if m.embeds]) == SIZE
    [refused] = [r for r in caplog.records if r.getMessage() == "discord reactions not added"]
    assert refused.levelname == "WARNING" and "Missing Permissions" in refused.error
