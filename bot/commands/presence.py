"""Who is still there: the bot removed from a workspace or back in it, a member who left (:mod:`bot.pauses`).

The platform's events call these (Discord's ``GUILD_DELETE``, ``GUILD_CREATE`` and ``GUILD_MEMBER_REMOVE``;
Slack's ``app_uninstalled`` and ``tokens_revoked``, an OAuth installation). Each runs in one transaction and
changes only what is not so already, so an event that arrives twice (a gateway replay, a reconnect's
``GUILD_CREATE``) changes nothing the second time; a Slack event is also recorded as handled in that transaction
(:mod:`bot.commands.events`), so its retry does nothing even after the app was installed again. Nothing is
deleted: a pause keeps every setting, interest and 👍/👎, unlike ``paperbot users remove`` and ``channels remove``
(:func:`bot.commands.rows.delete_target`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.commands import events
from bot.commands.caller import Caller
from bot.pauses import APP_UNINSTALLED, BOT_GONE, BOT_REMOVED, LEFT, back_why, paused_why
from recommender.store import Channel, ChannelChange, Member
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.commands.handlers import Commands

log = logging.getLogger("bot.commands.handlers")


@dataclass
class Presence:
    """What an event changed: the channels and members it paused or resumed (their ids)."""

    channels: list[int]
    members: list[int]

    def __bool__(self) -> bool:
        return bool(self.channels or self.members)


def _log(session: Session, channel: Channel, platform: str, change: str) -> None:
    """A change the platform made, in the channel's change log (``channel status`` lists it; the actor names nobody)."""
    session.add(ChannelChange(channel_id=channel.id, actor=platform, change=change, at=utcnow()))


def bot_removed(commands: Commands, platform: str, workspace: str) -> Presence:
    """The bot was removed from ``workspace`` (kicked, or the server deleted): pause its channels, in one transaction.

    Every channel there is paused (:data:`bot.pauses.BOT_REMOVED`, logged ``paused: the bot was removed
    from the server``): no digest, no club poll, no close of a poll still open (posted once it resumes); its settings and club
    stay, and one that was off stays off when it resumes. Members are
    not paused here: one who shares another server with the bot still gets their DMs, and one who shares
    none is paused when Discord first refuses their DM (:mod:`bot.discord.poster`). A channel of a server the bot
    never returns to is deleted for good by ``paperbot channels remove --platform discord`` (:func:`bot.cli.local.chat_channel`).

    Returns
    -------
    Presence
        The channels paused; empty when paperbot knows none there, or all were paused already (the event came twice).
    """
    with commands.store.session() as session:
        done = pause_channels(session, platform, workspace, BOT_REMOVED)
    if done:
        log.info("bot removed from workspace", extra={"platform": platform, "workspace": workspace,
                                                      "channels": done.channels})
    return done


def pause_channels(session: Session, platform: str, workspace: str, reason: str) -> Presence:
    """Pause every channel of ``workspace`` that is not paused yet, for ``reason``, in ``session``; each logs
    ``paused: <why>``. For :data:`~bot.pauses.SERVER_WIDE` reasons: from the event (:func:`bot_removed`) or in the
    transaction of a delivery Discord refused so (:mod:`bot.delivery`). Members are left alone (one may share
    another server with the bot)."""
    channels = session.scalars(select(Channel).where(
        Channel.platform == platform, Channel.workspace == workspace, Channel.paused.is_(None)).order_by(Channel.id)).all()
    for channel in channels:
        channel.paused = reason
        _log(session, channel, platform, f"paused: {paused_why(reason)}")
    return Presence([c.id for c in channels], [])


def bot_present(commands: Commands, platform: str, workspace: str) -> Presence:
    """The bot is in ``workspace`` (invited back, or there at a connect; the Slack app installed again): lift its
    :data:`~bot.pauses.BOT_GONE` pauses, in one transaction.

    Channels and members paused so resume as they were (digest, club, DM, mentions); each channel logs
    ``resumed: the bot is back in the server`` (``resumed: the app is installed again``). A member who
    :data:`~bot.pauses.LEFT` stays paused.

    Returns
    -------
    Presence
        What resumed; empty when nothing there was paused (one read, no write).
    """
    with commands.store.session() as session:
        channels = session.scalars(select(Channel).where(
            Channel.platform == platform, Channel.workspace == workspace, Channel.paused.in_(BOT_GONE))).all()
        members = session.scalars(select(Member).where(
            Member.platform == platform, Member.workspace == workspace, Member.paused.in_(BOT_GONE))).all()
        for channel in channels:
            _log(session, channel, platform, f"resumed: {back_why(channel.paused or '')}")
            channel.paused = None
        for member in members:
            member.paused = None
        done = Presence([c.id for c in channels], [m.id for m in members])
    if done:
        log.info("bot back in workspace", extra={"platform": platform, "workspace": workspace,
                                                 "channels": done.channels, "members": done.members})
    return done


def pause_workspace(session: Session, platform: str, workspace: str, reason: str) -> Presence:
    """Pause every channel and member of ``workspace`` that is not paused yet, for ``reason``, in ``session``.

    For a :data:`~bot.pauses.WORKSPACE_WIDE` reason (the Slack app gone: its bot token was the workspace's), from
    an event (:func:`app_removed`) or in the transaction of a delivery refused so (:mod:`bot.delivery`). Each
    channel logs ``paused: <why>``; one paused already (a member who left) keeps its reason.
    """
    channels = session.scalars(select(Channel).where(
        Channel.platform == platform, Channel.workspace == workspace, Channel.paused.is_(None)).order_by(Channel.id)).all()
    members = session.scalars(select(Member).where(
        Member.platform == platform, Member.workspace == workspace, Member.paused.is_(None)).order_by(Member.id)).all()
    for channel in channels:
        channel.paused = reason
        _log(session, channel, platform, f"paused: {paused_why(reason)}")
    for member in members:
        member.paused = reason
    done = Presence([c.id for c in channels], [m.id for m in members])
    if done:
        log.info("workspace paused", extra={"platform": platform, "workspace": workspace, "reason": reason,
                                            "channels": done.channels, "members": done.members})
    return done


def app_removed(commands: Commands, platform: str, workspace: str, event: events.EventKey | None = None) -> Presence:
    """The app was uninstalled from ``workspace``, or its bot token revoked (Slack's ``app_uninstalled``,
    ``tokens_revoked``): pause its channels and members (:data:`bot.pauses.APP_UNINSTALLED`), in one transaction
    that also records ``event`` (:func:`bot.commands.events.claim`).

    Nothing is deleted (settings, clubs, interests, subscriptions, 👍/👎 stay) and nothing is posted there
    until the app is installed again (:func:`bot_present`).

    Returns
    -------
    Presence
        What paused; empty when all was paused already (Slack sends both events for one uninstall).

    Raises
    ------
    bot.commands.events.AlreadyHandled
        ``event`` was handled before: nothing changes (a retry after a reinstall pauses nothing again).
    """
    with commands.store.session(immediate=True) as session:
        events.claim(session, event, commands.clock())
        return pause_workspace(session, platform, workspace, APP_UNINSTALLED)


def member_left(commands: Commands, platform: str, workspace: str, user_ref: str) -> bool:
    """``user_ref`` left ``workspace``: pause their member row there (:data:`bot.pauses.LEFT`), in one transaction.

    Their DM digest stops, and they are named nowhere (``who``, digest mentions); their interests,
    subscription, opt-in and 👍/👎 stay, so their teammates' community signal and the journal club's
    tally are unchanged, and they resume at their next command or 👍/👎 there
    (:func:`resume_caller`). ``paperbot users remove --platform`` deletes them for good instead.

    Returns
    -------
    bool
        Whether a row was paused: False for someone paperbot never knew there (nobody is created),
        or one already marked as left (the event came twice).
    """
    with commands.store.session() as session:
        member = session.scalar(select(Member).where(
            Member.platform == platform, Member.workspace == workspace, Member.user_ref == user_ref))
        if member is None or member.paused == LEFT:
            return False
        member.paused = LEFT
    log.info("member left", extra={"platform": platform, "workspace": workspace, "user": user_ref})
    return True


def resume_caller(session: Session, member: Member, caller: Caller) -> None:
    """Lift ``member``'s pause when ``caller`` acts from a channel of the member's workspace, in ``session``.

    A command or a reaction there shows both the person and the bot are in that server. A DM shows
    neither (a reaction on an old DM digest is possible after leaving), so it resumes nothing.
    """
    if member.paused is not None and caller.channel_ref is not None and caller.workspace == member.workspace:
        log.info("member resumed", extra={"platform": member.platform, "workspace": member.workspace,
                                          "user": member.user_ref, "was": member.paused})
        member.paused = None
