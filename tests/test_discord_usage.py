"""/papers help and usage on Discord name the app commands as Discord offers them (sub-commands, named options),
not the typed syntax of the text commands, which has no Discord command (``club <weekday> <HH:MM>``)."""

from __future__ import annotations

import discord.ext.test as dpytest
import pytest
from discord import app_commands

from bot.commands import Commands, Reply
from bot.discord.cog import answer, caller_of

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


async def test_club_set_reads_its_options_alone_not_as_a_command_line(bot):
    manager = FakeInteraction(config().members[0], config().channels[0])
    manager.permissions.manage_channels = True
    voted = await invoke(bot, "club set", manager, weekday="vote", time="1")  # as a line: `club vote 1`
    assert voted.answer.ephemeral and "`vote` is not a weekday" in voted.answer.content
    spaced = FakeInteraction(config().members[0], config().channels[0], permissions=manager.permissions)
    await invoke(bot, "club set", spaced, weekday="thursday", time="16:00 please")
    assert "`16:00 please` is not a time" in spaced.answer.content


async def test_a_bad_value_shows_the_usage_of_its_command_only(bot):
    member = FakeInteraction(config().members[1], config().channels[0])
    bad = await invoke(bot, "subscribe", member, time="25:99")
    text = bad.answer.content
    assert bad.answer.ephemeral and "`25:99` is not a time" in text
    assert "• `/papers subscribe [time] [timezone]`" in text and "• `/papers help`: every command" in text
    assert "`/papers search" not in text and len(text) < 400  # not the ~1,600 characters of every command
    blank = await invoke(bot, "interests add", FakeInteraction(config().members[1], config().channels[0]), text=";;")
    assert "• `/papers interests add text`" in blank.answer.content and "`/papers club" not in blank.answer.content


async def test_an_unknown_command_points_to_the_closest_ones_and_help_in_one_line(bot):
    member = config().members[2]
    typed = FakeInteraction(member, config().channels[0])
    await answer(typed, bot.paper_commands.handle(caller_of(typed), "serach graph networks"))  # a text form
    assert typed.answer.ephemeral
    assert typed.answer.content == ("unknown command `serach`\n\n"
                                    "Did you mean `/papers search query [share]`? `/papers help` lists every command.")
    vague = FakeInteraction(member, config().channels[0])
    await answer(vague, bot.paper_commands.handle(caller_of(vague), "interest gnns"))
    assert "Did you mean `/papers interests add text`, `/papers interests remove text` or `/papers interests list`?" \
        in vague.answer.content
    far = FakeInteraction(member, config().channels[0])
    await answer(far, bot.paper_commands.handle(caller_of(far), "xyzzy"))
    assert far.answer.content == "unknown command `xyzzy`\n\n`/papers help` lists every command."


async def test_a_failure_asking_for_the_whole_usage_gets_the_pointer_and_help_still_lists_everything(bot):
    failed = FakeInteraction(config().members[0], config().channels[0])
    await answer(failed, Reply("that did not parse", usage=True, ok=False))
    assert failed.answer.ephemeral and failed.answer.content == "that did not parse\n\n`/papers help` lists every command."
    helped = await invoke(bot, "help", FakeInteraction(config().members[0], config().channels[0]))
    commands = [c for c in bot.cog.app_command.walk_commands() if isinstance(c, app_commands.Command)]
    assert helped.answer.content.count("\n• `/papers ") == len(commands)
