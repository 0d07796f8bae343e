"""Child process of ``store_scale.py``: times search, picks and the daily digests through ``Commands`` on a store.

Run with the code under test first on ``PYTHONPATH`` (ours, or the old path
exported by ``store_scale.py``), so the same measurement runs on both::

    python benchmarks/store_queries.py search URL QUERIES.json --warm 200
    python benchmarks/store_queries.py digest URL --targets 1000 --day-papers 2000

Prints one JSON object: seconds, and the process's peak RSS (``VmHWM``, MB).
``search``: ``first`` is from this script's start (imports, opening the store,
loading the model) to the first result, with the TF-IDF rows loading in the
background as in ``paperbot run``; ``loaded`` when that warm-up ended (seconds
from the start); ``warm`` the searches after it, one by one; ``picks`` one person's picks. ``digest``: 1,000 subscribed members of a
``cli`` workspace whose last digest was yesterday, over a day whose 2,000 newest
papers were first seen since (the older papers are moved three days back, then
the tables analysed, as autovacuum would after such a change), run
as ``paperbot run --once`` runs them (:func:`bot.service.once.run_once`) with a
poster that only records; ``seconds`` is that run.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM")).split()[1]) / 1024


def commands(url: str):
    from bot.commands import Commands
    from bot.settings import Settings
    from recommender.store import Store

    settings = Settings(data_dir=tempfile.mkdtemp(prefix="store_queries_"), database_url=url)
    return Commands(Store(url), settings)


def run_search(url: str, queries: list[str], warm: int) -> dict:
    from bot.commands import Caller

    cmds = commands(url)
    loader = cmds.recommender.warm_up()  # as `paperbot run` does at start: the rows load beside the first search
    ada = Caller("cli", "bench", "ada")
    found = cmds.search(ada, queries[0], k=5).papers
    first = time.perf_counter() - START
    loader.join()  # warm: the process has loaded what a long-running bot holds
    loaded = time.perf_counter() - START
    times = []
    for n in range(warm):
        t = time.perf_counter()
        cmds.search(ada, queries[(n + 1) % len(queries)], k=5)
        times.append(time.perf_counter() - t)
    with cmds.store.session() as session:
        member = cmds.member(session, ada)
        member.interests = ["graph neural networks", "quantization"]
    t = time.perf_counter()
    picks = cmds.picks(ada, 10).papers
    picks_s = time.perf_counter() - t
    return {"first": first, "first_found": len(found), "loaded": loaded, "warm": times, "picks": picks_s, "picks_found": len(picks),
            "peak_rss_mb": peak_rss_mb()}


class RecordingPoster:
    """Accepts every message: records the header and each paper as posted (no chat platform)."""

    platform = "cli"

    def __init__(self):
        self.papers = 0

    def post(self, post) -> None:
        if post.header_ref is None:
            post.posted_header(f"h:{post.target.id}")
        for _position, pick in post.unposted():
            post.posted_paper(pick.paper_id, f"p:{post.target.id}:{pick.paper_id}")
            self.papers += 1


def prepare_digest(cmds, targets: int, day_papers: int, now) -> None:
    """``targets`` subscribed members of a ``cli`` workspace whose last digest was yesterday, over a day of
    the ``day_papers`` newest papers (the older ones moved three days back, then the tables analysed)."""
    from sqlalchemy import func, select, update

    from bot.commands import Caller
    from recommender.store import Delivery, Paper

    interests = [["graph neural networks"], ["quantization", "pruning"], ["diffusion models"], ["reinforcement learning"],
                 ["language model alignment"], ["speech recognition"], ["protein structure"], ["federated learning"]]
    with cmds.store.session() as session:
        newest = session.scalar(select(func.max(Paper.id))) or 0
        session.execute(update(Paper).where(Paper.id <= newest - day_papers).values(first_seen=now - dt.timedelta(days=3)))
        for n in range(targets):
            member = cmds.member(session, Caller("cli", "bench", f"reader{n}"))
            member.interests = interests[n % len(interests)]
            member.subscribed = True
            member.timezone = "UTC"
            session.flush()
            session.add(Delivery(target_kind="member", target_id=member.id, day=(now - dt.timedelta(days=1)).date(),
                                 status="posted", claimed_at=now - dt.timedelta(days=1), attempts=1, platform="cli"))
    with cmds.store.engine.connect() as conn:  # the planner's statistics, after moving 98,000 rows' first_seen at once
        conn.exec_driver_sql("ANALYZE papers" if conn.dialect.name == "postgresql" else "ANALYZE")
        conn.commit()


def run_digest(url: str, targets: int, day_papers: int) -> dict:
    from bot.service.context import JobContext
    from bot.service.once import run_once
    from recommender.store.models import utcnow

    cmds = commands(url)
    now = utcnow()
    prepare_digest(cmds, targets, day_papers, now)
    poster = RecordingPoster()
    ctx = JobContext(cmds.store, cmds.settings, {"cli": poster}, [], recommender=cmds.recommender)
    t = time.perf_counter()
    report = run_once(ctx, now=now)
    seconds = time.perf_counter() - t
    posted = sum(1 for _, outcome in report.digests if outcome.status == "posted")
    return {"seconds": seconds, "digests": len(report.digests), "posted": posted, "papers_posted": poster.papers,
            "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["search", "digest"])
    ap.add_argument("url")
    ap.add_argument("queries", nargs="?")
    ap.add_argument("--warm", type=int, default=200)
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--day-papers", type=int, default=2000)
    args = ap.parse_args()
    if args.mode == "search":
        out = run_search(args.url, json.loads(open(args.queries).read()), args.warm)
    else:
        out = run_digest(args.url, args.targets, args.day_papers)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
