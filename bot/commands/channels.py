"""Channel setup: a team channel's daily digest turned on, changed, off, and its status; a channel removed or renamed.

Every change is logged with who made it (``channel_changes``); ``channel status``
lists the latest. The journal club and mentions settings log through :func:`log_change` too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.commands import events
from bot.commands.caller import Caller, actor_name, actor_user_ref
from bot.commands.parse import UsageError, parse_time, parse_timezone, plain_text
from bot.commands.reply import MAX_DIGEST_SIZE, MAX_TOPIC_CHARS, Reply, person
from bot.commands.rows import delete_target
from bot.digest import Mention, counted
from bot.pauses import paused_why
from recommender.store import Channel, ChannelChange, Delivery
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

log = logging.getLogger("bot.commands.handlers")


def log_change(session: Session, channel: Channel, caller: Caller, change: str) -> None:
    """Record one change of a channel's settings, with who made it (``channel status`` lists them)."""
    session.add(ChannelChange(channel_id=channel.id, actor=caller.actor, change=change, at=utcnow()))
    log.info("channel change", extra={"channel": channel.channel_ref, "actor": caller.actor, "change": change})


def setup(
    commands: Commands,
    caller: Caller,
    *,
    time: str | None = None,
    timezone: str | None = None,
    size: int | None = None,
    topic: str | None = None,
) -> Reply:
    """Turn on (or change) the daily digest of the caller's channel; every change is logged with who made it.

    Returns
    -------
    Reply
        Posted for the channel when something changed; private (``ephemeral``), with the current setup,
        when nothing did. Either way the setup is logged (``setup (no change)``), so the caller is the
        one told if digests cannot be posted there (:func:`bot.delivery._configurer`).
    """
    time = parse_time(time) if time else None
    timezone = parse_timezone(timezone) if timezone else None
    if size is not None and not 1 <= size <= MAX_DIGEST_SIZE:
        raise UsageError(f"digest size must be between 1 and {MAX_DIGEST_SIZE}")
    if topic is not None and topic.strip():
        topic = plain_text(topic)  # as an interest: NFKC, no invisible characters, no surrounding quotes
        if not topic:
            raise UsageError("a topic needs a letter or a digit (invisible characters and punctuation alone are none)")
    elif topic is not None:
        topic = ""
    if topic and len(topic) > MAX_TOPIC_CHARS:
        raise UsageError(f"a topic is at most {MAX_TOPIC_CHARS} characters ({len(topic)} given)")
    with commands.store.session() as session:
        channel = commands.channel(session, caller, create=True)
        assert channel is not None
        logged = session.scalar(select(ChannelChange.id).where(ChannelChange.channel_id == channel.id).limit(1))
        changes = [] if logged is not None else ["created"]
        if not channel.enabled:
            channel.enabled = True
            changes.append("enabled")
        if channel.paused:  # set up by someone there: the bot is back in the server (bot.pauses)
            channel.paused = None
            changes.append("resumed")
        if caller.channel_name and channel.name != caller.channel_name:
            channel.name = caller.channel_name
        for attr, value, label in (
            ("digest_time", time, "time"),
            ("timezone", timezone, "timezone"),
            ("digest_size", size, "size"),
            ("topic", topic, "topic"),
        ):
            if value is not None and getattr(channel, attr) != value:
                setattr(channel, attr, value)
                changes.append(f"{label}={value}")
        # Logged even when nothing changed: the caller becomes the channel's configurer, told when a digest cannot be
        # posted there, and a failure already told is told again (bot.delivery._configurer; docs/discord.md).
        log_change(session, channel, caller, "setup " + (", ".join(changes) or "(no change)"))
        line = summary(channel)
        if f"timezone={timezone}" in changes and channel.club_weekday is not None and channel.club_time:
            # the club's time is local to this timezone: say where it went (bot.commands.club._when's words)
            line += (f" The journal club now meets every {clock.WEEKDAYS[channel.club_weekday].capitalize()} "
                     f"at {channel.club_time} {channel.timezone}.")
    if not changes:  # the channel has nothing new to hear: only the caller is answered
        return Reply("Nothing to change: this channel's digest is on. " + line)
    return Reply("Channel digest is on. " + line, ephemeral=False)


def off(commands: Commands, caller: Caller) -> Reply:
    """Turn the caller's channel digest off (logged)."""
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        if channel is None:
            return Reply("This channel has no digest.")
        if not channel.enabled:
            return Reply("This channel's digest is already off.")
        channel.enabled = False
        log_change(session, channel, caller, "off")
    return Reply("Channel digest is off.", ephemeral=False)


def remove(commands: Commands, caller: Caller) -> Reply:
    """Delete the caller's channel, in one transaction: no more digests, journal club or mentions there.

    Unlike :func:`off`, nothing of it is kept: its settings, change log, digests and club polls
    go (:func:`bot.commands.rows.delete_target`); the 👍/👎 given in it stay with who gave them.
    The removal is logged (``channel removed``), as its change log goes with it.

    Returns
    -------
    Reply
        ``ok`` is False, and nothing changes, when the channel was never set up.

    Raises
    ------
    UsageError
        The caller is in a direct message.
    """
    with commands.store.session(immediate=True) as session:  # a digest being composed finishes first (held_row)
        channel = commands.channel(session, caller)
        if channel is None:
            return Reply("This channel has no digest: there is nothing to remove.", ok=False)
        name = channel.name or channel.channel_ref
        delete_target(session, channel)
    log.info("channel removed", extra={"channel": caller.channel_ref, "actor": caller.actor})
    return Reply(f"Removed #{name}: no more digests there. Its settings and change log are gone; "
                 "👍/👎 given in it stay with the people who gave them.", ephemeral=False)


def renamed(commands: Commands, platform: str, workspace: str, channel_ref: str, name: str,
            event: events.EventKey | None = None) -> bool:
    """The platform says channel ``channel_ref`` is now called ``name``: the stored name follows, in one transaction.

    Digest titles and ``channels list`` use the stored name. The rename is logged (actor: the
    platform, which names no person). Returns whether a stored channel changed; a channel
    paperbot does not know, or one already so named, changes nothing. ``event``, the platform's
    event, is recorded in the same transaction, also when nothing changes (:mod:`bot.commands.events`), so its
    retry never renames: not even when its first delivery found the name stored already (by a ``channel setup``
    typed just after the rename) or the channel not set up yet, and a later rename came since.

    Raises
    ------
    bot.commands.events.AlreadyHandled
        ``event`` was handled before (a retried rename never undoes a later one): nothing changes.
    """
    name = name.strip().lstrip("#")
    if not name:
        return False
    with commands.store.session(immediate=True) as session:
        events.claim(session, event, commands.clock())
        channel = session.scalar(select(Channel).where(
            Channel.platform == platform, Channel.workspace == workspace, Channel.channel_ref == channel_ref))
        if channel is None or channel.name == name:
            return False
        change = f"renamed #{channel.name or channel_ref} to #{name}"
        channel.name = name
        session.add(ChannelChange(channel_id=channel.id, actor=platform, change=change, at=utcnow()))
    log.info("channel renamed", extra={"channel": channel_ref, "change": change})
    return True


def status(commands: Commands, caller: Caller, history: int = 5) -> Reply:
    """The channel's digest settings, its last digest day and its ``history`` latest changes, each with who
    made it: a person as a mention where the platform has them (``Reply.people``), else their name."""
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        if channel is None:
            return Reply(f"This channel has no digest. {caller.command('channel setup')} turns one on.")
        changes = session.scalars(
            select(ChannelChange).where(ChannelChange.channel_id == channel.id).order_by(ChannelChange.id.desc()).limit(history)
        ).all()
        last = session.scalar(
            select(Delivery)
            .where(Delivery.target_kind == "channel", Delivery.target_id == channel.id, Delivery.status == "posted")
            .order_by(Delivery.day.desc())
            .limit(1)
        )
        missed = session.scalar(
            select(Delivery)
            .where(Delivery.target_kind == "channel", Delivery.target_id == channel.id,
                   Delivery.status.in_(("unreachable", "failed")),
                   *([Delivery.day > last.day] if last else []))
            .order_by(Delivery.day.desc())
            .limit(1)
        )
        state = f"Paused: {paused_why(channel.paused)}. " if channel.paused else "On. " if channel.enabled else "Off. "
        lines = [state + summary(channel)]
        lines.append(f"Last digest: {last.day.isoformat()}" if last else "Last digest: none yet")
        if missed is not None:
            lines.append(_missed_line(missed, caller.platform))
        people: dict[str, Mention] = {}
        if changes:
            lines.append("Recent changes:")
            for c in changes:
                lines.append(f"• {c.at:%Y-%m-%d %H:%M} UTC {_who(c.actor, caller.platform, people)}: {c.change}")
    return Reply("\n".join(lines), people=people)


def _missed_line(delivery: Delivery, platform: str) -> str:
    """Why the channel's latest digest after its last posted one did not arrive, and what to do.

    ``unreachable`` is never retried (the bot is not in the channel, the channel is archived…): the
    people of the channel are the ones who can fix it, and only ``channel status`` tells them.
    """
    detail = (delivery.error or "").split(": ")[-1].strip() or "no answer"
    if delivery.status == "failed":
        return f"The {delivery.day.isoformat()} digest has failed so far (`{detail}`); it is retried."
    return (f"The {delivery.day.isoformat()} digest could not be posted here (`{detail}`) and is not retried. "
            f"{_FIX.get(platform, 'Invite the bot to this channel, or unarchive it')}: the next day's digest then goes out.")


#: What the people of a channel do about an unreachable digest, per platform: a Discord channel has no
#: invitation and no archive, only the bot's permissions there (``bot.discord.cog.POSTING_PERMISSIONS``).
_FIX = {
    "slack": "Invite the bot to this channel (`/invite @paperbot`), or unarchive it",
    "discord": "Give the bot View Channel, Send Messages, Embed Links and Read Message History in this channel "
               "(and Add Reactions for its 👍/👎)",
}


def _who(actor: str, platform: str, people: dict[str, Mention]) -> str:
    """Who made a change, as :func:`~bot.commands.reply.person` (added to ``people``) when a person of
    ``platform`` did; the stored actor otherwise (the platform itself renamed the channel)."""
    user_ref = actor_user_ref(actor, platform)
    if user_ref is None:
        return actor
    people[user_ref] = Mention(user_ref, actor_name(actor))
    return person(people[user_ref])


def summary(channel: Channel) -> str:
    """One line: size, time, timezone and topic of a channel's digest."""
    topic = f" Topic: “{channel.topic}”." if channel.topic else " No topic yet: add one to steer the picks."
    return f"{counted(channel.digest_size, 'paper')} every day at {channel.digest_time} {channel.timezone}.{topic}"
