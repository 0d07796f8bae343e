"""Post digests to Discord: a header message, then one message per paper with 👍 and 👎.

One message per paper lets a reaction name exactly one paper; each message id
is committed as the item's ``message_ref`` (the id as a decimal string) as soon
as Discord accepted it, so a retry posts only what is missing and never doubles
a paper. Every message is sent with a nonce naming the delivery and the part
(``enforce_nonce``): when an attempt died or lost Discord's answer after the
message was created, the next attempt's send within Discord's nonce window
(a few minutes) returns that message instead of creating another.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
from typing import NoReturn

import aiohttp
import discord

from bot.club import CLOSE, POLL
from bot.delivery import HEADER, DeliveryTarget, DigestPost, TargetUnreachable
from bot.delivery.club import ClubPost
from bot.digest import Mention
from bot.discord.club import poll_content, poll_embeds, poll_view, winner_content
from bot.discord.cog import POSTING_PERMISSIONS, missing_channel_permissions
from bot.discord.embeds import FEEDBACK_EMOJI, header_content, paper_content, paper_embed
from bot.pauses import BOT_REMOVED, LEFT

log = logging.getLogger(__name__)

_NO_MENTIONS = discord.AllowedMentions.none()
#: Discord's JSON error code for a DM it refuses: "Cannot send messages to this user" (DMs closed, or no shared server).
CANNOT_DM = 50007
#: Discord's JSON error code for a server it does not know the bot in: "Unknown Guild" (the bot was removed from it).
UNKNOWN_GUILD = 10004


def allowed_mentions(mentions: tuple[Mention, ...]) -> discord.AllowedMentions:
    """Notify exactly the people a paper names (never @everyone or a role)."""
    users = [discord.Object(int(m.user_ref)) for m in mentions if m.user_ref.isdigit()]
    return discord.AllowedMentions(everyone=False, roles=False, replied_user=False, users=users) if users else _NO_MENTIONS


class DiscordPoster:
    """A :class:`bot.delivery.Poster` for Discord channels (``target.kind == "channel"``) and DMs (``"member"``).

    Parameters
    ----------
    client : discord.Client
        A logged-in client (its rate-limit handling stays on).
    loop : asyncio.AbstractEventLoop, optional
        The client's event loop; defaults to ``client.loop`` (set at login).
    timeout : float
        Seconds :meth:`post` waits for a whole digest (rate-limit sleeps included).

    Notes
    -----
    A channel the bot may not post in (``discord.Forbidden``, missing
    permissions, unknown channel) raises :class:`TargetUnreachable`; delivery
    then marks that day ``unreachable`` and does not retry it. The channel's
    configurer (``DigestPost.configurer``, chosen by the delivery layer: not
    again on later days while nobody changed the setup) gets one DM about it,
    at most once per channel and day in this process.
    """

    platform = "discord"

    def __init__(self, client: discord.Client, *, loop: asyncio.AbstractEventLoop | None = None, timeout: float = 300.0):
        self.client = client
        self.timeout = timeout
        self._loop = loop
        self._reported: set[tuple[int, dt.date]] = set()

    # -- the Poster protocol -----------------------------------------------------------
    def post(self, post: DigestPost) -> None:
        """Post a digest from a worker thread; blocks until done.

        Raises
        ------
        TargetUnreachable
            Missing permission, unknown channel or user, DMs closed.
        TimeoutError
            Not done within ``timeout`` seconds (the post is cancelled; refs set so far are kept).
        RuntimeError
            When called on the client's own event loop (use :meth:`post_async` there),
            or before the client logged in.
        discord.HTTPException
            Any other failure (delivery retries at the next run).
        """
        self._run(self.post_async(post), post)

    def post_club(self, post: ClubPost) -> None:
        """Post a journal club poll or its winner from a worker thread (:meth:`post_club_async`); blocks until done.

        Raises as :meth:`post`.
        """
        self._run(self.post_club_async(post), post)

    def _run(self, coroutine, post: DigestPost) -> None:
        loop = self._loop or self.client.loop
        if not isinstance(loop, asyncio.AbstractEventLoop):  # discord.py's placeholder until login
            coroutine.close()
            raise RuntimeError("the Discord client has not started (login) yet")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coroutine.close()
            raise RuntimeError("DiscordPoster.post blocks; on the client's loop await post_async instead")
        future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        try:
            future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"discord post to {post.target.kind} {post.target.ref} took over {self.timeout:g} s") from None

    async def post_async(self, post: DigestPost) -> None:
        """Post the header (unless posted before) and every unposted paper, on the client's loop.

        Records the header's and each paper's message id (a decimal string) on
        ``post`` right after Discord accepted it (the database write runs in a
        worker thread, off the event loop), then adds 👍 and 👎 under each paper
        (:func:`_add_feedback_reactions`: a refusal leaves the digest going).
        Raises as :meth:`post` does.
        """
        refused = False
        try:
            destination = await self._destination(post)
            if post.header_ref is None:
                header = await destination.send(header_content(post.digest), allowed_mentions=_NO_MENTIONS,
                                                nonce=post.idempotency_key(HEADER))
                await asyncio.to_thread(post.posted_header, str(header.id))
            for position, pick in post.unposted():
                named = post.digest.mentions.get(pick.paper_id, ())
                message = await destination.send(paper_content(named), embed=paper_embed(pick, position=position),
                                                 allowed_mentions=allowed_mentions(named),
                                                 nonce=post.idempotency_key(pick.paper_id))
                await asyncio.to_thread(post.posted_paper, pick.paper_id, str(message.id))
                refused = await _add_feedback_reactions(message, post, told=refused) or refused
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._unreachable(post, f"{exc.status} {exc.text or type(exc).__name__}", pause=await self._gone(post.target, exc))

    async def post_club_async(self, post: ClubPost) -> None:
        """Post the poll (text, an embed per paper, a Vote button each) or the winner, once, on the client's loop.

        Sent with the delivery's nonce like a digest header. A close then edits the
        poll message to its final count, without buttons.
        """
        assert post.ballot is not None
        try:
            destination = await self._destination(post)
            if post.header_ref is None:
                if post.stage == POLL:
                    view = poll_view(post.ballot)
                    message = await destination.send(poll_content(post.ballot), embeds=poll_embeds(post.ballot),
                                                     allowed_mentions=_NO_MENTIONS, nonce=post.idempotency_key(HEADER),
                                                     **({"view": view} if view is not None else {}))
                else:
                    message = await destination.send(winner_content(post.ballot), embeds=[paper_embed(p) for p in post.digest.papers],
                                                     allowed_mentions=_NO_MENTIONS, nonce=post.idempotency_key(HEADER))
                await asyncio.to_thread(post.posted_header, str(message.id))
            if post.stage == CLOSE and post.poll_ref and isinstance(destination, discord.abc.Messageable):
                await self._close_poll(destination, post)
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._unreachable(post, f"{exc.status} {exc.text or type(exc).__name__}", pause=await self._gone(post.target, exc))

    async def _close_poll(self, channel: discord.abc.Messageable, post: ClubPost) -> None:
        """Edit the poll message to its final count, without buttons. A poll message someone deleted
        (404) is left gone: the winner is posted by then, so the close is done, not unreachable."""
        assert post.ballot is not None and post.poll_ref is not None
        try:
            poll = await channel.fetch_message(int(post.poll_ref))
            await poll.edit(content=poll_content(post.ballot), view=None)
        except discord.NotFound:
            log.info("club poll message gone", extra={"channel": post.target.ref, "message_ref": post.poll_ref})

    # -- destinations -----------------------------------------------------------------
    async def _destination(self, post: DigestPost) -> discord.abc.Messageable:
        target = post.target
        if target.kind == "member":
            user_id = int(target.ref)
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            return user.dm_channel or await user.create_dm()
        channel_id = int(target.ref)
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            await self._unreachable(post, f"channel {channel_id} is not a text channel")
        me = getattr(getattr(channel, "guild", None), "me", None)
        if me is not None:
            missing = missing_channel_permissions(channel.permissions_for(me), thread=isinstance(channel, discord.Thread),
                                                  names=POSTING_PERMISSIONS)
            if missing:
                await self._unreachable(post, "missing permissions: " + ", ".join(missing))
        return channel

    async def _unreachable(self, post: DigestPost, detail: str, *, pause: str | None = None) -> NoReturn:
        target = post.target
        if target.kind == "channel" and pause is None:  # paused: nobody there could give a permission
            await self.report_unreachable(target, post.digest.day, detail, post.configurer)
        raise TargetUnreachable(f"discord {target.kind} {target.ref}: {detail}", pause=pause)

    async def _gone(self, target: DeliveryTarget, exc: discord.HTTPException) -> str | None:
        """Why Discord refused ``target`` for as long as the bot or the person stays out of its server: a
        :mod:`bot.pauses` reason, else None (a permission, a deleted channel, DMs closed: the usual report).

        :data:`~bot.pauses.BOT_REMOVED` when the bot is in no server of that id (removed while paperbot was
        offline, or a member's DM refused as the bot shares no server with them any more), or when a DM was
        refused (403, code 50007) and Discord answers the member question below with 404 Unknown Guild
        (code 10004: the bot was removed before the gateway said so); the delivery then pauses every channel of
        that server too, as ``GUILD_DELETE`` does. :data:`~bot.pauses.LEFT` when a DM was refused and the server
        no longer knows the member (``GET /guilds/{id}/members/{user}``: 404 Unknown Member; no privileged intent
        needed). When that question gets no answer (a connection error, a 5xx discord.py gave up on), the
        refusal stays "DMs closed", as without the question (logged): the DM was refused for good, only why is
        unknown, and the next day's refusal asks again.
        Only once connected (READY: the client knows every server it is in); a DM-only profile
        (workspace ``dm``) names no server, so its refusal stays "DMs closed".
        """
        if not self.client.is_ready() or not target.workspace.isdigit():
            return None
        guild = self.client.get_guild(int(target.workspace))
        if target.kind == "channel":
            return BOT_REMOVED if guild is None else None
        if exc.code != CANNOT_DM:
            return None
        if guild is None:
            return BOT_REMOVED
        try:
            await guild.fetch_member(int(target.ref))
        except discord.NotFound as missing:
            return BOT_REMOVED if missing.code == UNKNOWN_GUILD else LEFT
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as failed:
            log.warning("discord member check failed", extra={"guild": target.workspace, "user": target.ref,
                                                              "error": f"{type(failed).__name__}: {failed}"})
        return None

    # -- telling the configurer -----------------------------------------------------
    async def report_unreachable(self, target: DeliveryTarget, day: dt.date, detail: str, user_ref: str | None) -> bool:
        """DM ``user_ref`` (the channel's configurer) that its digest for ``day`` could not be posted; True when sent.

        Sent at most once per (channel, day) in this process; nobody is told
        when ``user_ref`` is None. A failure to DM is logged, never raised.
        """
        key = (target.id, day)
        if key in self._reported:
            return False
        self._reported.add(key)
        if user_ref is None:
            log.warning("discord channel unreachable, nobody to tell", extra={"channel": target.ref, "detail": detail})
            return False
        needed = ", ".join(name.replace("_", " ").title() for name in POSTING_PERMISSIONS)
        text = (
            f"I could not post the paper digest for {day:%a %d %b %Y} in <#{target.ref}> ({detail}).\n"
            f"Please give me {needed} in that channel (in a thread, Send Messages in Threads; and Add Reactions "
            "for my 👍/👎 under each paper), then run `/papers channel setup` there again; "
            "or turn the digest off with `/papers channel off`. I will not remind you again until the digest is set up again."
        )
        try:
            user_id = int(user_ref)
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            await user.send(text, allowed_mentions=_NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("discord unreachable report failed", extra={"channel": target.ref, "user": user_ref, "error": str(exc)})
            return False
        log.info("discord unreachable reported", extra={"channel": target.ref, "user": user_ref, "day": str(day)})
        return True


async def _add_feedback_reactions(message: discord.Message, post: DigestPost, *, told: bool) -> bool:
    """Add 👍 and 👎 under a paper's message; whether Discord refused one (logged once per post unless ``told``).

    The reactions are a convenience (anyone can add their own): a refusal (the Add Reactions permission
    taken away since the setup, a 5xx or 429 discord.py gave up on) leaves the digest going.
    """
    for emoji in FEEDBACK_EMOJI:
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:
            if not told:
                log.warning("discord reactions not added", extra={"target": post.target.ref, "message_id": message.id,
                                                                 "error": f"{exc.status} {exc.text or type(exc).__name__}"})
            return True
    return False
