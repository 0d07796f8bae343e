"""The claim on a (target, day) digest, and the lease that keeps it while its poster runs.

The claim is the unique ``deliveries`` row per (target, day), written before
anything is posted. Whoever inserts it, or takes over a ``failed`` one or a
``claimed`` one whose claimant stopped beating, with one atomic UPDATE guarded
by the attempt count, posts; everyone else skips.

While it posts, the claimant holds a :class:`Lease`: a thread refreshes
``heartbeat_at`` every quarter of ``delivery.recovery_seconds``, and every
message reference is committed the moment the platform accepted the message,
by one statement that also reads whether the claim is still held (and beats
too when the last heartbeat is older than half that interval). A live claimant is never taken over;
one that died (SIGKILL, power loss) is taken over ``recovery_seconds`` after its
last heartbeat, and the taker resumes from the references on record.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from bot.delivery.post import HEADER, DeliveryTarget, Part
from recommender.store import Delivery, DeliveryItem, Store

log = logging.getLogger(__name__)

#: Give up on a digest after this many failed attempts.
MAX_ATTEMPTS = 5


# The lease's statements, built once (they run for every message a digest posts). Each reference update
# returns whether this attempt still holds the claim: one round trip records and checks. The header's reads
# its own row (which PostgreSQL re-reads when a takeover committed while the update waited for the row).
_claims = Delivery.__table__.alias("claim")
_HELD = (select(func.count()).select_from(_claims)
         .where(_claims.c.id == bindparam("delivery"), _claims.c.attempts == bindparam("attempt"),
                _claims.c.status == "claimed")
         .scalar_subquery())
_HEADER_REF = (update(Delivery).where(Delivery.id == bindparam("delivery")).values(message_ref=bindparam("ref"))
               .returning(and_(Delivery.attempts == bindparam("attempt"), Delivery.status == "claimed")))
_PAPER_REF = (update(DeliveryItem)
              .where(DeliveryItem.delivery_id == bindparam("delivery"), DeliveryItem.paper_id == bindparam("paper"))
              .values(message_ref=bindparam("ref"))
              .returning(_HELD))
_BEAT = (update(Delivery)
         .where(Delivery.id == bindparam("delivery"), Delivery.attempts == bindparam("attempt"), Delivery.status == "claimed")
         .values(heartbeat_at=bindparam("at")))


class ClaimLost(Exception):
    """This process's claim was taken over (it was presumed dead): it must stop posting."""


@dataclass(frozen=True)
class Claim:
    """A delivery this caller now owns: its row, and which attempt this is (1 for the first)."""

    delivery_id: int
    attempt: int


def claim(store: Store, target: DeliveryTarget, day: dt.date, now: dt.datetime, *,
          recovery_seconds: float) -> Claim | None:
    """Claim the (target, day) digest; None when someone else holds it or it is done.

    Parameters
    ----------
    now : datetime
        Aware time of the claim (UTC); also the first heartbeat.
    recovery_seconds : float
        A ``claimed`` row whose last heartbeat (``heartbeat_at``, else ``claimed_at``)
        is older than this many seconds is taken over. A ``failed`` one is
        taken over at once, up to :data:`MAX_ATTEMPTS` attempts.
    """
    try:
        with store.session() as session:
            row = Delivery(
                target_kind=target.kind, target_id=target.id, day=day, status="claimed", claimed_at=now,
                first_claimed_at=now, heartbeat_at=now, attempts=1, platform=target.platform,
            )
            session.add(row)
            session.flush()
            return Claim(row.id, 1)
    except IntegrityError:
        pass
    stale = now - dt.timedelta(seconds=recovery_seconds)
    with store.session() as session:
        existing = session.scalar(
            select(Delivery).where(Delivery.target_kind == target.kind, Delivery.target_id == target.id, Delivery.day == day)
        )
        if existing is None or existing.attempts >= MAX_ATTEMPTS:
            return None
        last_sign = func.coalesce(Delivery.heartbeat_at, Delivery.claimed_at)
        taken = session.execute(
            update(Delivery)
            .where(
                Delivery.id == existing.id,
                Delivery.attempts == existing.attempts,
                or_(Delivery.status == "failed", (Delivery.status == "claimed") & (last_sign < stale)),
            )
            .values(status="claimed", claimed_at=now, heartbeat_at=now, attempts=Delivery.attempts + 1,
                    first_claimed_at=func.coalesce(Delivery.first_claimed_at, Delivery.claimed_at))
            .execution_options(synchronize_session=False)
        )
        return Claim(existing.id, existing.attempts + 1) if taken.rowcount == 1 else None


def unclaimed_why(store: Store, target: DeliveryTarget, day: dt.date) -> str:
    """Why :func:`claim` returned None for the (target, day) digest, as a status line's note.

    ``"already posted today"`` (or ``"already done today: <status>"``), ``"being posted by another
    process"``, or ``"given up after N attempts"``; ``""`` when the row is gone meanwhile.
    """
    with store.session() as session:
        row = session.scalar(select(Delivery).where(
            Delivery.target_kind == target.kind, Delivery.target_id == target.id, Delivery.day == day))
    if row is None:
        return ""
    if row.status == "posted":
        return "already posted today"
    if row.status == "claimed":
        return "being posted by another process"
    if row.status == "failed" and row.attempts >= MAX_ATTEMPTS:
        return f"given up after {row.attempts} attempts"
    return f"already done today: {row.status}"


def held_row(session, held: Claim) -> Delivery | None:
    """The claimed ``deliveries`` row, locked for the rest of ``session``'s transaction, while ``held`` is its attempt.

    None when the row is gone (its target was removed: :func:`bot.commands.rows.delete_target` deletes
    its deliveries) or another attempt took it over. Locking it first makes a removal that runs meanwhile
    wait for this transaction (PostgreSQL: the row lock; SQLite: open ``session`` with ``immediate=True``),
    so what this transaction adds to the delivery goes with it rather than failing or staying behind.
    """
    row = session.get(Delivery, held.delivery_id, with_for_update=True, populate_existing=True)
    return row if row is not None and row.attempts == held.attempt else None


class Lease:
    """This process's hold on a claimed delivery while it composes and posts; a context manager.

    Parameters
    ----------
    store : Store
    claim : Claim
    recovery_seconds : float
        Heartbeats are ``recovery_seconds / 4`` apart (none when 0).
    clock : callable
        Returns the aware UTC time of a heartbeat (delivery's clock, which starts at its ``now``).

    Notes
    -----
    Heartbeats are fenced by the attempt, and each reference write reads whether the
    attempt still holds the claim: once another process took the delivery over,
    heartbeats stop and :meth:`record` raises :class:`ClaimLost` (after committing
    the reference: the message exists either way). The references are written on
    one connection held from the first to the lease's end (:meth:`Store.autocommit`),
    one statement each; a record after the end (a poster's late callback) uses a connection of its own.
    """

    def __init__(self, store: Store, claim: Claim, *, recovery_seconds: float, clock: Callable[[], dt.datetime]):
        self.store = store
        self.claim = claim
        self.clock = clock
        self.interval = recovery_seconds / 4
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Connection | None = None
        self._using = threading.Lock()  # the held connection: one record at a time, and not after the end
        self._ended = False
        self._last_beat = time.monotonic()  # the claim wrote the first heartbeat

    def __enter__(self) -> Lease:
        if self.interval > 0:
            self._thread = threading.Thread(target=self._beat_until_stopped, daemon=True,
                                            name=f"lease-{self.claim.delivery_id}")
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._using:
            self._ended = True
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def record(self, part: Part, ref: str) -> None:
        """Commit message ``ref`` of ``part`` (:data:`HEADER` or a paper id) and check the claim, in one statement.

        Beats as well when the last heartbeat is older than half the heartbeat interval (every time when
        the lease has no heartbeat thread). A connection the server dropped (a restart) is replaced
        and the statement run once more (it writes the same value).

        Raises
        ------
        ClaimLost
            Another process took the delivery over; the reference was committed all the same.
        """
        with self._using:
            if self._ended:
                with self.store.autocommit() as connection:
                    held = self._record(connection, part, ref)
            else:
                held = self._on_held_connection(part, ref)
        if not held:
            self.lost = True
            raise ClaimLost(f"delivery {self.claim.delivery_id} was taken over by another process")

    def _on_held_connection(self, part: Part, ref: str) -> bool:
        for retry in (False, True):
            if self._connection is None:
                self._connection = self.store.autocommit()
            connection = self._connection
            try:
                return self._record(connection, part, ref)
            except SQLAlchemyError as exc:  # the next statement starts on a new connection (this one may be broken)
                self._connection = None
                connection.close()
                if retry or not (isinstance(exc, DBAPIError) and exc.connection_invalidated):
                    raise
        raise AssertionError("unreachable")

    def _record(self, connection: Connection, part: Part, ref: str) -> bool:
        params = {"delivery": self.claim.delivery_id, "attempt": self.claim.attempt, "ref": ref}
        if part == HEADER:
            held = connection.execute(_HEADER_REF, params).scalar()
        else:
            held = connection.execute(_PAPER_REF, {**params, "paper": part}).scalar()
        if held is None or (held and time.monotonic() - self._last_beat >= self.interval / 2):
            return self._beat(connection)  # no such row (nothing read), or a heartbeat due
        return bool(held)

    def _beat(self, connection: Connection) -> bool:
        result = connection.execute(_BEAT, {"delivery": self.claim.delivery_id, "attempt": self.claim.attempt,
                                            "at": self.clock()})
        if result.rowcount == 1:
            self._last_beat = time.monotonic()
            return True
        return False

    def _beat_until_stopped(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.store.begin() as connection:
                    held = self._beat(connection)
            except SQLAlchemyError as exc:  # an outage: keep trying, the claim is ours until someone takes it
                log.warning("delivery heartbeat failed", extra={"delivery_id": self.claim.delivery_id,
                                                                "error": f"{type(exc).__name__}: {exc}"})
                continue
            if not held:
                self.lost = True
                return
