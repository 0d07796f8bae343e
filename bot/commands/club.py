"""``/papers club``: a channel's weekly journal club, and the votes on its polls.

* ``club <weekday> <HH:MM>`` sets the club (the channel's timezone applies),
  ``club off`` ends it, ``club`` or ``club status`` tells the setting and the open poll.
* ``club vote <n>`` votes for paper ``n`` of the channel's open poll: the text
  fallback of the vote buttons, usable on every platform.

One vote per person and poll (a :class:`~recommender.store.ClubVote` row), changed
in place, each in one transaction; votes are refused once the poll is closed.
Posting the poll and the winner is :mod:`bot.delivery.club`'s, scheduled by
:mod:`bot.service.club_jobs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot import clock
from bot.club import CLOSE_AFTER, POLL, ClubBallot, ballot_lines
from bot.commands import channels, rows
from bot.commands.caller import Caller
from bot.commands.parse import UsageError
from bot.commands.reply import Reply
from bot.delivery.ballot import load_ballot
from recommender.store import Channel, ClubVote, Delivery

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

__all__ = ["ClubVoteResult", "club_off", "club_status", "current_ballot", "open_poll_id", "set_club", "vote", "vote_number"]


@dataclass
class ClubVoteResult:
    """What a vote button answers: the private reply, and the ballot to re-render the poll message with.

    ``ballot`` and ``message_ref`` (the poll message's platform reference) are None
    when nothing was recorded.
    """

    reply: Reply
    ballot: ClubBallot | None = None
    message_ref: str | None = None


def _when(channel: Channel) -> str:
    assert channel.club_weekday is not None
    return f"every {clock.WEEKDAYS[channel.club_weekday].capitalize()} at {channel.club_time} {channel.timezone}"


def set_club(commands: Commands, caller: Caller, weekday: int, time: str) -> Reply:
    """Set the caller's channel's club to ``weekday`` (0 = Monday) at ``time`` (``HH:MM``, the channel's timezone).

    A channel that had no row yet gets one with its daily digest off. Raises
    :class:`UsageError` in a direct message. The change is logged with who made it.
    """
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        if channel is None:
            channel = commands.channel(session, caller, create=True)
            assert channel is not None
            channel.enabled = False  # a club alone does not turn the daily digest on
        channel.club_weekday, channel.club_time, channel.club_since = weekday, time, commands.clock()
        if caller.channel_name and channel.name != caller.channel_name:
            channel.name = caller.channel_name
        channels.log_change(session, channel, caller, f"club {clock.WEEKDAYS[weekday]} {time}")
        when = _when(channel)
    return Reply(f"Journal club is on: {when}, the 3 papers this channel 👍'd most in the last 7 days go to a vote; "
                 f"the winner is announced {int(CLOSE_AFTER.total_seconds() // 3600)} hours later.", ephemeral=False)


def club_off(commands: Commands, caller: Caller) -> Reply:
    """End the caller's channel's club (a poll already posted still closes and names its winner)."""
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        if channel is None or channel.club_weekday is None:
            return Reply("This channel has no journal club.")
        channel.club_weekday = channel.club_time = None
        channels.log_change(session, channel, caller, "club off")
    return Reply("Journal club is off.", ephemeral=False)


def _open_poll(session, channel: Channel) -> Delivery | None:
    return session.scalar(
        select(Delivery)
        .where(Delivery.target_kind == POLL, Delivery.target_id == channel.id, Delivery.status == "posted")
        .order_by(Delivery.day.desc())
        .limit(1)
    )


def club_status(commands: Commands, caller: Caller) -> Reply:
    """The channel's club setting and its latest poll with the votes so far."""
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        lines = [f"Journal club: {_when(channel)}." if channel is not None and channel.club_weekday is not None
                 else f"This channel has no journal club. {caller.command('club', '<weekday> <HH:MM>')} sets one."]
        poll = _open_poll(session, channel) if channel is not None else None
        if poll is not None:
            ballot = load_ballot(session, poll, channel.name or channel.channel_ref, commands.clock())
            lines.append(f"{ballot.title}: " + ("closed." if ballot.closed else
                                                 f"open until {ballot.closes_at:%a %d %b %H:%M} UTC."))
            lines += [f"• {line}" for line in ballot_lines(ballot)]
    return Reply("\n".join(lines))


def vote(commands: Commands, caller: Caller, poll_id: int, paper_id: int) -> ClubVoteResult:
    """Record (or change) the caller's vote for ``paper_id`` in poll ``poll_id``, in one transaction.

    Refused, recording nothing, when the poll does not exist in the caller's
    workspace, the paper is not on its ballot, or voting has closed.
    """
    now = commands.clock()
    with commands.store.session() as session:
        poll = session.get(Delivery, poll_id)
        channel = session.get(Channel, poll.target_id) if poll is not None and poll.target_kind == POLL else None
        if poll is None or channel is None or poll.status != "posted" or channel.platform != caller.platform \
                or channel.workspace != caller.workspace:
            return ClubVoteResult(Reply("That poll is no longer open for votes.", ok=False))
        name = channel.name or channel.channel_ref
        ballot = load_ballot(session, poll, name, now)
        option = next((o for o in ballot.options if o.pick.paper_id == paper_id), None)
        if option is None:
            return ClubVoteResult(Reply("That paper is not on this week's ballot.", ok=False))
        if ballot.closed:
            return ClubVoteResult(Reply("Voting on this journal club poll has closed.", ok=False))
        member = commands.member(session, caller)
        query = select(ClubVote).where(ClubVote.poll_id == poll.id, ClubVote.member_id == member.id)
        row = session.scalar(query)
        if row is None:
            new = ClubVote(poll_id=poll.id, member_id=member.id, paper_id=paper_id, voted_at=now)
            row = rows.insert_or_get(session, new, query)
        row.paper_id, row.voted_at = paper_id, now
        session.flush()
        session.expire_all()
        ballot = load_ballot(session, session.get_one(Delivery, poll_id), name, now)
        ref = poll.message_ref
    text = (f"Your journal club vote: “{option.pick.title}”. Vote again to change it, until "
            f"{ballot.closes_at:%a %d %b %H:%M} UTC.")
    return ClubVoteResult(Reply(text), ballot, ref)


def open_poll_id(commands: Commands, caller: Caller) -> int | None:
    """The id of the caller's channel's latest posted poll (None in a DM or without one)."""
    if caller.channel_ref is None:
        return None
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        poll = _open_poll(session, channel) if channel is not None else None
        return poll.id if poll is not None else None


def vote_number(commands: Commands, caller: Caller, choice: int) -> Reply:
    """``/papers club vote <n>``: vote for paper ``n`` (1-based) of the channel's latest poll.

    Raises
    ------
    UsageError
        In a direct message, or ``n`` is not on the ballot.
    """
    with commands.store.session() as session:
        channel = commands.channel(session, caller)
        poll = _open_poll(session, channel) if channel is not None else None
        if poll is None:
            return Reply("This channel has no journal club poll to vote on.", ok=False)
        items = list(poll.items)
        if not 1 <= choice <= len(items):
            raise UsageError(f"this week's ballot has papers 1 to {len(items)}; `club vote {choice}` is not one")
        poll_id, paper_id = poll.id, items[choice - 1].paper_id
    return vote(commands, caller, poll_id, paper_id).reply


def current_ballot(commands: Commands, poll_id: int) -> ClubVoteResult | None:
    """Poll ``poll_id``'s ballot as the store has it now, with its message reference (None: no such poll).

    Adapters re-read it right before updating the poll message, one update at a
    time, so the last update shows every vote committed before it.
    """
    with commands.store.session() as session:
        poll = session.get(Delivery, poll_id)
        channel = session.get(Channel, poll.target_id) if poll is not None and poll.target_kind == POLL else None
        if poll is None or channel is None:
            return None
        ballot = load_ballot(session, poll, channel.name or channel.channel_ref, commands.clock())
        return ClubVoteResult(Reply(""), ballot, poll.message_ref)
