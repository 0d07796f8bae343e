"""``share: True`` on Discord: what the channel sees is decided by the answer, not by the option alone.

A newcomer's ``/papers picks share:True`` is onboarding by DM: the channel must not be told about one
person's DM. A shared command that fails is private too. Only an answer meant for everybody (picks,
search results) is posted for the channel, after a private note that ends the caller's "thinking…", and
without the asker's own marks: no "Why this paper" (their profile), no "you 👎 this".
"""

from __future__ import annotations

import logging

import discord
import discord.ext.test as dpytest
import pytest

from bot.commands import Commands
from bot.digest import DISLIKED_NOTE, LIKED_NOTE

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
    assert not picks.ephemeral and picks.content == f"{alan.mention} shared `/papers picks`:" and len(picks.embeds) == 5


async def test_a_shared_command_that_fails_answers_privately(bot):
    grace, reading = config().members[2], config().channels[0]
    bad = await invoke(bot, "search", FakeInteraction(grace, reading), query="?!", share=True)
    assert bad.answer.ephemeral and "`search` needs some words" in bad.answer.content


async def test_share_in_a_dm_is_a_plain_answer(bot):
    grace = config().members[2]
    dm = await grace.create_dm()
    found = await invoke(bot, "search", FakeInteraction(grace, dm), query="diffusion", share=True)
    assert found.answer.ephemeral and found.answer.content.startswith("Top 5") and len(found.answer.embeds) == 5


def public_fields(sent):
    """(name, value) of every embed field in the messages the channel sees."""
    return [(f.name, f.value) for s in sent if not s.ephemeral for e in s.embeds for f in e.fields]


async def test_a_shared_search_keeps_the_askers_ratings_private(bot):
    alan, reading = config().members[1], config().channels[0]
    first = await invoke(bot, "search", FakeInteraction(alan, reading), query="diffusion")
    liked, disliked = (e.footer.text.split(" · ")[0] for e in first.answer.embeds[:2])  # "#<id>", as /papers like takes it
    for verb, paper, note in (("dislike", disliked, DISLIKED_NOTE), ("like", liked, LIKED_NOTE)):
        await invoke(bot, verb, FakeInteraction(alan, reading), paper=paper)
        mine = await invoke(bot, "search", FakeInteraction(alan, reading), query="diffusion")
        ratings = [(f.name, f.value) for e in mine.answer.embeds for f in e.fields]
        assert ("Your rating", note) in ratings  # the asker's own (a 👎'd paper may drop below the 👍'd one's kin)

    shared = await invoke(bot, "search", FakeInteraction(alan, reading), query="diffusion", share=True)
    note, public = shared.sent
    assert note.ephemeral and note.content == "Shared with the channel."
    assert not public.ephemeral and public.content == f"{alan.mention} shared `/papers search diffusion`:"
    assert [e.title for e in public.embeds] == [e.title for e in mine.answer.embeds]  # the papers the asker saw
    fields = public_fields(shared.sent)
    assert fields and not {DISLIKED_NOTE, LIKED_NOTE} & {v for _, v in fields}
    assert not {n for n, _ in fields} & {"Your rating", "Why this paper"}


async def test_shared_picks_keep_the_askers_reasons_private(bot):
    alan, reading = config().members[1], config().channels[0]
    await invoke(bot, "interests add", FakeInteraction(alan, reading), text="diffusion models")
    mine = await invoke(bot, "picks", FakeInteraction(alan, reading))
    reasons = {f.value for e in mine.answer.embeds for f in e.fields if f.name == "Why this paper"}
    assert reasons  # the asker's own, from their interests
    shared = await invoke(bot, "picks", FakeInteraction(alan, reading), share=True)
    public = [s for s in shared.sent if not s.ephemeral]
    assert len(public) == 1 and public[0].content == f"{alan.mention} shared `/papers picks`:" and len(public[0].embeds) == 5
    fields = public_fields(shared.sent)
    assert fields and "Why this paper" not in {n for n, _ in fields} and not reasons & {v for _, v in fields}


async def test_a_shared_answer_discord_refuses_is_followed_by_a_private_note_saying_so(bot, caplog):
    """The private "Shared with the channel." has to come first (it ends the private thinking…): if the public
    answer then fails, the caller is told, privately, and a warning is logged."""
    alan, reading = config().members[1], config().channels[0]
    await invoke(bot, "interests add", FakeInteraction(alan, reading), text="diffusion models")
    shared = await invoke(bot, "picks", FakeInteraction(alan, reading, refuse_public=True), share=True)
    note, failed = shared.sent
    assert note.ephemeral and note.content == "Shared with the channel."
    assert failed.ephemeral and failed.content.startswith("Sharing failed after all") and "403" in failed.content
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == ["public follow-up failed"]
