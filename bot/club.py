"""The weekly journal club as platform-neutral data: the ballot every adapter renders.

Each week, at the channel's club time, the papers the channel 👍'd most in the
last 7 days go on a ballot of at most :data:`BALLOT_SIZE`; each person has one
vote, which they may change until the poll closes :data:`CLOSE_AFTER` after it
was first posted; then the winner is announced with its link and who voted for it.
Storing and counting happen in :mod:`bot.commands.club` and
:mod:`bot.delivery.club`; adapters render a :class:`ClubBallot`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.digest import counted
from recommender.pick import Pick

#: Papers on a ballot.
BALLOT_SIZE = 3
#: How far back the channel's 👍 are counted when a poll is composed.
LIKES_WINDOW = dt.timedelta(days=7)
#: A poll closes this long after it was first posted (claimed): votes are taken until then.
CLOSE_AFTER = dt.timedelta(hours=24)
#: Delivery kinds (``deliveries.target_kind``) of a club's poll and of its close (the winner's announcement).
POLL, CLOSE = "club_poll", "club_close"


@dataclass
class ClubOption:
    """A paper on the ballot: its 👍 in the channel that week and who voted for it (display names)."""

    pick: Pick
    likes: int
    voters: list[str] = field(default_factory=list)


@dataclass
class ClubBallot:
    """A journal club poll as every adapter shows it.

    Attributes
    ----------
    poll_id : int
        The poll's ``deliveries`` row; vote buttons carry it.
    channel_name : str
    day : datetime.date
        The club's local day (the poll's slot).
    options : list of ClubOption
        In ballot order (most 👍 first); option ``n`` is voted with ``/papers club vote n``.
    closes_at : datetime.datetime
        When voting ends (aware, UTC).
    closed : bool
        The winner was announced (or voting time is over).
    """

    poll_id: int
    channel_name: str
    day: dt.date
    options: list[ClubOption]
    closes_at: dt.datetime
    closed: bool = False

    @property
    def votes(self) -> int:
        return sum(len(o.voters) for o in self.options)

    @property
    def winner(self) -> ClubOption | None:
        """Most votes; a tie goes to the option higher on the ballot (more 👍). None for an empty ballot."""
        if not self.options:
            return None
        return max(self.options, key=lambda o: (len(o.voters), -self.options.index(o)))

    @property
    def title(self) -> str:
        return f"Journal club for #{self.channel_name}, {self.day:%a %d %b %Y}"

    def intro(self) -> str:
        """One line under the title: what the ballot is and when it closes."""
        if self.closed:
            return "Voting is closed."
        return (f"The papers this channel 👍'd most in the last 7 days. One vote each, changeable until "
                f"{self.closes_at.astimezone(dt.UTC):%a %d %b %H:%M} UTC (`/papers club vote <n>` also works).")


def votes_phrase(option: ClubOption) -> str:
    """``"2 votes (ada, alan)"``, ``"1 vote (ada)"``, ``"no votes"``."""
    if not option.voters:
        return "no votes"
    return f"{counted(len(option.voters), 'vote')} ({', '.join(option.voters)})"


def likes_phrase(option: ClubOption) -> str:
    return f"👍 {option.likes}"


def ballot_lines(ballot: ClubBallot) -> list[str]:
    """The ballot as numbered plain-text lines: ``1. Title · 👍 3 · 2 votes (ada, alan)``."""
    return [f"{n}. {o.pick.title} · {likes_phrase(o)} · {votes_phrase(o)}" for n, o in enumerate(ballot.options, 1)]


def winner_text(ballot: ClubBallot) -> str:
    """The close's announcement: the winner, its link and who voted for it, as plain text."""
    winner = ballot.winner
    if winner is None:  # pragma: no cover - an empty poll is never posted, so never closed
        return "No paper this week."
    link = f" {winner.pick.url}" if winner.pick.url else f" ({winner.pick.ref})"
    if not winner.voters:
        return (f"Journal club pick: “{winner.pick.title}”{link}. Nobody voted, so it is the paper "
                "the channel 👍'd most.")
    return f"Journal club pick: “{winner.pick.title}”{link}, with {votes_phrase(winner)}."
