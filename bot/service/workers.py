"""The threads of ``paperbot run`` that post digests, fed by the scheduler's jobs.

The scheduler is a clock: its ``digest:<target>`` jobs and its ``sync`` job only
hand targets to :class:`DigestWorkers` (:meth:`DigestWorkers.submit`), which
post them with :func:`bot.service.digest_jobs.post_digest` (exactly once through
the claim, retried through database outages). Nothing waits in APScheduler's
thread pool, so a shutdown has nothing there to tear down, and what the workers
had not done when the process stopped, or died, is still due in the database
(:mod:`bot.service.due`), where the next start finds it.

The digests waiting when a worker takes one are ranked together first
(:class:`bot.delivery.DigestPlan`: at a slot many targets share, one ranker call
instead of one per target); each still chooses its papers under its claim.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.delivery import DigestPlan
from bot.service.digest_jobs import post_digest
from bot.service.outage import transient
from bot.service.triggers import slot_day
from recommender.store.errors import describe_db_error
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from bot.service.context import JobContext

__all__ = ["DEFAULT_THREADS", "DigestWorkers"]

log = logging.getLogger(__name__)

#: Threads posting digests at once (posting waits on chat APIs more than it computes).
DEFAULT_THREADS = 4

Key = tuple[str, int]  # (kind, target id): a target has at most one digest waiting

#: Delivery kinds a plan ranks (journal club polls and closes are queued here too, and chosen otherwise).
DIGEST_KINDS = ("channel", "member")


class DigestWorkers:
    """Threads that post the digests handed to them, each target once at a time.

    Parameters
    ----------
    ctx : JobContext
        Store, posters and settings; closing it (:meth:`JobContext.close`) stops the workers taking work.
    threads : int
        Worker threads (daemon threads: a post stuck past the shutdown wait does not hold the process).
    """

    def __init__(self, ctx: JobContext, threads: int = DEFAULT_THREADS):
        self.ctx = ctx
        self._pending: OrderedDict[Key, dt.date | None] = OrderedDict()
        self._running: dict[Key, dt.date | None] = {}  # being posted, with the day asked for (None: the last slot)
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._loop, name=f"digest-worker-{n}", daemon=True)
                         for n in range(threads)]
        self.posted = 0
        #: ``(kind, target id) -> day`` (None: the slot that last passed) of the posts :meth:`close` cut off.
        self.cut_off: dict[Key, dt.date | None] = {}
        self._plan_of: dict[Key, DigestPlan] = {}  # waiting digests ranked with one taken before them

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, items: Iterable[tuple[str, int, dt.date | None]]) -> int:
        """Queue ``(kind, target id, day)`` digests (day None: the slot that last passed); returns how many were new.

        A target already waiting or being posted is not queued twice; nothing is queued once the context is closed.
        """
        added = 0
        with self._cond:
            if self.ctx.closed.is_set():
                return 0
            for kind, target_id, day in items:
                key = (kind, target_id)
                if key in self._pending or key in self._running:
                    continue
                self._pending[key] = day
                added += 1
            if added:
                self._cond.notify_all()
        return added

    @property
    def under_way(self) -> list[Key]:
        """``(kind, target id)`` of the posts under way now."""
        with self._cond:
            return list(self._running)

    @property
    def waiting(self) -> int:
        """Digests queued or being posted."""
        with self._cond:
            return len(self._pending) + len(self._running)

    def _take(self) -> tuple[Key, dt.date | None, DigestPlan | None, list[tuple[str, int, dt.date | None]]] | None:
        """The next digest, with the plan that ranks it; a new plan (and the digests it is to rank) when none did."""
        with self._cond:
            while not self._pending and not self.ctx.closed.is_set():
                self._cond.wait()
            if self.ctx.closed.is_set():
                return None
            key, day = self._pending.popitem(last=False)
            self._running[key] = day
            to_plan: list[tuple[str, int, dt.date | None]] = []
            if key[0] not in DIGEST_KINDS:
                return key, day, None, to_plan
            plan = self._plan_of.pop(key, None)
            if plan is None:
                now = utcnow()
                plan = DigestPlan(self.ctx.store, self.ctx.recommender, now=now,
                                  day_of=lambda row: slot_day(row.digest_time, row.timezone, now))
                to_plan = [(*key, day), *((*k, d) for k, d in self._pending.items()
                                          if k[0] in DIGEST_KINDS and k not in self._plan_of)]
                self._plan_of.update(((kind, target_id), plan) for kind, target_id, _ in to_plan[1:])
            return key, day, plan, to_plan

    def _prepare(self, plan: DigestPlan, to_plan: list[tuple[str, int, dt.date | None]]) -> None:
        """Rank the waiting digests together; on any error each is ranked alone when posted."""
        try:
            plan.prepare(to_plan)
        except Exception as exc:
            facts = {"digests": len(to_plan), "error": describe_db_error(exc)}
            if transient(exc):
                log.warning("digest plan failed", extra=facts)
            else:
                log.error("digest plan failed", extra=facts, exc_info=True)

    def _loop(self) -> None:
        while (taken := self._take()) is not None:
            (kind, target_id), day, plan, to_plan = taken
            try:
                if plan is not None and to_plan:
                    self._prepare(plan, to_plan)
                outcome = post_digest(self.ctx, kind, target_id, day, plan)
                if outcome.status == "posted":
                    with self._cond:
                        self.posted += 1
            except Exception as exc:  # an outage outlasting the retries, or a bug: still due, the next sync finds it
                facts = {"target": kind, "target_id": target_id, "error": describe_db_error(exc)}
                if self.ctx.closed.is_set() or transient(exc):
                    log.warning("digest not posted", extra={**facts, "reason": "shutdown" if self.ctx.closed.is_set()
                                                            else "database unavailable"})
                else:
                    log.error("digest not posted", extra=facts, exc_info=True)
            finally:
                with self._cond:
                    self._running.pop((kind, target_id), None)
                    self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or being posted (True) or ``timeout`` seconds pass (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._running, timeout)

    def close(self, timeout: float) -> tuple[int, int]:
        """Stop: drop what is queued, wait up to ``timeout`` seconds for the posts under way.

        Closes the context if it is not closed yet. Returns ``(dropped, unfinished)``:
        digests that were queued and not started, and posts still under way when the
        wait ended (their claims go stale and are taken over at the next start; those
        posts are :attr:`cut_off`, by target and day).
        """
        self.ctx.close()
        with self._cond:
            dropped = len(self._pending)
            self._pending.clear()
            self._plan_of.clear()
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        with self._cond:
            self._cond.wait_for(lambda: not self._running, max(0.0, deadline - time.monotonic()))
            self.cut_off = dict(self._running)
            unfinished = len(self.cut_off)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return dropped, unfinished
