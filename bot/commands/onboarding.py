"""Onboarding by rating: a newcomer rates two rounds of papers, then gets their first picks.

A person with no interests, no feedback and no onboarding yet who asks for
picks (or anyone typing ``/papers start``) gets a direct message with
:data:`~recommender.ranking.onboarding.ROUND_SIZE` recent papers chosen to
cover the corpus, each with 👍/👎 buttons and a skip button. Once the round is
rated, a second round asks about what those ratings leave uncertain; once that
is rated (or on skip) come the first picks. Each rating is an ordinary
:class:`~recommender.store.Feedback` row, stored in one transaction with the
round's progress; the rounds shown are kept in the ``onboardings`` row, so a
restart continues where the person was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commands import rows
from bot.commands.caller import Caller
from bot.commands.reply import Reply
from bot.digest import counted
from recommender.onboarding import rating_round
from recommender.ranking.onboarding import ROUND_SIZE
from recommender.store import Feedback, Member, Onboarding, Paper
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

#: Rounds of papers to rate before the first picks.
ROUNDS = 2
#: ``Feedback.origin`` of a rating given during onboarding.
ORIGIN = "onboarding"

OPENING_TEXT = ("Welcome to paperbot! Rate {papers} with 👍 or 👎 (or skip the rest): "
                "they teach me what you read. Three ratings already change your picks.")
FOLLOW_UP_TEXT = "Thanks! {n} more, chosen from what your first ratings leave open:"
GONE_TEXT = "That paper is no longer available for feedback."
NOTHING_TEXT = "No recent papers to rate yet: try {start} once the first digests are in."
OVER_TEXT = ("Your onboarding is already over: your first picks came by direct message. "
             "{picks} shows your picks now; {start} rates more papers.")


def _row(session: Session, member: Member, *, lock: bool = False) -> Onboarding | None:
    query = select(Onboarding).where(Onboarding.member_id == member.id)
    return session.scalar(query.with_for_update() if lock else query)


def _rated(session: Session, member: Member) -> dict[int, int]:
    return {f.paper_id: f.value for f in session.scalars(select(Feedback).where(Feedback.member_id == member.id))}


def is_newcomer(session: Session, member: Member) -> bool:
    """No interests, no feedback and never onboarded: picks would be guesses."""
    return not member.interests and not _rated(session, member) and _row(session, member) is None


def start(cmds: Commands, caller: Caller, *, newcomers_only: bool = False) -> Reply | None:
    """Start (or start over) the caller's onboarding: the first round, to send by direct message.

    Parameters
    ----------
    newcomers_only : bool
        Start only when the caller is a newcomer (:func:`is_newcomer`); otherwise return None.

    Returns
    -------
    Reply or None
        ``dm`` and ``rating`` set, with the round's papers; ``ok`` False when
        the store holds no news paper to rate; None when ``newcomers_only`` and
        the caller is not a newcomer.
    """
    if newcomers_only:
        with cmds.store.session() as session:  # a plain read for everybody else's picks
            if not is_newcomer(session, cmds.member(session, caller)):
                return None
    with cmds.store.session(immediate=True) as session:
        member = cmds.member(session, caller)
        if newcomers_only and not is_newcomer(session, member):  # another request started it meanwhile
            return None
        picks = rating_round(cmds.recommender, session, member, set())
        if not picks:
            return Reply(NOTHING_TEXT.format(start=caller.command("start")), ok=False)
        now = utcnow()
        row = _row(session, member, lock=True)
        if row is None:
            query = select(Onboarding).where(Onboarding.member_id == member.id)
            row = rows.insert_or_get(session, Onboarding(member_id=member.id, rounds=[], started_at=now, updated_at=now), query)
        row.status, row.rounds, row.started_at, row.updated_at = "rating", [[p.paper_id for p in picks]], now, now
    return Reply(OPENING_TEXT.format(papers=counted(len(picks), 'recent paper')), picks, dm=True, rating=True)


def rate(cmds: Commands, caller: Caller, paper_id: int, value: int) -> Reply:
    """A 👍 (``value=1``) or 👎 (``-1``) on an onboarding paper; one transaction.

    Returns
    -------
    Reply
        A short private note while the round waits for more ratings; the next
        round (``dm`` and ``rating`` set) once this one is rated; the first
        picks (``dm`` set) after the last round. When the paper no longer exists
        nothing is stored, and the answer is ``ok`` False, unless it was the
        round's last paper unrated: the round is then complete, and moves on.
    """
    with cmds.store.session(immediate=True) as session:
        if session.get(Paper, paper_id) is None:  # deleted since the round was sent
            member = rows.find_member(session, caller)  # a stale or forged button creates nobody
            row = _row(session, member, lock=True) if member is not None else None
            if member is None or row is None or row.status != "rating" or paper_id not in row.rounds[-1]:
                return Reply(GONE_TEXT, ok=False)
            return _round_rated(cmds, session, member, row) or Reply(GONE_TEXT, ok=False)
        member = cmds.member(session, caller)
        cmds.set_feedback(session, caller, paper_id, value, ORIGIN, None)
        session.flush()
        row = _row(session, member, lock=True)
        noted = "👍" if value > 0 else "👎"
        if row is None or row.status != "rating" or paper_id not in row.rounds[-1]:
            return Reply(noted + " noted. Your next picks reflect it.")
        row.updated_at = utcnow()
        if (moved := _round_rated(cmds, session, member, row)) is not None:
            return moved
        standing = _standing(session, row)
        done = len([p for p in standing if p in _rated(session, member)])
        return Reply(f"{noted} noted ({done} of {len(standing)} in this round).")


def _standing(session: Session, row: Onboarding) -> list[int]:
    """The round in progress's papers still stored (a paper deleted since is not waited for)."""
    return [p for p in row.rounds[-1] if session.get(Paper, p) is not None]


def _round_rated(cmds: Commands, session: Session, member: Member, row: Onboarding) -> Reply | None:
    """Once every stored paper of the round in progress is rated: the next round, or the first picks
    (the onboarding done); None while some are left."""
    rated = _rated(session, member)
    if any(p not in rated for p in _standing(session, row)):
        return None
    row.updated_at = utcnow()
    if len(row.rounds) < ROUNDS:
        shown = {p for r in row.rounds for p in r}
        picks = rating_round(cmds.recommender, session, member, shown)
        if picks:
            row.rounds = [*row.rounds, [p.paper_id for p in picks]]
            return Reply(FOLLOW_UP_TEXT.format(n=len(picks)), picks, dm=True, rating=True)
    row.status = "done"
    return _first_picks(cmds, session, member, f"Thanks, that's {counted(len(rated), 'rating')}.")


def skip(cmds: Commands, caller: Caller) -> Reply:
    """Skip the rest of onboarding (what was rated stays) and answer with the first picks, by direct message.

    Only a round in progress is skipped: a second press (a double click, an old message's button, a
    press after the last rating) answers privately that onboarding is over and sends no picks again;
    the row lock makes two presses at once one skip.
    """
    with cmds.store.session(immediate=True) as session:
        member = rows.find_member(session, caller)  # a stale or forged button creates nobody
        row = _row(session, member, lock=True) if member is not None else None
        if member is None or row is None or row.status != "rating":
            return Reply(OVER_TEXT.format(picks=caller.command("picks"), start=caller.command("start")), ok=False)
        row.status, row.updated_at = "skipped", utcnow()
        return _first_picks(cmds, session, member, "Onboarding skipped.")


def current(cmds: Commands, caller: Caller) -> Reply | None:
    """The unrated papers of the caller's round in progress (after a restart), or None when none is."""
    with cmds.store.session() as session:
        member = cmds.member(session, caller)
        row = _row(session, member)
        if row is None or row.status != "rating":
            return None
        rated = _rated(session, member)
        picks = rows.stored_picks(session, [p for p in row.rounds[-1] if p not in rated])
    return Reply(f"Round {len(row.rounds)} of {ROUNDS}, {len(picks)} left to rate:", picks, dm=True, rating=True)


def _first_picks(cmds: Commands, session: Session, member: Member, lead: str) -> Reply:
    papers = cmds.recommender.picks(session, [member], member.digest_size)[0]
    if not papers:
        return Reply(f"{lead} No new papers to pick from yet.", dm=True)
    return Reply(f"{lead} Your first {counted(len(papers), 'pick')}:", papers, dm=True)


__all__ = ["ORIGIN", "ROUNDS", "ROUND_SIZE", "current", "is_newcomer", "rate", "skip", "start"]
