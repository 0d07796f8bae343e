"""``paperbot run --once`` on the console with many channels, SIGKILLed at random moments and restarted:
is every channel's digest printed at most once, with no gap but at a kill?

Prepares a database (SQLite in a temporary folder, or ``--database-url``) with
the bundled sample papers and ``--channels`` console channels, then starts real
``paperbot run --once`` processes one after another. Each of the first
``--kills`` processes is killed with SIGKILL once it has printed a random number
of lines (at most ``--max-lines``; seeded by ``--seed``); the last one runs to
the end. ``delivery.recovery_seconds`` is 0, so each start takes over what the
killed one held at once (one process at a time, so nothing live is taken over).

Every process's output is then read back: each digest's header line
(``Papers for #c007, …``), the ``(continued)`` line of a resumed digest, and
the numbered paper lines under them. The console records each part just before
printing it (a terminal cannot be asked what it shows), so the guarantee is at
most once: nothing is printed twice, and a part is missing only where a kill
fell between its record and its print. The check: no header or paper twice;
every missing part is the one right after the last part a killed process
printed, at most one per kill (reported as "lost at a kill"); any other gap is
a problem.

Usage: ``PYTHONPATH=. .venv/bin/python benchmarks/console_kills.py [--channels 200] [--kills 10] [--seed 12]``
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECRET_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
               "DISCORD_TOKEN")
TOPICS = ("graph neural networks", "diffusion models for images", "reinforcement learning", "language model agents")
HEADER = re.compile(r"Papers for #(c\d+), \w{3} \d{2} \w{3} \d{4}(?! \(continued\))")
CONTINUED = re.compile(r"Papers for #(c\d+), \w{3} \d{2} \w{3} \d{4} \(continued\)")
PAPER = re.compile(r"^(\d+)\. ")


@dataclass
class Trials:
    """What the processes printed, per channel, and how each process ended."""

    headers: Counter = field(default_factory=Counter)  # channel -> header lines
    papers: dict[str, Counter] = field(default_factory=dict)  # channel -> position -> times printed
    orphans: int = 0  # paper lines before any header in a process's output
    runs: list[tuple[str, int, float]] = field(default_factory=list)  # (killed/exited, lines, seconds)
    sizes: dict[str, int] = field(default_factory=dict)  # channel -> papers in its delivered digest
    statuses: Counter = field(default_factory=Counter)  # delivery status -> count
    kill_points: list[tuple[str, int] | None] = field(default_factory=list)  # per killed run: last part printed

    def lost_at_kills(self) -> list[str]:
        """The parts missing where a kill fell between their record and their print (at most one per kill)."""
        return self._check()[1]

    def problems(self) -> list[str]:
        """Every departure from at most once with no gap but at a kill: a header or paper printed twice, a
        part missing that no kill explains, a digest not posted."""
        return self._check()[0]

    def _check(self) -> tuple[list[str], list[str]]:
        out = [f"{self.orphans} paper lines printed outside any digest"] if self.orphans else []
        points = Counter(self.kill_points)  # (channel, position printed last; 0 is the header) or None
        lost: list[str] = []

        def at_a_kill(channel: str, position: int) -> bool:
            if position == 0:  # a header: the killed run had just finished a digest, or printed nothing
                before = next((k for k in points if points[k] and (k is None or k[1] == self.sizes.get(k[0]))), False)
            else:
                before = (channel, position - 1) if points[(channel, position - 1)] else False
            if before is False:
                return False
            points[before] -= 1
            lost.append(f"{channel}: {'header' if position == 0 else f'paper {position}'}")
            return True

        for channel, size in sorted(self.sizes.items()):
            printed = self.papers.get(channel, Counter())
            if self.headers[channel] > 1 or (self.headers[channel] == 0 and not at_a_kill(channel, 0)):
                out.append(f"{channel}: header printed {self.headers[channel]} times")
            twice = any(n > 1 for n in printed.values()) or set(printed) - set(range(1, size + 1))
            missing = [p for p in range(1, size + 1) if p not in printed]
            if twice or not all(at_a_kill(channel, p) for p in missing):
                out.append(f"{channel}: papers printed {dict(sorted(printed.items()))}, expected 1..{size} once")
        if set(self.statuses) != {"posted"}:
            out.append(f"delivery statuses {dict(self.statuses)}")
        return out, lost


def prepare(workdir: Path, channels: int, database_url: str | None = None) -> Path:
    """A config file and a database holding the sample papers and ``channels`` console channels; returns the config."""
    from recommender.ingest import ingest
    from recommender.store import Channel, Store

    url = database_url or f"sqlite:///{workdir / 'paperbot.db'}"
    store = Store(url)
    try:
        ingest(store, [REPO / "samples" / "digests"])
        with store.session() as session:
            for n in range(channels):
                session.add(Channel(platform="cli", workspace="local", channel_ref=f"c{n:03d}", name=f"c{n:03d}",
                                    topic=TOPICS[n % len(TOPICS)], digest_time="00:00", timezone="UTC", digest_size=5))
    finally:
        store.dispose()
    config = workdir / "paperbot.toml"
    config.write_text(f'data_dir = "{workdir.as_posix()}"\ndatabase_url = "{url}"\n')
    return config


def run_once(config: Path, kill_after: int | None, log: Path) -> tuple[list[str], bool, float]:
    """One ``paperbot run --once``: its output lines, whether it was killed, and its seconds."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env.update(PAPERBOT_CONFIG=str(config), PAPERBOT_DELIVERY__RECOVERY_SECONDS="0", COLUMNS="400",
               PYTHONPATH=str(REPO))
    started = time.monotonic()
    with log.open("a") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--once", "--no-bootstrap"], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=stderr, text=True)
        lines: list[str] = []
        killed = False
        try:
            for line in proc.stdout:
                lines.append(line.rstrip("\n"))
                if kill_after is not None and len(lines) >= kill_after:
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
            lines += [line.rstrip("\n") for line in proc.stdout]  # what was written before the kill landed
            proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
    return lines, killed, time.monotonic() - started


def read_back(trials: Trials, lines: list[str], killed: bool = False) -> None:
    """Attribute one process's paper lines to the digest (header or continued line) above them; for a
    killed process, note the last part it printed."""
    channel = None
    last: tuple[str, int] | None = None
    for line in lines:
        if match := CONTINUED.search(line):
            channel = match.group(1)
        elif match := HEADER.search(line):
            channel = match.group(1)
            trials.headers[channel] += 1
            last = (channel, 0)
        elif match := PAPER.match(line):
            if channel is None:
                trials.orphans += 1
            else:
                trials.papers.setdefault(channel, Counter())[int(match.group(1))] += 1
                last = (channel, int(match.group(1)))
    if killed:
        trials.kill_points.append(last)


def run_trials(workdir: Path, *, channels: int, kills: int, max_lines: int, seed: int,
               database_url: str | None = None) -> Trials:
    """Prepare, then ``kills`` killed runs and one to the end; the delivered digests are read from the store."""
    from sqlalchemy import select

    from recommender.store import Channel, Delivery, DeliveryItem, Store

    config = prepare(workdir, channels, database_url)
    rng = random.Random(seed)
    trials = Trials()
    for n in range(kills + 1):
        kill_after = rng.randint(1, max_lines) if n < kills else None
        lines, killed, seconds = run_once(config, kill_after, workdir / "stderr.log")
        trials.runs.append(("killed" if killed else "exited", len(lines), seconds))
        read_back(trials, lines, killed)
    store = Store(database_url or f"sqlite:///{workdir / 'paperbot.db'}", migrate=False)
    try:
        with store.session() as session:
            for name, status, delivery_id in session.execute(
                    select(Channel.name, Delivery.status, Delivery.id).join(Delivery, Delivery.target_id == Channel.id)):
                trials.statuses[status] += 1
                trials.sizes[name] = len(session.scalars(select(DeliveryItem).where(DeliveryItem.delivery_id == delivery_id)).all())
    finally:
        store.dispose()
    return trials


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--max-lines", type=int, default=None, help="Kill after at most this many lines (default: the day's lines / kills).")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--database-url", default=None, help="An empty database (default: SQLite in a temporary folder).")
    args = parser.parse_args()
    max_lines = args.max_lines or max(2, args.channels * 16 // max(args.kills, 1))  # ~16 lines per digest
    with tempfile.TemporaryDirectory() as tmp:
        trials = run_trials(Path(tmp), channels=args.channels, kills=args.kills, max_lines=max_lines, seed=args.seed,
                            database_url=args.database_url)
    for n, (end, lines, seconds) in enumerate(trials.runs, 1):
        print(f"run {n:2d}: {end:6s} after {lines:5d} lines, {seconds:5.1f} s")
    problems, lost = trials.problems(), trials.lost_at_kills()
    print(f"{len(trials.sizes)} digests, {sum(trials.headers.values())} headers printed, "
          f"{sum(sum(c.values()) for c in trials.papers.values())} paper lines; "
          + ("nothing twice; " if not problems else "")
          + f"{len(lost)} part{'' if len(lost) == 1 else 's'} lost at a kill (recorded, then killed before the print)"
          + (f": {', '.join(lost)}" if lost else "") + ("" if not problems else f"; {len(problems)} problems:"))
    for line in problems:
        print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
