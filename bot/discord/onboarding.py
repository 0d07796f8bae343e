"""Presses on the onboarding DM's rating buttons (:mod:`bot.discord.rating`): the rating, then what comes next.

The cog's ``on_interaction`` listener hands every component interaction here; presses on other
buttons are left alone. A press is acknowledged at once (a deferred update), the rating is
stored by the command layer, and its answer goes privately to the press, or, for the next round
or the first picks, to the person's direct messages. When Discord refuses that DM (the person
now shares no server with the bot, or allows no DMs from it), the round goes as the press's
follow-up instead: the press came from the DM, so that is where it appears. A presser whose daily
DM could not be delivered is then told so (:func:`~bot.discord.answers.tell_notice`), as after a command.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.commands import Caller, Commands
from bot.discord.answers import answer, tell_notice
from bot.discord.cog import PLATFORM
from bot.discord.rating import parse_custom_id, send_dm, send_round

log = logging.getLogger(__name__)


async def rating_press(commands: Commands, interaction: discord.Interaction) -> bool:
    """Handle a press on a rating button; False (nothing done) for any other interaction."""
    if interaction.type is not discord.InteractionType.component:
        return False
    parsed = parse_custom_id(str((interaction.data or {}).get("custom_id", "")))
    if parsed is None:
        return False
    workspace, value, paper_id = parsed
    caller = Caller(PLATFORM, workspace, str(interaction.user.id),
                    display_name=getattr(interaction.user, "display_name", None) or interaction.user.name)
    await interaction.response.defer(ephemeral=True, thinking=False)
    if value is None:
        reply = await asyncio.to_thread(commands.onboarding_skip, caller)
    else:
        reply = await asyncio.to_thread(commands.onboarding_rate, caller, paper_id, value)
    if not reply.dm:
        await answer(interaction, reply)
        return True
    try:
        await send_dm(interaction.user, reply, workspace)
    except discord.Forbidden:
        log.info("discord dm refused: answering the press", extra={"user": interaction.user.id})
        await send_round(interaction.followup.send, reply, workspace)
    if reply.notice is not None:  # answer() tells it after any other reply
        await tell_notice(interaction, reply.notice)
    return True
