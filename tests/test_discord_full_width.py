"""Full-width input on Discord: its app commands hand each option alone to the command layer (no
``/papers`` line to read), and ＧＮＮ, ＃２４, ０７：３０ are still the ASCII they show, as on Slack."""

from __future__ import annotations

import discord.ext.test as dpytest
import pytest
from sqlalchemy import select

from bot.commands import Commands
from recommender.store import Channel, Feedback

from discord_helpers import FakeInteraction, config, invoke, make_bot

pytestmark = pytest.mark.strict_logs


def wide(text: str) -> str:
    """``text`` as an input method in full-width mode types it (``#24`` -> ``＃２４``)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


@pytest.fixture
async def bot(papers_store, settings, monkeypatch):
    made = await make_bot(Commands(papers_store, settings), monkeypatch)
    yield made
    await dpytest.empty_queue()


async def test_full_width_options_read_as_the_ascii_they_show(bot):
    member, channel = config().members[1], config().channels[0]
    narrow = await invoke(bot, "search", FakeInteraction(member, channel), query="GNN pipeline")
    wide_search = await invoke(bot, "search", FakeInteraction(member, channel), query=wide("GNN pipeline"))
    assert "Top" in narrow.answer.content and wide_search.answer.content == narrow.answer.content
    liked = await invoke(bot, "like", FakeInteraction(member, channel), paper=wide("#24"))
    assert liked.answer.content.startswith("👍 noted for"), liked.answer.content
    subscribed = await invoke(bot, "subscribe", FakeInteraction(member, channel), time=wide("07:30"), timezone="Asia/Tokyo")
    assert "every day at 07:30 Asia/Tokyo" in subscribed.answer.content, subscribed.answer.content
    manager = FakeInteraction(config().members[0], channel)
    manager.permissions.manage_channels = True
    club = await invoke(bot, "club set", manager, weekday=wide("Thursday"), time=wide("16:00"))
    assert "every Thursday at 16:00" in club.answer.content, club.answer.content
    with bot.paper_commands.store.session() as s:
        assert s.scalar(select(Feedback.paper_id)) == 24
        assert (s.scalar(select(Channel.club_weekday)), s.scalar(select(Channel.club_time))) == (3, "16:00")
