"""The ``refit`` job of ``paperbot run``: a new TF-IDF model fitted beside requests when the refit policy asks.

Every :data:`REFIT_EVERY_SECONDS` the job asks the stored model's refit policy
(:meth:`recommender.text.current.CurrentVectors.needs_refit`: the corpus grew by
more than half since the fit, or by 1 % since a fit a week old) and, when it says so, fits the new model and every
paper's TF-IDF row in this job's thread; slash commands and digests keep ranking
with the previous model until the new one is swapped in
(:meth:`recommender.picks.Recommender.refit`). ``paperbot refit`` does the same by hand.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.service.context import get_context
from bot.service.triggers import MISFIRE_GRACE_SECONDS

__all__ = ["REFIT_EVERY_SECONDS", "REFIT_JOB_ID", "add_refit_job", "refit_job"]

log = logging.getLogger(__name__)

REFIT_JOB_ID = "refit"
REFIT_EVERY_SECONDS = 3600
"""How often the policy is asked (seconds); a refit of 100,000 papers takes a few minutes."""


def add_refit_job(scheduler: BaseScheduler) -> None:
    """Add the ``refit`` job (every :data:`REFIT_EVERY_SECONDS`, first run one interval from now), unless stored already.

    A job kept from the last run keeps its next run time, so restarts do not postpone it.
    """
    kept = scheduler.get_job(REFIT_JOB_ID)
    if kept is not None and kept.func_ref == "bot.service.refit_job:refit_job":
        return
    scheduler.add_job(
        "bot.service.refit_job:refit_job", IntervalTrigger(seconds=REFIT_EVERY_SECONDS, timezone=dt.UTC),
        id=REFIT_JOB_ID, name="refit the TF-IDF model when the corpus has grown", jobstore="default",
        replace_existing=True, coalesce=True, misfire_grace_time=MISFIRE_GRACE_SECONDS, max_instances=1,
    )


def refit_job() -> None:
    """Stored job ``refit``: refit the process's recommender when its model's policy asks; else nothing."""
    ctx = get_context()
    if ctx.closed.is_set():
        return
    with ctx.job():
        recommender = ctx.recommender
        with ctx.store.session() as session:
            due = recommender.needs_refit(session)
        if due:
            vectorizer = recommender.refit()
            log.info("TF-IDF model refitted", extra={"papers": vectorizer.n_papers_fit_})
