"""Embed the papers a scheduled source run stored, at ingest rather than at the next digest.

``paperbot ingest`` embeds what it stored with a progress bar (:mod:`bot.cli.ingest`); the
scheduler's sources (the Daily Papers API, arXiv feeds, the inbox, arXiv enrichment) do it here,
after the run is recorded. Without it the next digest embedded them first: 12,000 papers dropped
into an inbox made a digest minutes late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from bot.service.ingest_jobs import SourceRunResult
from bot.service.outage import transient
from recommender.store import Store
from recommender.store.errors import describe_db_error
from recommender.text.embeddings import PaperEmbedder
from recommender.text.vectors import embed_missing

log = logging.getLogger(__name__)

#: One embedding job at a time in this process: two ingest jobs finishing together (or an ingest job and
#: ``run --once``'s) would each encode the whole backlog of papers without a vector. The second returns at
#: once, and the first makes up to :data:`_PASSES` passes, so what the second stored is taken too.
_EMBEDDING = threading.Lock()
_PASSES = 3
#: A long pass (a backfill) logs how far it is at most this often, seconds: an operator's trial saw 11 minutes of
#: nothing but APScheduler's "skipped: maximum number of running instances reached" for the inbox job it runs in.
PROGRESS_EVERY_SECONDS = 60.0

__all__ = ["embed_stored"]


def _stored_text(results: Sequence[SourceRunResult]) -> bool:
    """Whether any of ``results`` stored a paper or changed a paper's text (new, updated or enriched)."""
    return any(r.new_papers or any(i.updated for i in r.results) for r in results)


def embed_stored(store: Store, embedder: PaperEmbedder | None, results: Sequence[SourceRunResult], *,
                 stop: threading.Event | None = None) -> int:
    """Embed every paper without a vector, whether or not ``results`` stored a paper; returns how many.

    Every paper lacking a vector is embedded, not only those of ``results``: a backlog (semantic
    ranking just switched on, a model version changed, a run cut short, an import past its limit, a
    ranking that fell back to TF-IDF alone) is taken here, by the next run of any source, rather than by
    the next digest. One call at a time per process: another returns at once
    (waiting would hold a thread of the pool that digests and ``sync`` run in), and the one under way
    passes again over what was stored meanwhile.
    Logs ``papers embedded`` (papers, seconds, model) at INFO, and ``embedding papers`` (done, of, seconds) after
    the first batch and then every :data:`PROGRESS_EVERY_SECONDS` while it runs. Never raises: a failure is logged
    and the papers left are embedded by the next run (a ranking embeds at most
    :data:`~recommender.prepared.EMBED_WHEN_RANKING` of them).

    Parameters
    ----------
    store : Store
    embedder : PaperEmbedder or None
        None (semantic ranking off, or the model package missing): nothing to do.
    results : sequence of SourceRunResult
        The source runs just recorded.
    stop : threading.Event, optional
        A shutdown: no further batch starts once set.
    """
    if embedder is None:
        return 0
    if not _EMBEDDING.acquire(blocking=False):  # never wait: a waiting job holds a thread digests need
        if _stored_text(results):
            log.info("embedding under way in another job; it takes these papers too", extra={"model": embedder.name})
        return 0
    started = time.monotonic()
    said = [0.0]  # when progress was last logged (0: not yet)

    def progress(done_now: int, total: int) -> None:
        now = time.monotonic()
        if not said[0] or now - said[0] >= PROGRESS_EVERY_SECONDS:
            said[0] = now
            log.info("embedding papers", extra={"done": done_now, "of": total, "seconds": round(now - started, 1),
                                                "model": embedder.name})

    try:
        done = 0
        for _ in range(_PASSES):  # papers stored by jobs that found this one under way
            more = embed_missing(store, embedder, stop=stop, progress=progress)
            done += more
            if not more or (stop is not None and stop.is_set()):
                break
    except Exception as exc:  # the ranking embeds what is left
        if not transient(exc):
            log.exception("embedding failed", extra={"model": embedder.name})
        else:
            log.warning("embedding failed", extra={"error": describe_db_error(exc), "model": embedder.name})
        return 0
    finally:
        _EMBEDDING.release()
    if done:
        log.info("papers embedded", extra={"papers": done, "seconds": round(time.monotonic() - started, 3),
                                           "model": embedder.name})
    return done
