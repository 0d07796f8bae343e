"""A platform event's effect, done once however often the platform delivers the event.

Slack redelivers an Events API callback when it did not get the app's answer within 3 s
(the same ``event_id``, with ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``): up to three
times over about five minutes, also while the first delivery is still being handled. An adapter
hands the command layer the event as an :class:`EventKey`; the command records it with
:func:`claim` in the transaction of the event's effect (a library import, a 👍/👎 reaction, a
channel rename), as its first write, and deletes the event's ``incoming_events`` row there (the event
kept before Slack got its answer, :mod:`bot.commands.incoming`). So they are committed together or not at all:

* a delivery of an event already done, in this process or another, after a restart too, finds the
  row and raises :class:`AlreadyHandled` (the transaction rolls back: nothing is written, nothing
  is answered);
* a delivery beside one still in its transaction waits for it (PostgreSQL: the key's insert waits for
  the other's commit; SQLite: ``BEGIN IMMEDIATE`` waits for the write lock), then finds the row;
* a retry of an event whose first delivery failed, or was killed, before committing does the work.

An answer with nothing stored (a file that is no library) is recorded alone by :func:`record`
before it is sent. Rows older than :data:`KEPT` are deleted, at most once an hour per process (on PostgreSQL
skipping rows another process is deleting, so two never wait on each other).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from recommender.store import HandledEvent, IncomingEvent
from recommender.store.dialects import dialect_insert

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

#: How long a handled event's id is kept: Slack's last retry comes about five minutes after the event.
KEPT = dt.timedelta(days=1)
#: Seconds between two deletions of ids older than :data:`KEPT` by one process.
FORGET_EVERY_SECONDS = 3600.0

_forgetting = threading.Lock()
_next_forget = 0.0  # time.monotonic() from which the next claim deletes old ids


@dataclass(frozen=True)
class EventKey:
    """A platform's event: ``platform`` (``slack``), ``event_id`` (the platform's id, the same in every
    delivery of the event), ``kind`` (``file_shared``, ``reaction_added``…, kept for reading the table)."""

    platform: str
    event_id: str
    kind: str


class AlreadyHandled(Exception):  # noqa: N818 - it is no error: the event was done before
    """The event was handled before (its id is recorded): nothing was done, nothing is to be answered."""

    def __init__(self, event: EventKey):
        super().__init__(f"{event.platform} event {event.event_id} ({event.kind}) was handled already")
        self.event = event


def claim(session: Session, event: EventKey | None, now: dt.datetime) -> None:
    """Record ``event`` as handled in ``session``'s transaction: call before the effect's first write.

    Nothing to record for ``event`` None (a command typed, a Discord event).

    Raises
    ------
    AlreadyHandled
        Its id is recorded by a committed transaction (on PostgreSQL, after waiting for one in progress).
    """
    if event is None:
        return
    _forget_old(session, now)
    inserted = session.scalar(
        dialect_insert(session, HandledEvent.__table__)
        .values(platform=event.platform, event_id=event.event_id, kind=event.kind, handled_at=now)
        .on_conflict_do_nothing(index_elements=["platform", "event_id"])
        .returning(HandledEvent.event_id)  # no row when the id was there (psycopg's rowcount says -1 either way)
    )
    if inserted is None:
        raise AlreadyHandled(event)
    session.execute(delete(IncomingEvent).where(  # settled with its effect: never dispatched again (bot.commands.incoming)
        IncomingEvent.platform == event.platform, IncomingEvent.event_id == event.event_id))


def record(cmds: Commands, event: EventKey | None) -> None:
    """:func:`claim` in a transaction of its own, for an answer that stores nothing, before it is sent.

    Raises
    ------
    AlreadyHandled
        As :func:`claim`.
    """
    if event is None:
        return
    with cmds.store.session(immediate=True) as session:
        claim(session, event, cmds.clock())


def handled(cmds: Commands, event: EventKey | None) -> bool:
    """Whether ``event`` is recorded as handled (committed): read only, to skip work before its transaction."""
    if event is None:
        return False
    with cmds.store.session() as session:
        return session.scalar(select(HandledEvent.event_id).where(
            HandledEvent.platform == event.platform, HandledEvent.event_id == event.event_id)) is not None


def _forget_old(session: Session, now: dt.datetime) -> None:
    """Delete ids handled more than :data:`KEPT` before ``now``, when this process has not for an hour."""
    global _next_forget
    with _forgetting:
        if time.monotonic() < _next_forget:
            return
        _next_forget = time.monotonic() + FORGET_EVERY_SECONDS
    old = (select(HandledEvent.platform, HandledEvent.event_id).where(HandledEvent.handled_at < now - KEPT)
           .with_for_update(skip_locked=True))  # PostgreSQL: rows another process is deleting are left to it, not waited for
    session.execute(delete(HandledEvent).where(tuple_(HandledEvent.platform, HandledEvent.event_id).in_(old)))


__all__ = ["FORGET_EVERY_SECONDS", "KEPT", "AlreadyHandled", "EventKey", "claim", "handled", "record"]
