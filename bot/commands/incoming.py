"""Events a platform delivered and paperbot has not settled yet: kept, settled, dispatched again.

Slack takes an Events API callback as delivered once it got the app's ``200``, and Bolt answers before
the listener runs, so a process killed in between would lose the event. The adapter keeps each event
(:func:`keep`, table ``incoming_events``) in a transaction of its own before it answers. The event is
settled (its row deleted):

* in the transaction of its effect, by :func:`bot.commands.events.claim` beside its ``handled_events`` row;
* by :func:`settle`, once a delivery ended without an error: it found the event done
  (``AlreadyHandled``) or nothing to do (a reaction that is no 👍/👎, a file outside the bot's DM).

What is left, a delivery killed or failed, is handed back by :func:`take_due` once
:data:`REPLAY_AFTER` passed since it came (or since it was last dispatched again), at most
:data:`MAX_REPLAYS` times and within :data:`bot.commands.events.KEPT`; then it is dropped.
Its effect still happens once: ``handled_events`` decides, also between two processes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, func, or_, select

from bot.commands.events import KEPT, EventKey
from recommender.store import IncomingEvent
from recommender.store.dialects import dialect_insert

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

#: How long an event is left to the delivery at work before it is dispatched again: one received this
#: recently may still be in a listener, of this process or of another one serving the same app.
REPLAY_AFTER = dt.timedelta(minutes=2)
#: How many times an event is dispatched again before it is dropped (a delivery failing each time).
MAX_REPLAYS = 3
#: The most events :func:`take_due` hands back at once.
BATCH = 50


@dataclass(frozen=True)
class Pending:
    """An event kept and not settled: ``payload`` as :func:`keep` stored it, ``received_at`` (UTC) when it
    first came, ``replays`` how many times it was dispatched again, this one included."""

    event: EventKey
    workspace: str | None
    payload: str
    received_at: dt.datetime
    replays: int


def keep(cmds: Commands, event: EventKey, workspace: str | None, payload: str, now: dt.datetime) -> bool:
    """Store a received event, committed before the platform is answered; True when it was not kept already
    (a retry of an event still pending keeps its first ``received_at``).

    Raises
    ------
    sqlalchemy.exc.SQLAlchemyError
        The database could not store it (the adapter then answers with an error, so the platform retries).
    """
    with cmds.store.session(immediate=True) as session:
        return session.scalar(
            dialect_insert(session, IncomingEvent.__table__)
            .values(platform=event.platform, event_id=event.event_id, kind=event.kind, workspace=workspace,
                    payload=payload, received_at=now, replays=0)
            .on_conflict_do_nothing(index_elements=["platform", "event_id"])
            .returning(IncomingEvent.event_id)
        ) is not None


def settle(cmds: Commands, event: EventKey) -> None:
    """Delete the event's row, if kept: a delivery ended without error (nothing is dispatched again).

    Most often its effect's transaction deleted it already: that is read first, without a write (on SQLite a
    write waits for the write lock, which a large import holds for long)."""
    mine = (IncomingEvent.platform == event.platform, IncomingEvent.event_id == event.event_id)
    with cmds.store.session() as session:
        if session.scalar(select(IncomingEvent.event_id).where(*mine)) is None:
            return
    with cmds.store.session(immediate=True) as session:
        session.execute(delete(IncomingEvent).where(*mine))


def take_due(cmds: Commands, platform: str, now: dt.datetime) -> tuple[list[Pending], list[Pending]]:
    """The events of ``platform`` to dispatch again now, and those dropped, in one transaction.

    Due: not settled, last received or dispatched :data:`REPLAY_AFTER` before ``now``, dispatched
    again fewer than :data:`MAX_REPLAYS` times; each is counted as dispatched again at ``now`` before
    this returns, so a second process (or a second call) does not take it before its own wait is over
    (PostgreSQL: rows another process is taking are skipped, not waited for). At most :data:`BATCH`,
    oldest first. Dropped (deleted): those received more than :data:`bot.commands.events.KEPT`
    ago, or dispatched again :data:`MAX_REPLAYS` times and still not settled after the wait.
    """
    waited = now - REPLAY_AFTER
    last = func.coalesce(IncomingEvent.replayed_at, IncomingEvent.received_at)
    ours = IncomingEvent.platform == platform
    with cmds.store.session() as session:  # most often nothing: then no write (nor SQLite's write lock) is taken
        if session.scalar(select(IncomingEvent.event_id).where(ours, or_(
                last <= waited, IncomingEvent.received_at < now - KEPT)).limit(1)) is None:
            return [], []
    with cmds.store.session(immediate=True) as session:
        gone = session.scalars(select(IncomingEvent).where(ours, or_(
            IncomingEvent.received_at < now - KEPT, and_(IncomingEvent.replays >= MAX_REPLAYS, last <= waited)))
            .with_for_update(skip_locked=True)).all()
        dropped = [_pending(row) for row in gone]
        for row in gone:
            session.delete(row)
        rows = session.scalars(select(IncomingEvent).where(ours, IncomingEvent.replays < MAX_REPLAYS, last <= waited)
                               .order_by(IncomingEvent.received_at).limit(BATCH).with_for_update(skip_locked=True)).all()
        due = [_pending(row, row.replays + 1) for row in rows]
        for row in rows:
            row.replays, row.replayed_at = row.replays + 1, now
        return due, dropped


def _pending(row: IncomingEvent, replays: int | None = None) -> Pending:
    return Pending(EventKey(row.platform, row.event_id, row.kind), row.workspace, row.payload, row.received_at,
                   row.replays if replays is None else replays)


__all__ = ["BATCH", "MAX_REPLAYS", "REPLAY_AFTER", "Pending", "keep", "settle", "take_due"]
