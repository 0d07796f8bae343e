"""Onboarding by rating on Discord, offline: ``/papers start`` and ``/papers picks`` through interaction
doubles, the DM with its embeds and buttons read from dpytest's fake API, button presses as component
interactions into the cog's listener, ratings read from the store."""

from __future__ import annotations

import asyncio

import discord
import discord.ext.test as dpytest
import pytest
from sqlalchemy import delete, func, select

from bot.commands import Commands
from bot.discord.rating import custom_id, parse_custom_id
from recommender.store import Feedback, Onboarding, Paper

from discord_helpers import FakeInteraction, capture_components, config, invoke, make_bot, sent_messages

pytestmark = pytest.mark.strict_logs


class ButtonPress(FakeInteraction):
    """A component interaction: a press on the button ``custom_id`` (in a DM: no guild)."""

    def __init__(self, user, button: str):
        super().__init__(user, None)
        self.type = discord.InteractionType.component
        self.data = {"custom_id": button, "component_type": 2}


@pytest.fixture
async def bot(papers_store, settings, monkeypatch):
    """The bot, and the components of every message it sends (dpytest keeps no components)."""
    cmds = Commands(papers_store, settings)
    made = await make_bot(cmds, monkeypatch)
    components = capture_components(monkeypatch)
    sent_messages()
    yield made, components
    await dpytest.empty_queue()


def buttons(rows: list[dict]) -> list[str]:
    return [c["custom_id"] for row in rows for c in row["components"]]


async def press(made, user, button: str) -> ButtonPress:
    interaction = ButtonPress(user, button)
    await made.cog.on_interaction(interaction)
    await dpytest.run_all_events()
    return interaction


async def test_start_sends_a_dm_round_with_buttons_and_ratings_lead_to_picks(bot, papers_store):
    made, components = bot
    cfg = config()
    ada, guild = cfg.members[0], cfg.guilds[0]
    who = await invoke(made, "picks", FakeInteraction(ada, cfg.channels[0]))  # a newcomer's picks: onboarding
    assert who.answer.ephemeral and "direct message" in who.answer.content
    [dm] = sent_messages()
    assert isinstance(dm.channel, discord.DMChannel) and len(dm.embeds) == 8
    ids = buttons(components[-1])
    ups = [i for i in ids if ":up:" in i]
    assert len(ups) == 8 and len([i for i in ids if ":down:" in i]) == 8 and ids[-1].endswith(":skip:0")
    assert all(parse_custom_id(i)[0] == str(guild.id) for i in ids)

    for n, button in enumerate(ups):
        await press(made, ada, button if n else button.replace(":up:", ":down:"))
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Feedback).where(Feedback.origin == "onboarding")) == 8
        assert s.scalar(select(func.count()).select_from(Feedback).where(Feedback.value < 0)) == 1
    [second] = sent_messages()
    assert len(second.embeds) == 8 and "more" in second.content
    second_ups = [i for i in buttons(components[-1]) if ":up:" in i]
    assert not {parse_custom_id(i)[2] for i in second_ups} & {parse_custom_id(i)[2] for i in ups}

    await press(made, ada, second_ups[0])
    skip = custom_id(str(guild.id), "skip")
    await asyncio.gather(press(made, ada, skip), press(made, ada, skip))  # a double click: one skip
    [picks] = sent_messages()
    assert "first" in picks.content and picks.embeds and components[-1] == []
    with papers_store.session() as s:
        assert s.scalar(select(Onboarding.status)) == "skipped"
    again = await press(made, ada, skip)  # the old message's button, pressed later
    assert sent_messages() == [] and "onboarding is already over" in again.answer.content and again.answer.ephemeral


async def test_bad_start_answers_usage_and_changes_nothing(bot, papers_store):
    made, _ = bot
    who = await invoke(made, "help", FakeInteraction(config().members[1], config().channels[0]))
    assert "`/papers start`" in who.answer.content
    # a forged or foreign button id is ignored
    await press(made, config().members[1], "paperbot:rate:123:sideways:4")
    assert sent_messages() == []
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Onboarding)) == 0
        assert s.scalar(select(func.count()).select_from(Feedback)) == 0


async def test_a_round_whose_paper_was_deleted_moves_on_once_the_others_are_rated(bot, papers_store):
    made, components = bot
    cfg = config()
    grace = cfg.members[2]
    await invoke(made, "start", FakeInteraction(grace, cfg.channels[0]))
    sent_messages()
    ups = [i for i in buttons(components[-1]) if ":up:" in i]
    gone = parse_custom_id(ups[0])[2]
    with papers_store.session() as s:  # e.g. an operator deleted a duplicate while the round waited
        s.execute(delete(Paper).where(Paper.id == gone))
    late = await press(made, grace, ups[0])
    assert late.answer.ephemeral and "no longer available" in late.answer.content
    for button in ups[1:]:
        await press(made, grace, button)
    [second] = sent_messages()  # the seven papers left were the whole round
    assert isinstance(second.channel, discord.DMChannel) and "more" in second.content and len(second.embeds) == 8


async def test_a_round_whose_last_unrated_paper_was_deleted_moves_on_at_its_press(bot, papers_store):
    """Every other paper rated, the one left deleted: its press completes the round (no other press would)."""
    made, components = bot
    cfg = config()
    grace = cfg.members[2]
    await invoke(made, "start", FakeInteraction(grace, cfg.channels[0]))
    sent_messages()
    ups = [i for i in buttons(components[-1]) if ":up:" in i]
    for button in ups[:-1]:
        await press(made, grace, button)
    assert sent_messages() == []  # one paper still to rate
    with papers_store.session() as s:
        s.execute(delete(Paper).where(Paper.id == parse_custom_id(ups[-1])[2]))
    await press(made, grace, ups[-1])
    [second] = sent_messages()
    assert isinstance(second.channel, discord.DMChannel) and "more" in second.content and len(second.embeds) == 8
    with papers_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Feedback)) == 7 and len(s.scalar(select(Onboarding.rounds))) == 2
