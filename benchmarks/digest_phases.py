"""Where a day's digests spend their time: the digest run of ``store_queries.py``, split by phase.

Runs the same daily digests as ``store_queries.py digest`` (1,000 subscribed
members over a 2,000-paper day) on a store already ingested and refitted, and
prints the seconds spent in each phase of a delivery, summed over the targets,
with the SQL statements and commits the run made::

    python benchmarks/digest_phases.py URL --targets 1000 --day-papers 2000 [--block-threads 1]

Each phase is a function of the delivery path, timed by wrapping it for this
process only; statements and commits are counted during the run only (nested phases are included in their callers: ``picks`` holds
``candidates`` to ``rank``; the plan and ``compose`` hold ``picks``, the plan's calls for many targets and any target ranked alone). The store must not have
been through this run or ``store_queries.py digest`` (both add the members and
yesterday's deliveries); ``store_scale.py --keep DIR`` keeps the files to ingest
into a fresh one (``paperbot ingest DIR/full``, then ``paperbot refit``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import importlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_queries  # noqa: E402

PHASES = {
    "plan (the day ranked together)": ("bot.delivery.plan", "DigestPlan.prepare"),
    "planned picks taken": ("bot.delivery.plan", "DigestPlan.take"),
    "claim": ("bot.delivery", "claim"),
    "compose": ("bot.delivery", "_compose"),
    "picks": ("recommender.picks", "Recommender.picks"),
    "candidates": ("recommender.picks", "Recommender.candidates"),
    "prepared candidates": ("recommender.prepared", "CandidateCache.get"),
    "community": ("recommender.picks", "Recommender._set_community"),
    "target inputs": ("recommender.picks", "Recommender.target_inputs"),
    "rank": ("recommender.ranking.ranker", "Ranker.rank"),
    "since": ("bot.delivery", "_since"),
    "recorded picks": ("bot.delivery", "_recorded_picks"),
    "record (a message reference)": ("bot.delivery.claim", "Lease.record"),
    "finish": ("bot.delivery", "_finish"),
}


@contextlib.contextmanager
def timed_phases(spent: collections.Counter):
    """Wrap every function of :data:`PHASES` so its wall time adds to ``spent[phase]``; restored on exit."""
    restore = []
    for phase, (module_name, path) in PHASES.items():
        owner = importlib.import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        original = owner.__dict__[name]

        def wrapper(*args, _original=original, _phase=phase, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_phase] += time.perf_counter() - start

        setattr(owner, name, functools.wraps(original)(wrapper))
        restore.append((owner, name, original))
    try:
        yield
    finally:
        for owner, name, original in restore:
            setattr(owner, name, original)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--day-papers", type=int, default=2000)
    ap.add_argument("--block-threads", type=int, default=None,
                    help="ranking blocks computed side by side (default: the shipped BLOCK_THREADS)")
    args = ap.parse_args()
    from recommender.ranking import blocks
    if args.block_threads is not None:
        blocks.BLOCK_THREADS = args.block_threads
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from bot.service import once

    counts: collections.Counter = collections.Counter()
    running = [False]  # count the digest run's statements, not the set-up's
    event.listen(Engine, "before_cursor_execute", lambda *a: running[0] and counts.update(["statements"]))
    event.listen(Engine, "commit", lambda *a: running[0] and counts.update(["commits"]))
    run_once = once.run_once

    def counted_run(*a, **kw):
        running[0] = True
        try:
            return run_once(*a, **kw)
        finally:
            running[0] = False

    once.run_once = counted_run
    spent: collections.Counter = collections.Counter()
    with timed_phases(spent):
        out = store_queries.run_digest(args.url, args.targets, args.day_papers)
    print(json.dumps({"seconds": round(out["seconds"], 2), "posted": out["posted"],
                      "phases_s": {p: round(spent[p], 2) for p in PHASES},
                      "statements": counts["statements"], "commits": counts["commits"],
                      "block_threads": blocks.BLOCK_THREADS}, indent=1))


if __name__ == "__main__":
    main()
