"""What the reason line under each pick costs, on the path ``/papers picks`` takes, on a year-old store.

Builds ``--papers`` (100,000) papers as ``store_scale.py`` does (its corpus of real text recombined, ingested by
``paperbot ingest`` in a child, sentence embeddings off as there) into a SQLite store, keeps the newest
``--day-papers`` (2,000) as the day's news (the rest moved 30 days back, out of the week picks draw from), and adds a reader with three
interests and ``--likes`` 👍 (150: a year of them), the papers that search finds first for each interest. Then
``Commands.picks`` is run ``--rounds`` times for ten picks, as the slash command runs it. The reason's two
functions, as :mod:`recommender.picks` calls them (``reader_words`` once per reader, ``paper_reason`` once per
pick), are wrapped in a timer that calls them unchanged, so the command and its reasons are timed in the same
calls. Prints each round's seconds, the reasons' seconds and their share, and the median share::

    PYTHONPATH=. .venv/bin/python benchmarks/reason_cost.py [--papers 100000] [--likes 150] [--rounds 5]

Data: ``../shared`` (or ``$PAPERBOT_SHARED_DIR``), as ``store_scale.py``. About two minutes on SQLite, most of
it the ingest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_scale import NO_EMBEDDINGS, REPO, load_pools, make_items, run_ingest, shared_dir, write_files  # noqa: E402

INTERESTS = ["graph neural networks", "quantization of neural networks", "diffusion models"]


class Timed:
    """A function of :mod:`recommender.picks`, called unchanged, its seconds summed in ``seconds``."""

    def __init__(self, module, name: str):
        self.module, self.name, self.inner, self.seconds = module, name, getattr(module, name), 0.0
        setattr(module, name, self)

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def reader(cmds, likes: int, day_papers: int):
    """The reader ``ada`` with :data:`INTERESTS` and ``likes`` 👍 on older papers search finds for them."""
    from sqlalchemy import func, select, update

    from bot.commands import POSITIVE, Caller
    from recommender.store import Paper
    from recommender.store.models import utcnow

    ada = Caller("cli", "bench", "ada")
    with cmds.store.session() as session:
        newest = session.scalar(select(func.max(Paper.id))) or 0
        session.execute(update(Paper).where(Paper.id <= newest - day_papers)
                        .values(first_seen=utcnow() - dt.timedelta(days=30)))  # out of picks' week (new_days)
        cmds.member(session, ada).interests = list(INTERESTS)
    liked: list[int] = []
    for interest in INTERESTS:
        found = [p.paper_id for p in cmds.search(ada, interest, k=100).papers if p.paper_id <= newest - day_papers]
        liked += [i for i in found if i not in liked][: likes // len(INTERESTS)]
    for paper_id in liked:
        assert cmds.rate(ada, f"#{paper_id}", POSITIVE).ok
    return ada, len(liked)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="reason_cost_") as folder:  # the store and its files go at the end
        run(Path(folder))


def run(work: Path) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--day-papers", type=int, default=2_000)
    ap.add_argument("--likes", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    items = make_items(load_pools(shared_dir()), args.papers)
    url = f"sqlite:///{work / 'store.db'}"
    ingest = run_ingest(REPO, url, write_files(items, work / "files", 1_000), len(items), NO_EMBEDDINGS)

    import os

    os.environ.update(NO_EMBEDDINGS)
    import recommender.picks as picks_module
    from bot.commands import Commands
    from bot.settings import Settings
    from recommender.store import Store

    store = Store(url)
    cmds = Commands(store, Settings(data_dir=str(work / "data"), database_url=url))
    ada, liked = reader(cmds, args.likes, args.day_papers)
    words, reasons = Timed(picks_module, "reader_words"), Timed(picks_module, "paper_reason")
    print(f"{len(items)} papers ingested in {ingest.seconds:.0f} s (SQLite, sentence embeddings off); news: the newest "
          f"{args.day_papers}; reader: {len(INTERESTS)} interests, {liked} 👍; ten picks a command")
    print(f"{'round':>5s} {'command s':>10s} {'reasons s':>10s} {'share':>7s}  first reason")
    shares = []
    for n in range(args.rounds):
        words.seconds = reasons.seconds = 0.0
        start = time.perf_counter()
        reply = cmds.picks(ada, 10, onboard=False)
        total = time.perf_counter() - start
        spent = words.seconds + reasons.seconds
        shares.append(spent / total)
        first = reply.papers[0].reason if reply.papers else "(no picks)"
        print(f"{n + 1:5d} {total:10.3f} {spent:10.4f} {spent / total:7.1%}  {first[:60]}", flush=True)
    print(f"median share of the command spent on reasons: {statistics.median(shares):.1%} "
          f"(the first round also loads the TF-IDF model and rows)")
    store.dispose()


if __name__ == "__main__":
    main()
