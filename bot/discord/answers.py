"""A :class:`~bot.commands.Reply` sent as an interaction's answer: privately or for the channel, papers as embeds.

A shared answer (``share: True``) is built by :func:`shared_reply` from
:meth:`~bot.commands.Commands.share`, so the channel sees the papers without the asker's own
marks. Every defer is private (:mod:`bot.discord.timely`), and the first follow-up after it
keeps its privacy: a public answer therefore follows a private :data:`SHARED_NOTE`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.commands import Commands, Reply
from bot.digest import clip
from bot.discord.embeds import reply_content, reply_embeds
from bot.discord.timely import timely

if TYPE_CHECKING:
    from bot.commands.dm_notice import DmNotice  # its module reads the store; adapters only pass it on

log = logging.getLogger(__name__)

#: The private answer to a shared command whose answer follows for the channel.
SHARED_NOTE = "Shared with the channel."
#: The private follow-up when that answer could not be posted after all.
NOT_SHARED = "Sharing failed after all: Discord did not post the answer in the channel (it answered {status}). Try again in a minute."

NO_MENTIONS = discord.AllowedMentions.none()

#: At most this many characters of the command named above a shared answer.
SHARED_COMMAND_MAX = 200


async def shared_reply(commands: Commands, interaction: discord.Interaction, reply: Reply, command: str) -> Reply:
    """The channel's copy of ``reply``: who shared which ``command`` (``search diffusion``), and its papers as
    :meth:`Commands.share` gives them (no "Why this paper", no "you 👎 this": those are the asker's);
    ``reply`` itself, private, if none of them is stored any more."""
    ids = [p.paper_id for p in reply.papers]
    shared = await timely(interaction, asyncio.to_thread(commands.share, ids))
    if not shared.ok:
        return reply
    said = clip(command.replace("`", "'"), SHARED_COMMAND_MAX)
    return Reply(f"{interaction.user.mention} shared `/papers {said}`:", shared.papers, ephemeral=False)


async def answer(interaction: discord.Interaction, reply: Reply, *, share: bool = False) -> None:
    """Send ``reply`` as the interaction's response (or follow-ups once responded or deferred).

    Private unless ``share`` or the reply is public; a failed command
    (``reply.ok`` false) is always private. Papers go as embeds, at most 10 per
    message and within 6000 embed characters. After a defer, a public answer follows the private
    :data:`SHARED_NOTE`; if Discord then refuses it, :data:`NOT_SHARED` follows privately (a warning is logged).
    A ``reply.notice`` follows last, always as an ephemeral follow-up (:func:`tell_notice`).
    """
    await _answer(interaction, reply, share=share)
    if reply.notice is not None:
        await tell_notice(interaction, reply.notice)


async def tell_notice(interaction: discord.Interaction, notice: DmNotice) -> bool:
    """Send ``notice`` to the caller alone (an ephemeral follow-up, after the answer), then record it told.

    Whether it was sent; a refused follow-up or a failed record is logged (the notice then comes again
    with the caller's next command).
    """
    try:
        await interaction.followup.send(notice.text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("dm notice not sent", extra={"status": exc.status, "code": exc.code, "error": exc.text})
        return False
    try:
        await asyncio.to_thread(notice.mark_told)
    except Exception as exc:  # told, not recorded: told again next time, which beats never
        log.warning("dm notice not recorded", extra={"error": f"{type(exc).__name__}: {exc}"})
    return True


async def _answer(interaction: discord.Interaction, reply: Reply, *, share: bool) -> None:
    ephemeral = (reply.ephemeral and not share) or not reply.ok
    chunks = reply_embeds(reply.papers)
    first: dict[str, Any] = {"embeds": chunks[0]} if chunks else {}
    first["allowed_mentions"] = NO_MENTIONS  # a shared answer names its asker, and a query may hold @everyone: nobody is pinged
    from bot.discord.cog import PapersCog  # the cog imports this module

    content = reply_content(reply, PapersCog.__cog_app_commands__)  # the usage as Discord's commands
    if not interaction.response.is_done():
        await interaction.response.send_message(content, ephemeral=ephemeral, **first)
        for chunk in chunks[1:]:
            await interaction.followup.send(embeds=chunk, ephemeral=ephemeral)
        return
    # deferred, always privately (bot.discord.timely): a first follow-up would keep the defer's privacy
    noted = not ephemeral and interaction.guild_id is not None
    if noted:
        await interaction.followup.send(SHARED_NOTE, ephemeral=True)
    try:
        await interaction.followup.send(content, ephemeral=ephemeral, **first)
        for chunk in chunks[1:]:
            await interaction.followup.send(embeds=chunk, ephemeral=ephemeral)
    except discord.HTTPException as exc:
        if not noted:
            raise
        # the caller was told it was shared: say it was not (the command's work is done either way)
        log.warning("public follow-up failed", extra={"status": exc.status, "code": exc.code, "error": exc.text})
        await interaction.followup.send(NOT_SHARED.format(status=exc.status), ephemeral=True)
