"""Test helpers for the Discord adapter: a dpytest patch, interaction doubles, a configured bot.

dpytest 0.7.0 fakes Discord's HTTP API and gateway for messages, embeds and
reactions, but (issue 129) its raw reaction events lack the ``type`` field
that discord.py 2.4+ reads, it ignores a message's ``enforce_nonce``, and it
cannot inject interactions. The first two are patched here; app-command
callbacks are called with :class:`FakeInteraction`, which records every response.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from typing import Any

import discord
import discord.ext.test as dpytest
from discord.ext.test import backend as dpytest_backend
from discord.ext.test import state as dpytest_state

from bot.commands import Commands
from bot.discord.client import PaperBot


def patch_dpytest_reactions(monkeypatch) -> None:
    """Give dpytest's raw reaction payloads the ``type`` (0 = normal) and ``burst`` fields discord.py 2.4+ reads."""
    for name in ("parse_message_reaction_add", "parse_message_reaction_remove"):
        original = getattr(dpytest_state.FakeState, name)

        def parse(self, data, _original=original):
            data.setdefault("type", 0)
            data.setdefault("burst", False)
            return _original(self, data)

        monkeypatch.setattr(dpytest_state.FakeState, name, parse)


def patch_dpytest_nonces(monkeypatch) -> None:
    """Make dpytest's message create honour ``enforce_nonce`` as Discord does: when the same author already
    created a message with that nonce in the channel, that message is returned and none is created.

    (Discord checks the past few minutes; this fake checks the whole channel.)
    """
    original = dpytest_backend.FakeHttp.send_message

    async def send_message(self, channel_id, *, params, _original=original):
        channel = sys._getframe(1).f_locals["channel"]  # dpytest reads its caller's `channel` local
        payload = params.payload or {}
        if payload.get("nonce") is not None and payload.get("enforce_nonce"):
            for data in dpytest_backend._cur_config.messages.get(channel.id, []):  # what the fake API holds
                if data.get("nonce") == payload["nonce"] and int(data["author"]["id"]) == self.state.user.id:
                    return data
        return await _original(self, channel_id, params=params)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)


async def make_bot(commands: Commands, monkeypatch, *, members=("ada", "alan", "grace"), channels=("reading", "locked")) -> PaperBot:
    """A :class:`PaperBot` wired to dpytest's fake Discord, with ``setup_hook`` run (no sync)."""
    patch_dpytest_reactions(monkeypatch)
    patch_dpytest_nonces(monkeypatch)
    # dpytest builds its fake guild through the member cache, which needs the members
    # intent; the bot itself runs with Intents.default() (see test_discord_runtime).
    intents = discord.Intents.default()
    intents.members = True
    bot = PaperBot(commands, intents=intents)
    dpytest.configure(bot, guilds=["Lab"], text_channels=list(channels), voice_channels=0, members=list(members))
    await bot._async_setup_hook()  # what login() does first: bind the client to the running loop
    await bot.setup_hook()
    return bot


def config() -> Any:
    """dpytest's current configuration (``.guilds``, ``.channels``, ``.members``, ``.client``)."""
    return dpytest.get_config()


@dataclass
class Sent:
    """One recorded answer to an interaction."""

    kind: str  # "response" or "followup"
    content: str | None
    embeds: list[discord.Embed]
    ephemeral: bool
    view: discord.ui.View | None = None  # the components sent with it


#: Seconds Discord waits for an interaction's response (an answer or a defer) before dropping it.
RESPONSE_DEADLINE = 3.0


class FakeResponse:
    """Records ``send_message`` and ``defer`` like :class:`discord.InteractionResponse`; a second response fails,
    and so does one later than :data:`RESPONSE_DEADLINE` after the interaction was made (Unknown interaction)."""

    def __init__(self, sent: list[Sent], created: float | None = None):
        self._sent = sent
        self._done = False
        self._created = time.monotonic() if created is None else created
        self.deferred_ephemeral: bool | None = None

    def is_done(self) -> bool:
        return self._done

    def _respond(self) -> None:
        if self._done:
            raise discord.InteractionResponded(None)  # type: ignore[arg-type]
        if time.monotonic() - self._created > RESPONSE_DEADLINE:
            raise discord.NotFound(_FakeHTTPResponse(404), {"code": 10062, "message": "Unknown interaction"})
        self._done = True

    async def send_message(self, content=None, *, embed=None, embeds=None, ephemeral=False, view=None, **_: Any) -> None:
        self._respond()
        self._sent.append(Sent("response", content, _embeds(embed, embeds), ephemeral, view))

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        self._respond()
        self.deferred_ephemeral = ephemeral


class FakeFollowup:
    """Records ``followup.send``; the first follow-up after a defer keeps the defer's visibility (as Discord does)."""

    def __init__(self, sent: list[Sent], response: FakeResponse, *, refuse_public: bool = False):
        self._sent = sent
        self._response = response
        self._refuse_public = refuse_public

    async def send(self, content=None, *, embed=None, embeds=None, ephemeral=False, view=None, **_: Any) -> None:
        if not self._response.is_done():
            raise discord.NotFound(_FakeHTTPResponse(404), "Unknown Webhook")
        first_after_defer = self._response.deferred_ephemeral is not None and not any(s.kind == "followup" for s in self._sent)
        if first_after_defer:
            ephemeral = self._response.deferred_ephemeral
        if self._refuse_public and not ephemeral:
            raise discord.Forbidden(_FakeHTTPResponse(403), {"code": 50013, "message": "Missing Permissions"})
        self._sent.append(Sent("followup", content, _embeds(embed, embeds), ephemeral, view))


class _FakeHTTPResponse:
    def __init__(self, status: int):
        self.status = status
        self.reason = "fake"


def _embeds(embed, embeds) -> list[discord.Embed]:
    out = list(embeds or [])
    if embed is not None:
        out.append(embed)
    return out


class FakeInteraction:
    """An interaction double for calling app-command callbacks directly.

    Parameters
    ----------
    user : discord.abc.User
        Who invoked the command (a dpytest member works).
    channel : discord.abc.Messageable, optional
        Where; ``None`` or a DM channel means a direct message (no guild).
    permissions : discord.Permissions
        The invoking user's permissions in the channel (``interaction.permissions``).
    app_permissions : discord.Permissions
        The bot's permissions in the channel.
    age : float
        Seconds since Discord created the interaction (spent on the gateway before the callback runs):
        ``created_at`` is that long ago, and so is the start of the response's 3 seconds.
    refuse_public : bool
        Discord refuses every follow-up for the channel (403 Missing Permissions); private ones go.
    """

    def __init__(self, user, channel=None, *, permissions: discord.Permissions | None = None,
                 app_permissions: discord.Permissions | None = None, age: float = 0.0, refuse_public: bool = False):
        self.user = user
        self.channel = channel
        guild = getattr(channel, "guild", None)
        self.guild = guild
        self.guild_id = guild.id if guild is not None else None
        self.channel_id = channel.id if channel is not None else None
        self.permissions = permissions if permissions is not None else discord.Permissions.none()
        self.app_permissions = app_permissions if app_permissions is not None else discord.Permissions.all()
        self.command = None
        self.sent: list[Sent] = []
        self.created_at = discord.utils.utcnow() - dt.timedelta(seconds=age)
        self.response = FakeResponse(self.sent, time.monotonic() - age)
        self.followup = FakeFollowup(self.sent, self.response, refuse_public=refuse_public)

    @property
    def answer(self) -> Sent:
        """The single answer (fails when there were several or none)."""
        assert len(self.sent) == 1, self.sent
        return self.sent[0]


def app_command(bot: PaperBot, path: str):
    """The ``/papers`` sub-command at ``path`` (``"channel setup"``) of the bot's cog."""
    node = bot.cog.app_command
    for name in path.split():
        node = node.get_command(name)
        assert node is not None, f"/papers {path} not found"
    return node


async def invoke(bot: PaperBot, path: str, interaction: FakeInteraction, **options: Any) -> FakeInteraction:
    """Call ``/papers <path>``'s callback with ``interaction`` and typed ``options``; returns the interaction."""
    command = app_command(bot, path)
    interaction.command = command  # as discord.py's Interaction.command gives it, group and all
    await command.callback(command.binding, interaction, **options)
    return interaction


def sent_messages() -> list[discord.Message]:
    """Every message the bot sent since the last call, oldest first (dpytest's sent queue, drained)."""
    out = []
    while not dpytest.sent_queue.empty():
        out.append(dpytest.get_message())
    return out


class ReactionLog:
    """Records the reactions the bot adds through the HTTP API (dpytest's ``add_reaction`` callback)."""

    def __init__(self):
        self.added: list[tuple[int, str]] = []

    async def __call__(self, message: discord.Message, emoji: str) -> None:
        self.added.append((message.id, str(emoji)))

    def on(self, message_id: int) -> list[str]:
        return [emoji for mid, emoji in self.added if mid == message_id]


def capture_components(monkeypatch) -> list[list[dict]]:
    """The components (button rows) of every message the bot sends from now on, in order (dpytest keeps none)."""
    components: list[list[dict]] = []
    original = dpytest_backend.FakeHttp.send_message

    async def send_message(self, channel_id, *, params, _original=original):
        channel = sys._getframe(1).f_locals["channel"]  # noqa: F841 - dpytest reads its caller's `channel` local
        components.append(list((params.payload or {}).get("components") or []))
        return await _original(self, channel_id, params=params)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)
    return components


def refuse_dms(monkeypatch) -> None:
    """From now on the fake API refuses the bot's DMs, as Discord does when the user allows none from the server
    or shares no server with the bot any more."""
    original = dpytest_backend.FakeHttp.send_message

    async def send_message(self, channel_id, *, params, _original=original):
        channel = sys._getframe(1).f_locals["channel"]  # dpytest reads its caller's `channel` local
        if isinstance(channel, discord.DMChannel):
            raise discord.Forbidden(_FakeHTTPResponse(403), {"code": 50007, "message": "Cannot send messages to this user"})
        return await _original(self, channel_id, params=params)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)


def patch_dpytest_people(monkeypatch) -> None:
    """Make dpytest's people endpoints answer as Discord does after someone left a server or the bot did.

    ``GET /users/{id}`` gives any user of the fake world (dpytest looked only among the first server's
    members, and failed without one); ``GET /guilds/{id}/members/{user}`` answers 404 Unknown Member
    (code 10007) for someone not in that server (dpytest failed on it). Each user's data is read now,
    while everyone is still a member somewhere.
    """
    from discord.ext.test import factories as dpytest_facts

    users = {m.id: dpytest_facts.dict_from_user(m._user) for g in config().guilds for m in g.members}

    async def get_user(self, user_id):
        return users[int(user_id)]

    async def get_member(self, guild_id, member_id):
        guild = self.state._get_guild(int(guild_id))
        member = guild.get_member(int(member_id)) if guild is not None else None
        if member is None:
            raise discord.NotFound(_FakeHTTPResponse(404), {"code": 10007, "message": "Unknown Member"})
        return dpytest_facts.dict_from_member(member)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "get_user", get_user)
    monkeypatch.setattr(dpytest_backend.FakeHttp, "get_member", get_member)


def refuse_dms_as_discord(monkeypatch, *, closed: tuple[int, ...] = ()) -> None:
    """From now on the fake API refuses a DM as Discord does (403, code 50007 "Cannot send messages to this
    user"): to a user who shares no server with the bot, and to the users ``closed`` names (who allow no DMs
    from the server's members)."""
    original = dpytest_backend.FakeHttp.send_message

    async def send_message(self, channel_id, *, params, _original=original):
        channel = sys._getframe(1).f_locals["channel"]  # dpytest reads its caller's `channel` local
        if isinstance(channel, discord.DMChannel):
            user_id = channel.recipient.id if channel.recipient is not None else None
            shared = any(g.get_member(user_id) is not None for g in self.state.guilds)
            if user_id in closed or not shared:
                raise discord.Forbidden(_FakeHTTPResponse(403), {"code": 50007, "message": "Cannot send messages to this user"})
        return await _original(self, channel_id, params=params)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)


def fail_dms(monkeypatch, status: int = 500) -> None:
    """From now on the fake API fails the bot's DMs with a server error (``status``, 5xx), as Discord does in an
    outage (discord.py's own retries exhausted): the delivery fails and is retried later, nobody is told."""
    original = dpytest_backend.FakeHttp.send_message

    async def send_message(self, channel_id, *, params, _original=original):
        channel = sys._getframe(1).f_locals["channel"]  # dpytest reads its caller's `channel` local
        if isinstance(channel, discord.DMChannel):
            raise discord.DiscordServerError(_FakeHTTPResponse(status), {"code": 0, "message": "Internal Server Error"})
        return await _original(self, channel_id, params=params)

    monkeypatch.setattr(dpytest_backend.FakeHttp, "send_message", send_message)


def fail_member_lookups(monkeypatch, failure: Exception) -> None:
    """From now on the fake API's ``GET /guilds/{id}/members/{user}`` raises ``failure``: a ``discord.NotFound``
    with code 10004 (Unknown Guild: the bot was removed from that server before the gateway said so), a
    ``discord.DiscordServerError`` (a 5xx discord.py's own retries gave up on) or an aiohttp connection error."""

    async def get_member(self, guild_id, member_id):
        raise failure

    monkeypatch.setattr(dpytest_backend.FakeHttp, "get_member", get_member)


def unknown_guild() -> discord.NotFound:
    """Discord's answer about a server the bot is not in: 404, code 10004 "Unknown Guild"."""
    return discord.NotFound(_FakeHTTPResponse(404), {"code": 10004, "message": "Unknown Guild"})


def server_error(status: int = 503) -> discord.DiscordServerError:
    """A 5xx Discord answered (discord.py's own retries exhausted)."""
    return discord.DiscordServerError(_FakeHTTPResponse(status), {"code": 0, "message": "Service Unavailable"})
