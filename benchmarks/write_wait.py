"""How long a 👍 waits while digests are composed, on a SQLite store (one writer at a time).

``paperbot run`` answers buttons and posts digests in one process. On SQLite a
write waits for the database's write lock; a digest's compose holds it (BEGIN
IMMEDIATE: its delivery row first, then the papers chosen), so a 👍 pressed
meanwhile waits for that compose. This script times 👍 (``Commands.feedback``,
a button press, one transaction) in that process, one every ``--interval`` seconds
(0.05: twenty a second, far busier than a lab; a loop without pauses would
starve the digest thread of the interpreter and time that instead):

1. ``idle``: nothing else running (the baseline, same run);
2. ``day``: while another thread runs the day's digests of ``--targets``
   members as ``paperbot run --once`` does (a :class:`DigestPlan` ranks them
   together; each compose takes its planned picks);
3. ``alone``: while another thread posts ``--alone`` members' digests without
   a plan, each ranked alone inside its compose (a plan refused, a digest
   posted outside the day's run).

It copies ``STORE`` (a SQLite store already ingested and refitted:
``store_scale.py --keep DIR`` leaves one) first and works on the copy. With
``--new-papers N`` it then ingests N papers more (one Hugging Face Daily Papers
API file of ``--new-from``, retitled so they are new) as the service's ingest
job does: stored with no TF-IDF row or embedding, which the first ranking adds.
The phases then run alone first, so its first digest is the one that adds them. Prints
p50, p95 and max milliseconds of each phase, and their ratios to ``idle``::

    PAPERBOT_RECOMMENDER__SEMANTIC=false PYTHONPATH=<code> python benchmarks/write_wait.py STORE.db

Run it with another checkout's code first on ``PYTHONPATH`` to compare two versions
(the imports are the code under test; this file and ``store_queries.py`` are read from here).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_queries  # noqa: E402


def copy_store(path: Path) -> str:
    """A copy of the SQLite store (with its -wal and -shm files) in a temporary folder; its URL."""
    folder = Path(tempfile.mkdtemp(prefix="write_wait_"))
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            shutil.copy(source, folder / f"store.db{suffix}")
    return f"sqlite:///{folder / 'store.db'}"


def likes_while(cmds, caller, paper_ids: list[int], busy: threading.Thread | None, least: int, interval: float) -> list[float]:
    """Seconds of each 👍 (alternately 👎, so every press writes), one every ``interval`` seconds at most,
    until ``busy`` ends and at least ``least`` were timed."""
    times: list[float] = []
    if busy is not None:
        busy.start()
    n = 0
    while (busy is not None and busy.is_alive()) or len(times) < least:
        t = time.perf_counter()
        cmds.feedback(caller, paper_ids[n % len(paper_ids)], 1 if n % 2 == 0 else -1)
        times.append(time.perf_counter() - t)
        n += 1
        time.sleep(max(0.0, interval - times[-1]))  # a team's presses, not a loop that holds the interpreter
    if busy is not None:
        busy.join()
    return times


def ingest_new(store, source: Path, n: int) -> None:
    """``n`` papers of ``source`` under new ids and titles, ingested as one digest (no vectors stored)."""
    from recommender.ingest import ingest_bytes

    entries = json.loads(source.read_text())[:n]
    for k, entry in enumerate(entries):
        entry["paper"]["id"] = f"2999.{k:05d}"
        entry["paper"]["title"] = f"{entry['paper']['title']} (a later version)"
    result = ingest_bytes(store, json.dumps(entries).encode(), "write_wait_new.json")
    assert result.new == n, result


def summary(times: list[float]) -> dict[str, float]:
    ms = np.asarray(times) * 1000
    return {"n": len(ms), "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)), "max": float(ms.max())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("store", type=Path, help="SQLite store file (copied first)")
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--day-papers", type=int, default=2000)
    ap.add_argument("--alone", type=int, default=20, help="members whose digests are ranked alone in phase 3")
    ap.add_argument("--idle-likes", type=int, default=200)
    ap.add_argument("--new-papers", type=int, default=0, help="papers ingested after the refit, before the phases")
    ap.add_argument("--new-from", type=Path, default=Path("/work/bench/full/daily_papers_00000.json"),
                    help="HF API file whose papers, retitled, are the new ones")
    ap.add_argument("--interval", type=float, default=0.05, help="seconds from one press to the next (at least)")
    args = ap.parse_args()

    from sqlalchemy import func, select

    from bot.commands import Caller
    from bot.service.context import JobContext
    from bot.service.digest_jobs import post_digest
    from bot.service.once import run_once
    from recommender.store import Member, Paper
    from recommender.store.models import utcnow

    url = copy_store(args.store)
    cmds = store_queries.commands(url)
    now = utcnow()
    store_queries.prepare_digest(cmds, args.targets, args.day_papers, now)
    clicker = Caller("cli", "bench", "clicker")
    with cmds.store.session() as session:
        newest = session.scalar(select(func.max(Paper.id))) or 0
        paper_ids = [newest - n for n in range(50)]
    cmds.recommender.warm_up().join()
    if args.new_papers:
        ingest_new(cmds.store, args.new_from, args.new_papers)
    poster = store_queries.RecordingPoster()
    ctx = JobContext(cmds.store, cmds.settings, {"cli": poster}, [], recommender=cmds.recommender)

    phases: dict[str, dict] = {}
    phases["idle"] = summary(likes_while(cmds, clicker, paper_ids, None, args.idle_likes, args.interval))

    seconds: dict[str, float] = {}

    with cmds.store.session() as session:  # fresh members, due today, with no plan
        ids = []
        for n in range(args.alone):
            member = cmds.member(session, Caller("cli", "bench", f"alone{n}"))
            member.interests = ["graph neural networks"] if n % 2 else ["quantization", "pruning"]
            member.subscribed, member.timezone = True, "UTC"
            session.flush()
            ids.append(member.id)
        assert session.scalar(select(func.count()).select_from(Member).where(Member.id.in_(ids))) == args.alone

    def alone() -> None:
        t = time.perf_counter()
        for member_id in ids:
            post_digest(ctx, "member", member_id, now.date())
        seconds["alone"] = time.perf_counter() - t

    phases["alone"] = summary(likes_while(cmds, clicker, paper_ids, threading.Thread(target=alone), 1, args.interval))

    def day() -> None:
        t = time.perf_counter()
        run_once(ctx, now=now)
        seconds["day"] = time.perf_counter() - t

    phases["day"] = summary(likes_while(cmds, clicker, paper_ids, threading.Thread(target=day), 1, args.interval))

    print(f"store {args.store} ({newest} papers), {args.targets} members' day, {args.alone} digests ranked alone; "
          f"day {seconds['day']:.1f} s, alone {seconds['alone']:.1f} s ({seconds['alone'] / args.alone * 1000:.0f} ms each); "
          f"papers posted {poster.papers}")
    print(f"{'phase':<8}{'likes':>7}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'p95/idle':>10}")
    for name, s in phases.items():
        print(f"{name:<8}{s['n']:>7}{s['p50']:>10.1f}{s['p95']:>10.1f}{s['max']:>10.1f}{s['p95'] / phases['idle']['p95']:>10.1f}")


if __name__ == "__main__":
    main()
