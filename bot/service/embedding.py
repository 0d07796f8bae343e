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

__all__ = ["embed_stored"]


def stored_text(results: Sequence[SourceRunResult]) -> bool:
    """Whether any of ``results`` stored a paper or changed a paper's text (new, updated or enriched)."""
    return any(r.new_papers or any(i.updated for i in r.results) for r in results)


def embed_stored(store: Store, embedder: PaperEmbedder | None, results: Sequence[SourceRunResult], *,
                 stop: threading.Event | None = None) -> int:
    """Embed every paper without a vector once ``results`` stored or changed papers; returns how many.

    Logs ``papers embedded`` (papers, seconds, model) at INFO. Never raises: a failure is logged
    and the papers left are embedded by the next run or, at worst, by the ranking that needs them.

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
    if embedder is None or not stored_text(results):
        return 0
    started = time.monotonic()
    try:
        done = embed_missing(store, embedder, stop=stop)
    except Exception as exc:  # the ranking embeds what is left
        if not transient(exc):
            log.exception("embedding failed", extra={"model": embedder.name})
        else:
            log.warning("embedding failed", extra={"error": describe_db_error(exc), "model": embedder.name})
        return 0
    if done:
        log.info("papers embedded", extra={"papers": done, "seconds": round(time.monotonic() - started, 3),
                                           "model": embedder.name})
    return done
