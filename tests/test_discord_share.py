"""``share: True`` on Discord: what the channel sees is decided by the answer, not by the option alone.

A newcomer's ``/papers picks share:True`` is onboarding by DM: the channel must not be told about one
person's DM. A shared command that fails is private too. Only an answer meant for everybody (picks,
search results) is posted for the channel, after a private note that ends the caller's "thinking…".
"""

from __future__ import annotations

import discord
import discord.ext.test as dpytest
import pytest

from bot.commands import Commands

from discord_helpers import FakeInteraction, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs


@pytest.fixture
async def bot(papers_store, settings, monkeypatch):
    made = await make_bot(Commands(papers_store, settings), monkeypatch)
    sent_messages()
    yield made
    await dpytest.empty_queue()


async def test_a_newcomers_shared_picks_answer_privately_and_the_round_goes_by_dm(bot):
    ada, reading = config().members[0], config().channels[0]
    asked = await invoke(bot, "picks", FakeInteraction(ada, reading), share=True)
    assert asked.sent and all(s.ephemeral for s in asked.sent), asked.sent  # nothing for the channel
    assert "direct message" in asked.sent[-1].content
    [dm] = sent_messages()
    assert isinstance(dm.channel, discord.DMChannel) and len(dm.embeds) == 8


async def test_shared_picks_of_someone_known_go_to_the_channel_after_a_private_note(bot):
    alan, reading = config().members[1], config().channels[0]
    await invoke(bot, "interests add", FakeInteraction(alan, reading), text="diffusion models")
    shared = await invoke(bot, "picks", FakeInteraction(alan, reading), share=True)
    note, picks = shared.sent
    assert note.ephemeral and note.content == "Shared with the channel." and not note.embeds
    assert not picks.ephemeral and picks.content.startswith("Your top 5 picks") and len(picks.embeds) == 5


async def test_a_shared_command_that_fails_answers_privately(bot):
    grace, reading = config().members[2], config().channels[0]
    bad = await invoke(bot, "search", FakeInteraction(grace, reading), query="?!", share=True)
    assert bad.answer.ephemeral and "`search` needs some words" in bad.answer.content


async def test_share_in_a_dm_is_a_plain_answer(bot):
    grace = config().members[2]
    dm = await grace.create_dm()
    found = await invoke(bot, "search", FakeInteraction(grace, dm), query="diffusion", share=True)
    assert found.answer.ephemeral and found.answer.content.startswith("Top 5") and len(found.answer.embeds) == 5
