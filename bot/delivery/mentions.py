"""Who a channel digest's papers name: chosen once, with the papers, before anything is posted.

When a channel has mentions on, each of its digest's papers names the one or
two opted-in people of the workspace it fits best (at least
:func:`recommender.teammates.min_fit`), and nobody is named more than once a
day across all the workspace's channel digests of that (local) day.

The choice is stored as :class:`~recommender.store.Mention` rows in the same
transaction as the digest's papers (the delivery items), before the first
message goes out, the claim-before-post rule of digests applied to names:

* a resumed digest (process killed, post failed) reads the same rows back and
  names the same people under the same papers, never a second time;
* the unique (member, day) row is the cap: two channel digests of a workspace
  composed at the same moment cannot both name one person (the second insert
  fails and that digest moves on to its next best fit);
* an unreachable channel gives back the names of the papers it never posted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.commands.mentions import opted_in
from bot.digest import Mention as Named
from recommender.picks import Recommender
from recommender.store import Channel, Delivery, Mention, Paper
from recommender.teammates import MemberFit, member_fits

#: People named under one paper at most.
PER_PAPER = 2


def fits(session: Session, recommender: Recommender, channel: Channel, paper_ids: list[int], day: dt.date,
         now: dt.datetime) -> list[MemberFit]:
    """How well each opted-in person of ``channel``'s workspace not yet named on ``day`` fits each paper, best first.

    A read: :func:`plan` stores the names from it. Computed before the transaction that stores them,
    so that on SQLite other writers do not wait for the ranking of every opted-in person.
    """
    if not channel.mentions or not paper_ids:
        return []
    taken = set(session.scalars(select(Mention.member_id).where(Mention.day == day)))
    people = [m for m in opted_in(session, channel.platform, channel.workspace) if m.id not in taken]
    by_id = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))}
    return member_fits(recommender, session, [by_id[i] for i in paper_ids if i in by_id], people, now=now)


def plan(session: Session, channel: Channel, delivery: Delivery, found: list[MemberFit]) -> int:
    """Store who each of ``delivery``'s papers names, from ``found`` (:func:`fits`); returns how many people were named.

    Call it in the transaction that adds the delivery items (the first attempt
    only). Greedy over the (person, paper) pairs, best fit first: a pair is taken
    when the paper names fewer than :data:`PER_PAPER` people and the person is
    not named anywhere that day yet (read again here: another digest may have named them since).
    """
    if not channel.mentions or not delivery.items:
        return 0
    taken = set(session.scalars(select(Mention.member_id).where(Mention.day == delivery.day)))
    papers = {item.paper_id for item in delivery.items}
    named: Counter[int] = Counter()
    for fit in found:
        if fit.member_id in taken or fit.paper_id not in papers or named[fit.paper_id] >= PER_PAPER:
            continue
        taken.add(fit.member_id)
        row = Mention(member_id=fit.member_id, day=delivery.day, delivery_id=delivery.id, paper_id=fit.paper_id,
                      score=fit.score, basis=fit.basis)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another digest of the workspace named them a moment ago, or they were removed
            continue
        named[fit.paper_id] += 1
    return sum(named.values())


def named(session: Session, delivery_id: int) -> dict[int, tuple[Named, ...]]:
    """``paper_id`` -> the people its message names, best fit first, each with what their fit was based on
    (what :func:`plan` stored)."""
    out: dict[int, list[Named]] = {}
    rows = session.scalars(select(Mention).where(Mention.delivery_id == delivery_id)
                           .order_by(Mention.paper_id, Mention.score.desc(), Mention.id))
    for row in rows:
        out.setdefault(row.paper_id, []).append(Named(row.member.user_ref, row.member.name, row.basis))
    return {paper_id: tuple(people) for paper_id, people in out.items()}


def release_unposted(session: Session, delivery: Delivery) -> None:
    """Give back the names of papers that were never posted (the target is unreachable: they never will be)."""
    unposted = [item.paper_id for item in delivery.items if item.message_ref is None]
    if unposted:
        session.execute(delete(Mention).where(Mention.delivery_id == delivery.id, Mention.paper_id.in_(unposted)))


__all__ = ["PER_PAPER", "named", "plan", "release_unposted"]
