"""When the database goes away mid-window: which errors to wait out, how to report them, what to remember.

* :func:`transient` tells a database outage (connection refused or dropped, a
  timeout, a locked SQLite file) from a bug or bad data;
* :func:`recommender.store.describe_db_error` is the whole error on one line: its type (and the
  driver's), its whole message and the kind of statement it interrupted, never
  the parameters (SQLAlchemy's own text ends with a "Background on this error"
  link, which is all a log line that keeps the last line shows);
* :func:`db_retrying` retries a block on transient errors with exponential
  backoff (tenacity), logging each failure whole, until it succeeds, the
  service closes, or a bound passes;
* :func:`release_claim` hands back a claim this process made in an attempt
  that failed on the database, so its retry takes it over at once (and resumes
  from the message references :mod:`bot.delivery` committed one by one)
  instead of waiting for the claim's recovery delay.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay, wait_exponential
from tenacity.stop import stop_base

from recommender.store import Delivery, Store
from recommender.store.errors import describe_db_error

__all__ = [
    "RETRY_WINDOW_SECONDS", "transient", "db_retrying", "release_claim",
]

log = logging.getLogger(__name__)

#: How long one piece of work waits out a database outage before it is dropped (the next sync finds it again).
RETRY_WINDOW_SECONDS = 600.0
#: The first wait after a database error, seconds; doubling up to :data:`MAX_WAIT_SECONDS`.
FIRST_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 30.0

_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


def transient(exc: BaseException) -> bool:
    """True for a database error that waiting may cure: the server unreachable, a dropped connection, a timeout, a lock."""
    return isinstance(exc, _TRANSIENT) or bool(getattr(exc, "connection_invalidated", False))


def db_retrying(what: str, *, stop: threading.Event | None = None, window: float = RETRY_WINDOW_SECONDS,
                first_wait: float = FIRST_WAIT_SECONDS, max_wait: float = MAX_WAIT_SECONDS, **facts) -> Retrying:
    """A tenacity ``Retrying`` for database work: retry :func:`transient` errors, re-raise the last one.

    Waits ``first_wait`` seconds, doubling up to ``max_wait``, for at most
    ``window`` seconds in all; ``stop`` (the service closing) ends the wait at
    once. Each failure is logged at WARNING with :func:`recommender.store.describe_db_error` and
    ``what`` and ``facts``; the first success after a failure is logged at INFO.

    Use as ``for attempt in db_retrying("post digest"): with attempt: ...``.
    """
    closing = stop or threading.Event()

    def failed(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("database error, retrying", extra={
            "work": what, **facts, "attempt": state.attempt_number, "wait_seconds": round(wait, 1),
            "error": describe_db_error(exc) if exc else "(none)"})

    def sleep(seconds: float) -> None:
        closing.wait(seconds)

    def done(state: RetryCallState) -> None:
        if state.attempt_number > 1 and state.outcome is not None and not state.outcome.failed:
            log.info("database back", extra={"work": what, **facts, "attempts": state.attempt_number})

    return Retrying(
        retry=retry_if_exception(transient),
        wait=wait_exponential(multiplier=first_wait, max=max_wait),
        stop=stop_after_delay(window) | _Closed(closing),
        sleep=sleep,
        before_sleep=failed,
        after=done,
        reraise=True,
    )


class _Closed(stop_base):
    """A tenacity stop condition: the service is closing."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event.is_set()


def release_claim(store: Store, kind: str, target_id: int, day: dt.date, claimed_at: dt.datetime, error: str) -> bool:
    """Mark this process's own claim of an attempt that failed on the database as ``failed``.

    Matches the row by target, day, status ``claimed`` and the exact ``claimed_at``
    this process's attempt wrote (:func:`bot.delivery.claim` stores the ``now`` it is
    given): a claim taken over by anyone since has another time and is left alone.
    Returns True when a row was released (a retry then takes it over at once).
    """
    with store.session() as session:
        result: CursorResult = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(Delivery.target_kind == kind, Delivery.target_id == target_id, Delivery.day == day,
                   Delivery.status == "claimed", Delivery.claimed_at == claimed_at)
            .values(status="failed", error=f"database: {error}"[:2000])
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1
