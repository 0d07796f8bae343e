"""/papers help and usage on Discord name the app commands as Discord offers them (sub-commands, named options),
not the typed syntax of the text commands, which has no Discord command (``club <weekday> <HH:MM>``)."""

from __future__ import annotations

import discord.ext.test as dpytest
import pytest

from bot.commands import Commands

from discord_helpers import FakeInteraction, app_command, config, invoke, make_bot

pytestmark = pytest.mark.strict_logs


@pytest.fixture
async def bot(store, settings, monkeypatch):
    made = await make_bot(Commands(store, settings), monkeypatch)
    yield made
    await dpytest.empty_queue()


async def test_help_lists_every_app_command_as_discord_offers_it(bot):
    helped = await invoke(bot, "help", FakeInteraction(config().members[0], config().channels[0]))
    text = helped.answer.content
    assert helped.answer.ephemeral and len(text) <= 2000
    assert "• `/papers club set weekday time`" in text
    assert "`club <weekday> <HH:MM>`" not in text  # no such command on Discord
    assert "• `/papers channel setup [time] [timezone] [size] [topic]`" in text
    assert "• `/papers import file`" in text
    for path in ("search", "interests add", "mentions me", "club vote", "who", "subscribe", "unsubscribe"):
        assert f"`/papers {path}" in text
        app_command(bot, path)  # and each one listed exists


async def test_a_bad_club_time_shows_the_club_commands_only(bot):
    manager = FakeInteraction(config().members[0], config().channels[0])
    manager.permissions.manage_channels = True
    bad = await invoke(bot, "club set", manager, weekday="someday", time="16:00")
    text = bad.answer.content
    assert bad.answer.ephemeral and "`someday` is not a weekday" in text
    assert "• `/papers club set weekday time`" in text and "`/papers club status`" in text
    assert "`/papers search" not in text and "• `/papers help`: every command" in text
