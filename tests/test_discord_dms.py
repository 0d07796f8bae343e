"""Onboarding DMs on Discord that do not fit the happy path, offline through dpytest's fake API: a round too
long for one message's embed limits, and a member who does not accept direct messages."""

from __future__ import annotations

import discord
import discord.ext.test as dpytest
import pytest
from sqlalchemy import select

from bot.commands import Commands
from recommender.store import Paper

from discord_helpers import FakeInteraction, capture_components, config, invoke, make_bot, refuse_dms, sent_messages

pytestmark = pytest.mark.strict_logs


class ButtonPress(FakeInteraction):
    """A press on the button ``custom_id`` in a DM (a component interaction: no guild)."""

    def __init__(self, user, button: str):
        super().__init__(user, None)
        self.type = discord.InteractionType.component
        self.data = {"custom_id": button, "component_type": 2}


@pytest.fixture
async def bot(papers_store, settings, monkeypatch):
    """The bot, and the components of every message it sends (dpytest keeps no components)."""
    made = await make_bot(Commands(papers_store, settings), monkeypatch)
    components = capture_components(monkeypatch)
    sent_messages()
    yield made, components
    await dpytest.empty_queue()


async def test_a_round_too_long_for_one_message_sends_every_paper_with_the_buttons_last(bot, papers_store):
    made, components = bot
    with papers_store.session() as s:  # long titles, abstracts and author lists, as arXiv papers have
        for paper in s.scalars(select(Paper)):
            paper.title = (paper.title + " with a long subtitle") * 8
            paper.abstract = (paper.abstract or "") + " and more" * 300
            paper.authors = [f"Author Number{i}" for i in range(30)]
    ada = config().members[0]

    asked = await invoke(made, "start", FakeInteraction(ada, config().channels[0]))
    assert asked.answer.ephemeral and "8 papers to rate" in asked.answer.content
    dms = sent_messages()
    assert len(dms) > 1 and all(isinstance(m.channel, discord.DMChannel) for m in dms)
    assert sum(len(m.embeds) for m in dms) == 8  # every paper the buttons name is shown
    assert all(len(m.embeds) <= 10 and sum(len(e) for e in m.embeds) <= 6000 for m in dms)
    assert [e.title.split(".")[0] for m in dms for e in m.embeds] == [str(n) for n in range(1, 9)]
    assert "Rate 8" in dms[0].content
    sent_components = components[-len(dms):]
    assert all(c == [] for c in sent_components[:-1]) and sent_components[-1]  # the buttons under the last paper


async def test_start_with_dms_closed_says_so_privately(bot, monkeypatch):
    made, _ = bot
    refuse_dms(monkeypatch)
    cfg = config()
    for path, member in (("start", cfg.members[1]), ("picks", cfg.members[2])):  # a newcomer's picks start onboarding too
        asked = await invoke(made, path, FakeInteraction(member, cfg.channels[0]))
        assert asked.answer.ephemeral
        assert "could not send you a direct message" in asked.answer.content
        assert "Privacy Settings" in asked.answer.content
    assert sent_messages() == []


async def test_a_press_whose_next_round_cannot_go_by_dm_gets_it_where_it_was_pressed(bot, monkeypatch):
    made, components = bot
    cfg = config()
    ada = cfg.members[0]
    await invoke(made, "start", FakeInteraction(ada, cfg.channels[0]))
    sent_messages()
    ups = [c["custom_id"] for row in components[-1] for c in row["components"] if ":up:" in c["custom_id"]]
    for button in ups[:-1]:
        await made.cog.on_interaction(ButtonPress(ada, button))
    refuse_dms(monkeypatch)  # e.g. she left the server: the bot shares none with her, its DMs are refused
    last = ButtonPress(ada, ups[-1])
    await made.cog.on_interaction(last)
    await dpytest.run_all_events()
    assert sent_messages() == []
    [second] = last.sent  # the second round as the press's follow-up, in the DM where she pressed
    assert "more" in second.content and len(second.embeds) == 8
    assert len([b for b in second.view.children if ":up:" in b.custom_id]) == 8
