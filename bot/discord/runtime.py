"""``paperbot run`` with Discord: the client, its poster and its lifecycle (a :class:`bot.runtime.ChatRuntime`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

import aiohttp
import discord

from bot.commands import Commands
from bot.delivery import Poster
from bot.discord.client import PaperBot
from bot.discord.poster import DiscordPoster
from bot.runtime import AdapterStartError
from bot.settings import Secrets, Settings

log = logging.getLogger(__name__)


class DiscordStartError(AdapterStartError):
    """Discord could not start: token refused, discord.com unreachable, command sync refused, the members intent
    asked for but not granted. No token in it."""


#: What to do when ``[discord] members_intent = true`` asks for an intent the Developer Portal does not grant.
MEMBERS_INTENT_FIX = ("turn on Server Members Intent in the Discord Developer Portal (your application → Bot → "
                      "Privileged Gateway Intents), or set [discord] members_intent = false")


def members_intent_granted(application: discord.AppInfo | None) -> bool:
    """Whether the Developer Portal grants ``application`` the Server Members Intent (its ``flags``: the switch on,
    ``gateway_guild_members_limited``, or a verified app's approval, ``gateway_guild_members``); True when unknown."""
    if application is None:
        return True
    flags = application.flags
    return flags.gateway_guild_members or flags.gateway_guild_members_limited


def _os_reason(err: OSError | None) -> str:
    """``Name or service not known``, ``Connection refused``... (asyncio's own text names the address)."""
    if isinstance(err, socket.gaierror) or (err is not None and not err.errno):
        return (err.strerror if err is not None else None) or str(err) or "connection failed"
    return os.strerror(err.errno) if err is not None else "connection failed"


def _why(exc: BaseException) -> str:
    """One line saying why logging in failed."""
    if isinstance(exc, discord.LoginFailure):
        return "the token was refused: check DISCORD_TOKEN (Bot tab → Reset Token)"
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered HTTP {exc.status}" + (f": {exc.text}" if exc.text else "")
    if isinstance(exc, aiohttp.ClientConnectorError):
        where = exc.host if exc.port in (None, 80, 443) else f"{exc.host}:{exc.port}"
        return f"cannot reach {where} ({_os_reason(exc.os_error)})"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "cannot reach discord.com (timed out)"
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        return f"cannot reach discord.com ({exc or type(exc).__name__})"
    return f"{type(exc).__name__}: {exc}"


class DiscordRuntime:
    """The Discord adapter as ``paperbot run`` drives it.

    Parameters
    ----------
    commands : Commands
        The platform-neutral command layer.
    token : str
        The bot token (never logged).
    sync_commands : bool
        Sync the ``/papers`` command tree with Discord at login.
    client : PaperBot, optional
        A prepared client (tests); one is made when omitted.
    members_intent : bool
        Ask for the privileged members intent too (``GUILD_MEMBER_REMOVE``: a member who left a server), and
        for nothing more with it: no server's member list is fetched or kept; ``discord.Intents.default()`` otherwise.
    """

    name = "discord"

    def __init__(self, commands: Commands, token: str, *, sync_commands: bool = False, client: PaperBot | None = None,
                 members_intent: bool = False):
        self.commands = commands
        intents = discord.Intents.default()
        intents.members = members_intent
        # The members intent is for GUILD_MEMBER_REMOVE alone: discord.py would also ask the gateway for every
        # server's member list (at each connect, delaying READY, and at a join) and keep every member in memory.
        self.client = client or PaperBot(
            commands, sync_commands=sync_commands, intents=intents, chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.from_intents(discord.Intents.default()))
        self._token = token
        self._task: asyncio.Task | None = None
        self.poster = DiscordPoster(self.client)

    def posters(self) -> dict[str, Poster]:
        """``{"discord": DiscordPoster}``; the poster posts once :meth:`start` returned."""
        return {"discord": self.poster}

    async def start(self) -> None:
        """Log in (runs ``setup_hook``, syncing commands if asked), then connect in a background task.

        Raises
        ------
        DiscordStartError
            The token was rejected, Discord could not be reached, syncing the
            commands failed, or the members intent is asked for (``[discord] members_intent``) and the
            application's settings do not grant it (read at login: Discord would close the gateway,
            ``PrivilegedIntentsRequired``). The client (and its HTTP session) is closed first.
        """
        try:
            await self.client.login(self._token)
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.client.close()
            raise DiscordStartError(f"Discord login failed: {_why(exc)}") from exc
        if self.client.intents.members and not members_intent_granted(self.client.application):
            with contextlib.suppress(Exception):
                await self.client.close()
            raise DiscordStartError("Discord refuses the Server Members Intent that [discord] members_intent = true "
                                    f"asks for: {MEMBERS_INTENT_FIX}")
        self._task = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")
        self._task.add_done_callback(_log_exit)
        log.info("discord starting")

    async def stop(self) -> None:
        """Close the gateway and HTTP session, then wait for the connection task to end."""
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        log.info("discord stopped")


def _log_exit(task: asyncio.Task) -> None:
    if task.cancelled() or task.exception() is None:
        return
    if isinstance(task.exception(), discord.PrivilegedIntentsRequired):  # the portal's switch turned off since the start
        log.error(f"discord gateway stopped: Discord refuses the Server Members Intent: {MEMBERS_INTENT_FIX}; "
                  "paperbot runs on without Discord until restarted")
        return
    log.error("discord gateway stopped", exc_info=task.exception())


def create_runtime(commands: Commands, settings: Settings, secrets: Secrets, *, sync_commands: bool = False) -> DiscordRuntime:
    """The Discord runtime for ``paperbot run``.

    Parameters
    ----------
    commands : Commands
        The command layer (its store is also the poster's).
    settings : Settings
        ``settings.discord.sync_commands`` turns on syncing too; ``settings.discord.members_intent`` asks for the
        privileged members intent.
    secrets : Secrets
        ``secrets.discord_token`` (environment variable ``DISCORD_TOKEN``).
    sync_commands : bool
        Sync the command tree at login (the CLI flag).

    Raises
    ------
    RuntimeError
        When ``DISCORD_TOKEN`` is not set.
    """
    if secrets.discord_token is None or not secrets.discord_token.get_secret_value().strip():
        raise RuntimeError("DISCORD_TOKEN is not set: export the bot token from the Discord developer portal")
    return DiscordRuntime(
        commands,
        secrets.discord_token.get_secret_value().strip(),
        sync_commands=sync_commands or settings.discord.sync_commands,
        members_intent=settings.discord.members_intent,
    )
