"""Discord's 3 seconds: a command whose work waits on the database is deferred (privately) in time, and answers
after; an answer for the channel then follows a private note. The interaction double drops a response later
than 3 s after the interaction was made, as Discord does."""

from __future__ import annotations

import threading
import time

import discord
import discord.ext.test as dpytest
import pytest
from sqlalchemy import update

from bot.commands import Commands
from recommender.store import Channel, Member

from discord_helpers import FakeInteraction, config, invoke, make_bot

pytestmark = pytest.mark.strict_logs

MANAGER = discord.Permissions(manage_channels=True, send_messages=True)
#: Longer than Discord's 3 seconds.
HOLD = 3.3


@pytest.fixture
async def bot(store, settings, monkeypatch):
    made = await make_bot(Commands(store, settings), monkeypatch)
    yield made
    await dpytest.empty_queue()


def busy_database(store, seconds: float = HOLD) -> threading.Thread:
    """Another writer holds the members and channels rows (and SQLite's write lock) for ``seconds``, as a long
    transaction does (a digest being composed, a refit storing its rows); returns once it holds them."""
    holding = threading.Event()

    def hold():
        with store.session(immediate=True) as s:
            s.execute(update(Member).values(timezone=Member.timezone))
            s.execute(update(Channel).values(timezone=Channel.timezone))
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait()
    return thread


async def test_a_command_waiting_on_the_database_is_deferred_in_time_and_answers_privately(bot, store):
    ada, reading = config().members[0], config().channels[0]
    # ada's row exists (interests list alone stores none): the next command waits on it
    await invoke(bot, "interests add", FakeInteraction(ada, reading), text="diffusion models")
    holder = busy_database(store)
    added = await invoke(bot, "interests add", FakeInteraction(ada, reading), text="graph neural networks")
    holder.join()
    assert added.response.deferred_ephemeral is True
    assert added.answer.ephemeral and added.answer.content.startswith("Added interest “graph neural networks”")


async def test_a_late_answer_for_the_channel_follows_a_private_note(bot, store):
    ada, reading = config().members[0], config().channels[0]
    await invoke(bot, "channel setup", FakeInteraction(ada, reading, permissions=MANAGER), size=3)
    holder = busy_database(store)
    off = await invoke(bot, "channel off", FakeInteraction(ada, reading, permissions=MANAGER))
    holder.join()
    note, public = off.sent
    assert note.ephemeral and note.content == "Shared with the channel."
    assert not public.ephemeral and public.content == "Channel digest is off."


async def test_the_3_seconds_count_from_the_interactions_creation_not_from_the_callback(bot, store):
    """An interaction that spent 2 s on the gateway and in the event loop has 0.5 s left of the 2.5 before it is
    deferred: work that takes 1.5 s more (under the 2.5 s a fresh one gets) is deferred in time."""
    ada, reading = config().members[0], config().channels[0]
    await invoke(bot, "interests add", FakeInteraction(ada, reading), text="diffusion models")
    holder = busy_database(store, 1.5)
    added = await invoke(bot, "interests add", FakeInteraction(ada, reading, age=2.0), text="graph neural networks")
    holder.join()
    assert added.response.deferred_ephemeral is True
    assert added.answer.ephemeral and added.answer.content.startswith("Added interest “graph neural networks”")
