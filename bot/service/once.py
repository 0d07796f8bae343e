"""``paperbot run --once``: every source (an inbox's files still settling waited for), then every served
target's digest for its local today, now, then every journal club poll or close that is due
(:func:`bot.service.club_jobs.run_due_club_jobs`).

The digests are claimed like scheduled ones (:mod:`bot.delivery`), so a second
``--once`` the same day, or the scheduler later that day, posts nothing again.
A signal closes the context: the digest being posted finishes, the rest is
counted as left and posted by the next start.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.delivery import DeliveryOutcome, DeliveryTarget, DigestPlan, local_day
from bot.service.club_jobs import ClubRun, run_due_club_jobs
from bot.service.context import JobContext
from bot.service.digest_jobs import digest_targets, post_digest, recover
from bot.service.embedding import embed_stored
from bot.service.ingest_jobs import SourceRunResult, run_source
from bot.service.outage import db_retrying, transient
from bot.settings import InboxSource
from recommender.store.errors import describe_db_error
from recommender.store.models import utcnow

log = logging.getLogger(__name__)

__all__ = ["OnceReport", "run_once"]


@dataclass
class OnceReport:
    """What ``paperbot run --once`` did.

    Attributes
    ----------
    left : int
        Digests not attempted because a signal stopped the run (the next start posts them).
    """

    sources: list[SourceRunResult] = field(default_factory=list)
    digests: list[tuple[DeliveryTarget, DeliveryOutcome]] = field(default_factory=list)
    clubs: list[ClubRun] = field(default_factory=list)
    left: int = 0

    @property
    def failed(self) -> bool:
        """True when a source run had errors (``error``, or ``partial``: some inputs failed), a digest failed,
        or a signal stopped the run with digests left.

        Same rule as ``paperbot ingest``, which exits 1 when any input failed.
        """
        return bool(self.left) or any(s.status in ("error", "partial") or s.errors for s in self.sources) or any(
            o.status == "failed" for o in [*(o for _, o in self.digests), *(c.outcome for c in self.clubs)])


def _settled(ctx: JobContext, spec: InboxSource, names: list[str]) -> bool:
    """Wait until the inbox files ``names`` have not changed for ``spec.settle_seconds`` (at most that long);
    False when a signal ended the wait. A file still changing then is left for a later run."""
    folder = Path(spec.path).expanduser()
    left = []
    for name in names:
        try:
            left.append(spec.settle_seconds - (time.time() - (folder / name).stat().st_mtime))
        except OSError:  # gone meanwhile
            continue
    wait = min(max(left, default=0.0), spec.settle_seconds)
    if wait > 0:
        log.info("waiting for inbox files to settle", extra={"source": spec.name, "files": ",".join(names),
                                                              "seconds": round(wait, 1)})
    return not ctx.closed.wait(max(wait, 0.0))


def run_once(ctx: JobContext, *, now: dt.datetime | None = None) -> OnceReport:
    """Run the whole day now: every source, then every served target's digest for its local today.

    An inbox holding files still settling (changed less than ``settle_seconds`` ago) is waited for,
    at most ``settle_seconds``, and run again, so that a file dropped just before is in today's
    digests; a file still changing after that is left for a later run (its source run says ``waiting``).

    The digests are ranked together first (:class:`bot.delivery.DigestPlan`), then
    claimed like scheduled ones: a second ``--once`` the same day, or the scheduler
    later that day, posts nothing again. Failed or abandoned
    deliveries are retried as by the sync job. Database errors are waited out
    with backoff (:func:`bot.service.digest_jobs.post_digest`). Once ``ctx`` is
    closed (a signal), nothing new starts: the rest is counted in :attr:`OnceReport.left`.
    """
    now = now or utcnow()
    started = time.monotonic()
    report = OnceReport()
    for spec in ctx.sources:
        if ctx.closed.is_set():
            break
        result = run_source(ctx.store, spec, now=now, fetch=ctx.fetch)
        if isinstance(spec, InboxSource) and result.waiting and _settled(ctx, spec, result.waiting):
            result = run_source(ctx.store, spec, now=now + dt.timedelta(seconds=time.monotonic() - started),
                                fetch=ctx.fetch, carried=result)  # a file that failed before the wait still counts
        report.sources.append(result)
    embed_stored(ctx.store, ctx.recommender.embedder, report.sources, stop=ctx.closed)
    for attempt in db_retrying("run once", stop=ctx.closed):
        with attempt:
            recover(ctx, now=now)
            with ctx.store.session() as session:
                targets = [(DeliveryTarget.of(r), r.timezone) for r in digest_targets(session, set(ctx.posters))]
    days = [(target, local_day(timezone, now)) for target, timezone in targets]
    plan = DigestPlan(ctx.store, ctx.recommender, now=now)
    try:
        for attempt in db_retrying("plan digests", stop=ctx.closed):
            with attempt:
                plan.prepare([(target.kind, target.id, day) for target, day in days])
    except Exception as exc:  # each digest is then ranked alone, as the posting threads do
        facts = {"digests": len(days), "error": describe_db_error(exc)}
        if transient(exc):
            log.warning("digest plan failed", extra=facts)
        else:
            log.error("digest plan failed", extra=facts, exc_info=True)
    for n, (target, day) in enumerate(days):
        if ctx.closed.is_set():
            report.left = len(targets) - n
            break
        report.digests.append((target, post_digest(ctx, target.kind, target.id, day, plan)))
    if not ctx.closed.is_set():
        report.clubs = run_due_club_jobs(ctx, now=now)
    return report
