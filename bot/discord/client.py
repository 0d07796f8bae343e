"""The Discord client: the ``/papers`` commands, 👍/👎 reactions on digest messages, journal club vote buttons,
channels renamed or deleted, the bot removed from a server or back, a member who left.

Uses ``discord.Intents.default()`` (and the privileged members intent only when
``[discord] members_intent`` asks for it): app commands need no intent, and the
default set includes guild and DM reactions. Reactions are read with the raw
events, so they count on messages posted before a restart (not in the cache).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from discord.ext import commands as dcommands

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands
from bot.commands.caller import NO_WORKSPACE
from bot.discord.club import handle_club_button
from bot.discord.cog import PLATFORM, PapersCog
from bot.discord.embeds import THUMBS_DOWN, THUMBS_UP

log = logging.getLogger(__name__)

#: Emoji modifiers Discord keeps in a reaction's name: skin tones and the emoji presentation selector.
_MODIFIERS = {chr(c) for c in range(0x1F3FB, 0x1F400)} | {"\ufe0f"}
_VALUES = {THUMBS_UP: POSITIVE, THUMBS_DOWN: NEGATIVE}


def reaction_value(emoji: discord.PartialEmoji) -> int | None:
    """``+1`` for 👍, ``-1`` for 👎 (any skin tone), ``None`` for any other or custom emoji."""
    if emoji.id is not None or not emoji.name:
        return None
    return _VALUES.get("".join(ch for ch in emoji.name if ch not in _MODIFIERS))


class PaperBot(dcommands.Bot):
    """paperbot's Discord client.

    Parameters
    ----------
    commands : Commands
        The platform-neutral command layer.
    sync_commands : bool
        Sync the app command tree with Discord in ``setup_hook`` (after the
        commands changed; not needed at every start).
    intents : discord.Intents, optional
        Defaults to ``discord.Intents.default()`` (no privileged intents).
    **options
        Passed to :class:`discord.ext.commands.Bot`.
    """

    def __init__(self, commands: Commands, *, sync_commands: bool = False, intents: discord.Intents | None = None, **options: Any):
        options.setdefault("help_command", None)
        super().__init__(command_prefix=dcommands.when_mentioned, intents=intents or discord.Intents.default(), **options)
        self.paper_commands = commands
        self.sync_commands = sync_commands
        self.cog: PapersCog | None = None

    async def setup_hook(self) -> None:
        """Add the ``/papers`` cog; sync the command tree only when asked to.

        Raises
        ------
        discord.HTTPException
            When syncing was asked for and failed.
        """
        self.cog = PapersCog(self.paper_commands)
        await self.add_cog(self.cog)
        if self.sync_commands:
            synced = await self.tree.sync()
            log.info("discord commands synced", extra={"commands": len(synced)})

    async def on_ready(self) -> None:
        log.info("discord connected", extra={"user": str(self.user), "guilds": len(self.guilds)})

    # -- channels renamed ------------------------------------------------------------------
    async def on_guild_channel_update(self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel) -> None:
        """A channel renamed in the server: its stored name follows (digest and journal club titles say it).

        ``CHANNEL_UPDATE`` comes with the default ``guilds`` intent. A database error is logged as a
        warning and the rename is lost (the next ``/papers channel setup`` there stores the name).
        """
        if before.name == after.name:
            return
        try:
            await asyncio.to_thread(self.paper_commands.channel_renamed, PLATFORM, str(after.guild.id), str(after.id), after.name)
        except Exception as exc:  # a database error: discord.py would log the handler's traceback at ERROR
            log.warning("channel rename failed", extra={"channel": after.id, "error": f"{type(exc).__name__}: {exc}"})

    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A channel deleted in the server: its digest, journal club and change log go (``Commands.channel_remove``).

        Discord never reuses a channel id, and nobody can run ``/papers channel off`` in a channel
        that is gone. The 👍/👎 given there stay with who gave them. A channel deleted while the
        bot was offline is reported to its configurer at its next digest, as an unreachable one.
        """
        me = str(self.user.id) if self.user is not None else PLATFORM
        caller = Caller(PLATFORM, str(channel.guild.id), me, display_name="channel deleted in Discord",
                        channel_ref=str(channel.id), channel_name=channel.name)
        try:
            await asyncio.to_thread(self.paper_commands.channel_remove, caller)
        except Exception as exc:  # a database error: discord.py would log the handler's traceback at ERROR
            log.warning("channel removal failed", extra={"channel": channel.id, "error": f"{type(exc).__name__}: {exc}"})

    # -- the bot removed from a server, back in one; a member who left ----------------------------
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed from a server (kicked, or the server deleted; ``GUILD_DELETE``, default ``guilds``
        intent; a server only unavailable in an outage is not this): its channels pause, settings and clubs
        kept (``Commands.bot_removed``), until the bot is back."""
        await self._presence("bot removal", self.paper_commands.bot_removed, PLATFORM, str(guild.id))

    async def on_guild_join(self, guild: discord.Guild) -> None:
        """The bot was added to a server (again): what paused when it was removed resumes (``Commands.bot_present``)."""
        await self._presence("bot return", self.paper_commands.bot_present, PLATFORM, str(guild.id))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A server the bot is in, at a connect: one it was added back to while paperbot was offline resumes too."""
        await self._presence("bot return", self.paper_commands.bot_present, PLATFORM, str(guild.id))

    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A member left a server (or was kicked or banned): their DM digest and mentions there pause
        (``Commands.member_left``), their 👍/👎 and settings kept.

        ``GUILD_MEMBER_REMOVE`` needs the privileged members intent (``[discord] members_intent``);
        without it Discord never sends it, and a subscriber who left is paused when Discord first
        refuses their DM (:mod:`bot.discord.poster`).
        """
        if payload.user.bot or (self.user is not None and payload.user.id == self.user.id):
            return
        await self._presence("member leave", self.paper_commands.member_left, PLATFORM, str(payload.guild_id),
                             str(payload.user.id))

    async def _presence(self, what: str, change, *args: str) -> None:
        try:
            await asyncio.to_thread(change, *args)
        except Exception as exc:  # a database error: discord.py would log the handler's traceback at ERROR
            log.warning(f"{what} failed", extra={"workspace": args[1], "error": f"{type(exc).__name__}: {exc}"})

    # -- journal club vote buttons -------------------------------------------------------
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A journal club vote button (any other interaction is the app commands' business)."""
        if interaction.type == discord.InteractionType.component:
            lock = self.cog.club_edits if self.cog is not None else asyncio.Lock()
            await handle_club_button(self.paper_commands, interaction, lock)

    # -- reactions -----------------------------------------------------------------
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """👍/👎 added to a digest message: record the reacting user's feedback."""
        await self.handle_reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """👍/👎 removed from a digest message: retract that feedback."""
        await self.handle_reaction(payload, added=False)

    async def handle_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> bool:
        """Record (or retract) one reaction; returns whether it was feedback on a paper the bot posted.

        The bot's own reactions, other bots' reactions, other emoji and
        messages the bot did not post with a paper are ignored.
        """
        if self.user is not None and payload.user_id == self.user.id:
            return False
        if payload.member is not None and payload.member.bot:
            return False
        value = reaction_value(payload.emoji)
        if value is None:
            return False
        name = payload.member.display_name if payload.member is not None else None
        recorded = await asyncio.to_thread(self._record, payload, value, added, name)
        if recorded:
            log.info(
                "discord reaction", extra={"message_id": payload.message_id, "user": payload.user_id, "value": value, "added": added}
            )
        return recorded

    def _record(self, payload: discord.RawReactionActionEvent, value: int, added: bool, name: str | None) -> bool:
        message_ref = str(payload.message_id)
        if payload.guild_id is None:  # a DM: the command layer finds whose digest it was
            caller = Caller(PLATFORM, NO_WORKSPACE, str(payload.user_id), display_name=name)
            return self.paper_commands.dm_reaction(caller, message_ref, value, added=added)
        caller = Caller(PLATFORM, str(payload.guild_id), str(payload.user_id), display_name=name,
                        channel_ref=str(payload.channel_id))
        return self.paper_commands.reaction(caller, message_ref, value, added=added)
