"""The ``/papers`` app commands: a thin translation of Discord interactions to :class:`bot.commands.Commands`.

Every callback builds a :class:`~bot.commands.Caller` from the interaction,
runs the neutral command in a worker thread (the store is synchronous) and
renders the :class:`~bot.commands.Reply`: text as message content, papers as
embeds. Answers are ephemeral unless the reply is meant for the channel
(``channel setup`` / ``channel off``) or the caller passes ``share: True``:
then the channel gets who shared which command and its papers as
:meth:`~bot.commands.Commands.share` gives them, without the asker's own
marks ("Why this paper" and "you 👎 this" read the asker's profile); see
:mod:`bot.discord.answers`.
Every defer is private (:mod:`bot.discord.timely`): whether an answer is for
the channel is known only once it is made (a newcomer's picks are a note about
a DM, a failure is private), and a deferred answer keeps the defer's visibility.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands as dcommands

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands, Reply, UsageError, timezone_choices, usage_reply
from bot.commands.caller import NO_WORKSPACE
from bot.commands.library import MAX_LIBRARY_BYTES
from bot.commands.parse import parse_time, parse_weekday
from bot.commands.reply import MAX_DIGEST_SIZE
from bot.digest import counted
from bot.discord.answers import answer, shared_reply
from bot.discord.rating import DM_CLOSED, DM_SENT, send_dm
from bot.discord.timely import timely
from bot.discord.usage import command_word
from bot.platforms import DISCORD_PLATFORM

log = logging.getLogger(__name__)

PLATFORM = DISCORD_PLATFORM

#: What the bot needs in a digest channel (attribute names of discord.Permissions).
CHANNEL_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "read_message_history", "add_reactions")
#: Of those, what posting a digest needs: without Add Reactions it goes out without the bot's 👍/👎 under papers.
POSTING_PERMISSIONS = CHANNEL_PERMISSIONS[:4]
#: The rest: what the bot's own 👍/👎 under each paper need.
REACTING_PERMISSIONS = CHANNEL_PERMISSIONS[4:]


def caller_of(interaction: discord.Interaction) -> Caller:
    """The neutral caller of an interaction.

    ``workspace`` is the guild id (:data:`~bot.commands.caller.NO_WORKSPACE` outside a guild), ``user_ref`` the
    user id, ``channel_ref`` the channel id (``None`` in a DM).
    """
    guild_id = interaction.guild_id
    channel = interaction.channel
    in_guild = guild_id is not None and interaction.channel_id is not None
    return Caller(
        platform=PLATFORM,
        workspace=str(guild_id) if guild_id is not None else NO_WORKSPACE,
        user_ref=str(interaction.user.id),
        display_name=getattr(interaction.user, "display_name", None) or interaction.user.name,
        channel_ref=str(interaction.channel_id) if in_guild else None,
        channel_name=getattr(channel, "name", None) if in_guild else None,
    )


def missing_channel_permissions(permissions: discord.Permissions, *, thread: bool = False,
                                names: tuple[str, ...] = CHANNEL_PERMISSIONS) -> list[str]:
    """Names (as Discord shows them) of the permissions of ``names`` missing from ``permissions``.

    In a thread (``thread``) Send Messages means Send Messages in Threads, which Discord checks there.
    """
    if permissions.administrator:
        return []
    wanted = [("send_messages_in_threads" if thread and name == "send_messages" else name) for name in names]
    return [name.replace("_", " ").title() for name in wanted if not getattr(permissions, name)]


def permissions_warning(permissions: discord.Permissions, thread: bool) -> str:
    """What ``channel setup`` adds when the bot lacks a permission there ("" when it has them all)."""
    missing = missing_channel_permissions(permissions, thread=thread, names=POSTING_PERMISSIONS)
    if missing:
        missing += missing_channel_permissions(permissions, names=REACTING_PERMISSIONS)
        return "\n⚠️ I cannot post digests here yet: I am missing " + ", ".join(missing) + " in this channel."
    if missing_channel_permissions(permissions, names=REACTING_PERMISSIONS):
        return ("\n⚠️ I am missing Add Reactions in this channel: digests go out without my 👍/👎 under each paper "
                "(yours still count).")
    return ""


class PapersCog(dcommands.GroupCog, group_name="papers", group_description="Paper picks for your team"):
    """``/papers``: search, picks, interests, subscriptions, channel digests and feedback.

    Parameters
    ----------
    commands : Commands
        The platform-neutral command layer every callback calls.
    """

    interests = app_commands.Group(name="interests", description="What you read about")
    channel = app_commands.Group(name="channel", description="This channel's daily digest")
    mentions = app_commands.Group(name="mentions", description="Name the teammates each digest paper fits best")
    club = app_commands.Group(name="club", description="This channel's weekly journal club")

    def __init__(self, commands: Commands):
        self.commands = commands
        self.club_edits = asyncio.Lock()  # journal club poll messages are edited one at a time

    async def _run(self, interaction: discord.Interaction, call: Callable[[], Reply], *, share: str | None = None) -> None:
        """Run ``call`` in a worker thread (:func:`~bot.discord.timely.timely`) and answer.

        ``share``: the command as the channel is told it was run (``search diffusion``); its papers are then
        posted for the channel through :meth:`~bot.commands.Commands.share`, without the asker's marks.
        """
        try:
            reply = await timely(interaction, asyncio.to_thread(call))
        except UsageError as exc:
            reply = usage_reply(exc, command_word(interaction))  # that command's usage
        notice = reply.notice  # told privately whatever answer replaces this one (bot.commands.dm_notice)
        if reply.dm and reply.ok:  # onboarding: the round goes by DM, the command gets a private note
            share = None  # the channel hears nothing of one person's DM
            try:
                await send_dm(interaction.user, reply, caller_of(interaction).workspace)
            except discord.Forbidden:  # the person does not accept DMs from this server's members
                log.info("discord dm refused", extra={"user": interaction.user.id})
                reply = Reply(DM_CLOSED, ok=False)
            else:
                reply = Reply(DM_SENT.format(papers=counted(len(reply.papers), "paper")))
        if share is not None and interaction.guild_id is not None and reply.ok and reply.papers:  # a DM has no channel
            reply = await shared_reply(self.commands, interaction, reply, share)
        reply.notice = notice
        await answer(interaction, reply)

    async def _timezones(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_choices(current)]

    # -- reading ---------------------------------------------------------------------
    @app_commands.command(name="search", description="Find stored papers")
    @app_commands.describe(query="Words to look for", share="Post the results for the channel to see")
    async def search(self, interaction: discord.Interaction, query: str, share: bool = False) -> None:
        """``/papers search query [share]``."""
        caller = caller_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # private, as every defer (see answer)
        await self._run(interaction, lambda: self.commands.search(caller, query), share=f"search {query}" if share else None)

    @app_commands.command(name="picks", description="Your picks, now")
    @app_commands.describe(count="How many papers (default: your digest size)", share="Post your picks for the channel to see")
    async def picks(self, interaction: discord.Interaction, count: app_commands.Range[int, 1, MAX_DIGEST_SIZE] | None = None,
                    share: bool = False) -> None:
        """``/papers picks [count] [share]``."""
        caller = caller_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # private: a newcomer gets a note about a DM
        told = f"picks {count}" if count else "picks"  # as the channel is told it was run
        await self._run(interaction, lambda: self.commands.picks(caller, count), share=told if share else None)

    # -- onboarding ------------------------------------------------------------------
    @app_commands.command(name="start", description="Rate a few recent papers so your picks learn what you read")
    async def start(self, interaction: discord.Interaction) -> None:
        """``/papers start``: the first round of papers to rate comes by DM."""
        caller = caller_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._run(interaction, lambda: self.commands.start(caller))

    @dcommands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A rating button (:mod:`bot.discord.rating`): the rating, then the next round or the first picks by DM."""
        from bot.discord.onboarding import rating_press  # bot.discord.onboarding imports this module

        await rating_press(self.commands, interaction)

    # -- interests -------------------------------------------------------------------
    @interests.command(name="add", description="Add an interest that steers your picks")
    @app_commands.describe(text="A topic, e.g. graph neural networks")
    async def interests_add(self, interaction: discord.Interaction, text: str) -> None:
        """``/papers interests add text``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.interests_add(caller, text))

    @interests.command(name="remove", description="Remove one of your interests")
    @app_commands.describe(text="The interest to remove, as listed")
    async def interests_remove(self, interaction: discord.Interaction, text: str) -> None:
        """``/papers interests remove text``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.interests_remove(caller, text))

    @interests.command(name="list", description="List your interests")
    async def interests_list(self, interaction: discord.Interaction) -> None:
        """``/papers interests list``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.interests_list(caller))

    # -- subscriptions -------------------------------------------------------------
    @app_commands.command(name="subscribe", description="Your own picks by DM every day")
    @app_commands.describe(time="Local time, 24-hour HH:MM (e.g. 08:30)", timezone="IANA timezone, e.g. Europe/Berlin")
    async def subscribe(self, interaction: discord.Interaction, time: str | None = None, timezone: str | None = None) -> None:
        """``/papers subscribe [time] [timezone]``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.subscribe(caller, time, timezone))

    @subscribe.autocomplete("timezone")
    async def _subscribe_timezone(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._timezones(interaction, current)

    @app_commands.command(name="unsubscribe", description="Stop your daily DM")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        """``/papers unsubscribe``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.unsubscribe(caller))

    # -- channel digests -------------------------------------------------------------
    async def _may_manage(self, interaction: discord.Interaction, what: str) -> bool:
        """Refuse (privately) outside a guild channel or without Manage Channels; ``what`` follows ``/papers``."""
        if interaction.guild_id is None:
            await answer(interaction, Reply(f"`/papers {what}` works in a server channel, not in a DM.", ok=False))
            return False
        if not interaction.permissions.manage_channels:
            await answer(
                interaction,
                Reply(f"`/papers {what}` needs the Manage Channels permission in this channel.", ok=False),
            )
            return False
        return True

    @channel.command(name="setup", description="Turn on (or change) this channel's daily digest")
    @app_commands.describe(
        time="Local time, 24-hour HH:MM (e.g. 09:00)",
        timezone="IANA timezone, e.g. Europe/Berlin",
        size="Papers per digest (1-20)",
        topic="What this channel reads about; steers the picks",
    )
    async def channel_setup(
        self,
        interaction: discord.Interaction,
        time: str | None = None,
        timezone: str | None = None,
        size: app_commands.Range[int, 1, 20] | None = None,
        topic: str | None = None,
    ) -> None:
        """``/papers channel setup [time] [timezone] [size] [topic]``; needs Manage Channels."""
        if not await self._may_manage(interaction, "channel setup"):
            return
        caller = caller_of(interaction)
        try:
            reply = await timely(interaction, asyncio.to_thread(
                lambda: self.commands.channel_setup(caller, time=time, timezone=timezone, size=size, topic=topic)
            ))
        except UsageError as exc:
            reply = usage_reply(exc, command_word(interaction))  # that command's usage
        else:
            reply.text += permissions_warning(interaction.app_permissions, isinstance(interaction.channel, discord.Thread))
        await answer(interaction, reply)

    @channel_setup.autocomplete("timezone")
    async def _setup_timezone(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._timezones(interaction, current)

    @channel.command(name="off", description="Turn off this channel's daily digest")
    async def channel_off(self, interaction: discord.Interaction) -> None:
        """``/papers channel off``; needs Manage Channels."""
        if not await self._may_manage(interaction, "channel off"):
            return
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.channel_off(caller))

    @channel.command(name="status", description="This channel's digest settings and recent changes")
    async def channel_status(self, interaction: discord.Interaction) -> None:
        """``/papers channel status``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.channel_status(caller))

    # -- journal club ------------------------------------------------------------------
    @club.command(name="set", description="A weekly vote on the 3 papers this channel 👍'd most")
    @app_commands.describe(weekday="Day of the week, e.g. thursday", time="Local time (the channel's timezone), HH:MM")
    async def club_set(self, interaction: discord.Interaction, weekday: str, time: str) -> None:
        """``/papers club set weekday time``; needs Manage Channels. Each option parsed alone (as a line, ``vote`` would vote)."""
        if not await self._may_manage(interaction, "club"):
            return
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.club_set(caller, parse_weekday(weekday), parse_time(time)))

    @club.command(name="off", description="End this channel's journal club")
    async def club_off(self, interaction: discord.Interaction) -> None:
        """``/papers club off``; needs Manage Channels."""
        if not await self._may_manage(interaction, "club"):
            return
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.club_off(caller))

    @club.command(name="status", description="This channel's journal club and its open vote")
    async def club_status(self, interaction: discord.Interaction) -> None:
        """``/papers club status``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.club_status(caller))

    @club.command(name="vote", description="Vote for a paper of this week's journal club (or use its buttons)")
    @app_commands.describe(number="The paper's number on the ballot")
    async def club_vote(self, interaction: discord.Interaction, number: app_commands.Range[int, 1, 3]) -> None:
        """``/papers club vote number``: the text fallback of the vote buttons."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.club_vote(caller, number))
        poll_id = await asyncio.to_thread(self.commands.club_poll_id, caller) if caller.channel_ref else None
        if poll_id is not None:  # the poll message shows the vote too
            from bot.discord.club import refresh_poll  # bot.discord.club imports this module

            await refresh_poll(self.commands, interaction.channel, poll_id, self.club_edits)

    # -- feedback --------------------------------------------------------------------
    @app_commands.command(name="like", description="👍 a paper: your next picks move toward it")
    @app_commands.describe(paper="arXiv id or link, DOI, or #<id> as shown under a paper")
    async def like(self, interaction: discord.Interaction, paper: str) -> None:
        """``/papers like paper``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.rate(caller, paper, POSITIVE))

    @app_commands.command(name="dislike", description="👎 a paper: your next picks move away from it")
    @app_commands.describe(paper="arXiv id or link, DOI, or #<id> as shown under a paper")
    async def dislike(self, interaction: discord.Interaction, paper: str) -> None:
        """``/papers dislike paper``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.rate(caller, paper, NEGATIVE))

    @app_commands.command(name="unrate", description="Take back your 👍 or 👎 on a paper")
    @app_commands.describe(paper="arXiv id or link, DOI, or #<id> as shown under a paper")
    async def unrate(self, interaction: discord.Interaction, paper: str) -> None:
        """``/papers unrate paper``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.unrate(caller, paper))

    # -- the teammate who should read this ------------------------------------------------
    @app_commands.command(name="who", description="The teammates a paper fits best, with why (only you see it)")
    @app_commands.describe(paper="arXiv id or link, DOI, or #<id> as shown under a paper")
    async def who(self, interaction: discord.Interaction, paper: str) -> None:
        """``/papers who paper``: answered privately (an ephemeral follow-up)."""
        caller = caller_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self._run(interaction, lambda: self.commands.who(caller, paper))

    @mentions.command(name="on", description="This channel's digest names who each paper fits best")
    async def mentions_on(self, interaction: discord.Interaction) -> None:
        """``/papers mentions on``; needs Manage Channels, like the channel's other settings."""
        if not await self._may_manage(interaction, "mentions on"):
            return
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.mentions_channel(caller, True))

    @mentions.command(name="off", description="This channel's digest names nobody")
    async def mentions_off(self, interaction: discord.Interaction) -> None:
        """``/papers mentions off``; needs Manage Channels."""
        if not await self._may_manage(interaction, "mentions off"):
            return
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.mentions_channel(caller, False))

    @mentions.command(name="me", description="Whether digest papers that fit you may name you (at most once a day)")
    @app_commands.describe(state="on: you may be named; off: never")
    @app_commands.choices(state=[app_commands.Choice(name="on", value="on"), app_commands.Choice(name="off", value="off")])
    async def mentions_me(self, interaction: discord.Interaction, state: app_commands.Choice[str]) -> None:
        """``/papers mentions me on|off``: the caller's own opt-in in this server (a DM names no server)."""
        if interaction.guild_id is None:
            reply = Reply("`/papers mentions me` works in a server channel: you opt in per server.", ok=False)
            return await answer(interaction, reply)
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.mentions_me(caller, state.value == "on"))

    # -- library -------------------------------------------------------------------
    @app_commands.command(name="import", description="Your library (BibTeX, RIS, Zotero CSL-JSON) as 👍")
    @app_commands.describe(file="An export of your reference manager: .bib, .ris or CSL-JSON")
    async def import_library(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        """``/papers import file``: the attachment is downloaded and handed to the command layer; answered privately."""
        caller = caller_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if file.size > MAX_LIBRARY_BYTES:
            reply = Reply(f"`{file.filename}` is larger than {MAX_LIBRARY_BYTES // 1_000_000} MB; nothing imported.", ok=False)
            return await answer(interaction, reply)
        try:
            data = await file.read()
        except discord.HTTPException as exc:
            reply = Reply(f"`{file.filename}` could not be downloaded ({exc.status}); nothing imported.", ok=False)
            return await answer(interaction, reply)
        await self._run(interaction, lambda: self.commands.import_library(caller, data, file.filename))

    @app_commands.command(name="help", description="What /papers can do")
    async def help(self, interaction: discord.Interaction) -> None:
        """``/papers help``."""
        caller = caller_of(interaction)
        await self._run(interaction, lambda: self.commands.help(caller))

    async def cog_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Log an unexpected failure and tell the caller privately instead of leaving them waiting."""
        log.exception("app command failed", exc_info=error, extra={"command": getattr(interaction.command, "qualified_name", None)})
        reply = Reply("Something went wrong on my side; please try again later.", ok=False)
        try:
            await answer(interaction, reply)
        except discord.HTTPException:
            pass
