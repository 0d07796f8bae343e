"""No digest lost: the bars of issue 15 against real ``paperbot run`` processes (console adapter).

Scenarios (each on a fresh database whose targets are all due; see ``tests/service_harness.py``):

* ``kill``: ``--trials`` times, ``--targets`` channels; SIGKILL after a random number of printed
  digests, restart, wait until every digest is recorded, stop. Counts target-days never posted,
  posted twice, and of those the ones whose post was under way at the kill (claimed, not finished).
* ``outage``: PostgreSQL behind a TCP proxy; two seconds after the first digest every connection is
  dropped and new ones refused for ``--outage-seconds``; then every digest must be posted once.
* ``sigterm``: ``--sigterm-targets`` channels; SIGTERM two seconds after the first digest; the exit
  (status, seconds, the "digests left" line), then a restart that must post exactly the rest.

Before (issue 15, the same kinds of runs on the previous service): kill, 11 trials x 200 targets:
923 of 2,200 target-days never posted; outage of 30 s: 165 targets never posted, one printed while
its row stayed claimed; SIGTERM with 2,000: 902 jobs failed with "no JobContext installed".

Usage: ``PYTHONPATH=. .venv/bin/python benchmarks/digest_survival.py [--scenario all] [--backend both]``
(PostgreSQL needs ``PAPERBOT_TEST_DATABASE_URL``, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from service_harness import BotProcess, TcpProxy, deliveries, finished, seed, tally, wait_until  # noqa: E402

SAMPLES = REPO / "samples" / "digests"
LEFT = re.compile(r'event="(\d+) digests left; the next start posts them"')
BOUND = 900  # seconds any one run may take before the scenario is declared failed


@contextmanager
def database(backend: str, folder: Path):
    """A fresh SQLite file, or a fresh schema in the PostgreSQL database of PAPERBOT_TEST_DATABASE_URL."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    base = os.environ["PAPERBOT_TEST_DATABASE_URL"]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def outcome(counts, names, in_flight=frozenset()) -> dict:
    twice = {name for name, n in counts.items() if n > 1}
    return {"targets": len(names), "posted": len(set(counts) & set(names)), "lost": len(set(names) - set(counts)),
            "twice": len(twice - in_flight), "twice_in_flight": len(twice & in_flight)}


def kill_trial(backend: str, folder: Path, n: int, rng: random.Random) -> dict:
    with database(backend, folder) as url:
        names = seed(url, n, SAMPLES)
        first = BotProcess(url, folder / "run")
        kill_after = rng.randint(1, n - 1)
        if not first.wait_for(lambda b: len(b.headers) >= kill_after, BOUND):
            raise SystemExit(f"first run never printed {kill_after} digests:\n{first.text()[-2000:]}")
        first.kill()
        by_id = {i: name for name, i in names.items()}
        in_flight = {by_id[i] for i, (status, _) in deliveries(url).items() if status == "claimed"}
        clock = time.monotonic()
        second = BotProcess(url, folder / "run")
        done = wait_until(lambda: finished(url, n), BOUND, every=0.5)
        seconds = time.monotonic() - clock
        second.terminate()
        return {**outcome(tally(first, second), names, in_flight), "killed_after": len(first.headers),
                "in_flight": len(in_flight), "all_recorded": done, "restart_seconds": round(seconds, 1)}


def run_kill(backend: str, folder: Path, trials: int, n: int, seed_value: int) -> None:
    rng = random.Random(seed_value)
    total = {"targets": 0, "posted": 0, "lost": 0, "twice": 0, "twice_in_flight": 0}
    for trial in range(trials):
        result = kill_trial(backend, folder, n, rng)
        print(f"kill {backend} trial {trial + 1}: " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)
        for key in total:
            total[key] += result[key]
    print(f"kill {backend} total ({trials} trials x {n} targets, seed {seed_value}): "
          + " ".join(f"{k}={v}" for k, v in total.items()), flush=True)


def run_outage(folder: Path, n: int, seconds: float) -> None:
    with database("postgresql", folder) as url:
        names = seed(url, n, SAMPLES)
        proxy = TcpProxy(("127.0.0.1", 5432))
        bot = BotProcess(url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}", 1), folder / "run")
        try:
            bot.wait_for(lambda b: len(b.headers) >= 1, BOUND)
            bot.wait_for(lambda b: False, 2.0)  # two seconds into the window
            before = len(bot.headers)
            proxy.down()
            bot.wait_for(lambda b: False, seconds)
            during = len(bot.headers) - before
            proxy.up()
            clock = time.monotonic()
            done = wait_until(lambda: finished(url, n), BOUND, every=0.5)
            after = time.monotonic() - clock
            alive = bot.proc.poll() is None
        finally:
            proxy.up()
            code = bot.terminate()
            proxy.close()
        errors = [line for line in bot.log if "database error, retrying" in line]
        print(f"outage postgresql {seconds:.0f} s after {before} digests: " + " ".join(
            f"{k}={v}" for k, v in outcome(tally(bot), names).items())
            + f" printed_during_outage={during} stayed_up={alive} all_recorded={done} seconds_to_finish_after={after:.1f}"
            f" exit={code} logged_db_errors={len(errors)}", flush=True)
        if errors:
            print(f"  e.g. {errors[0].strip()[:400]}", flush=True)


def run_sigterm(backend: str, folder: Path, n: int) -> None:
    with database(backend, folder) as url:
        names = seed(url, n, SAMPLES)
        first = BotProcess(url, folder / "run", sync_seconds=60)
        first.wait_for(lambda b: len(b.headers) >= 1, BOUND)
        first.wait_for(lambda b: False, 2.0)
        clock = time.monotonic()
        code = first.terminate(BOUND)
        exit_seconds = time.monotonic() - clock
        log = first.text()
        left = [int(x) for x in LEFT.findall(log)]
        no_context = log.count("no JobContext")
        second = BotProcess(url, folder / "run", sync_seconds=60)
        done = wait_until(lambda: finished(url, n), BOUND, every=0.5)
        second.terminate(BOUND)
        print(f"sigterm {backend} {n} targets: exit={code} exit_seconds={exit_seconds:.1f} posted_before={len(first.headers)}"
              f" left_logged={left[0] if left else None} no_jobcontext_errors={no_context}"
              f" posted_by_restart={len(second.headers)} all_recorded={done} "
              + " ".join(f"{k}={v}" for k, v in outcome(tally(first, second), names).items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["kill", "outage", "sigterm", "all"], default="all")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--sigterm-targets", type=int, default=2000)
    parser.add_argument("--outage-seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("PAPERBOT_TEST_DATABASE_URL"):
        raise SystemExit("PostgreSQL needs PAPERBOT_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="digest-survival-") as tmp:
        folder = Path(tmp)
        if args.scenario in ("kill", "all"):
            for backend in backends:
                run_kill(backend, folder, args.trials, args.targets, args.seed)
        if args.scenario in ("outage", "all") and "postgresql" in backends:
            run_outage(folder, args.targets, args.outage_seconds)
        if args.scenario in ("sigterm", "all"):
            for backend in backends:
                run_sigterm(backend, folder, args.sigterm_targets)


if __name__ == "__main__":
    main()
