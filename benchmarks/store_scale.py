"""Store scale benchmark: a year of papers (100,000) through ``paperbot ingest``, on SQLite and PostgreSQL.

The corpus is real text recombined: titles from the sample digests, the Hugging
Face API samples and citeulike-a (a title used a second time gets a real model
name from a sample title as its prefix, "GNNPipe: ..."), abstracts of 4 to 8
sentences drawn from the sample digests' and API samples' abstracts, authors
from the API samples. No random words. It is written as Hugging Face Daily
Papers API JSON files (one file per day) and ingested by a child process running
``python -m bot.cli --database-url URL ingest DIR --json``; the child's wall time
and peak RSS are measured.

The same measurement is run on the code path of ``--baseline-ref`` (main at the
start of the bulk-ingest work), exported with ``git archive`` and run from its
own folder, on a first slice of ``--baseline-papers`` papers (the old path takes
about 18 minutes for 100,000 papers); its throughput on a small store is an
upper bound of its throughput on a large one, so the ratio printed is a lower bound.

On PostgreSQL the ingested ``papers`` table is then vacuumed and analysed
(:meth:`Backend.settle`, timed and printed), as autovacuum does to a table that
inserts grew: a year-old store has been, a bulk load has not.

Then :func:`query_timings` times search, picks, the daily digests and CLI search
against CLI stats (through ``benchmarks/store_queries.py`` children), beside the
same measurements of ``--query-baseline-ref`` (main before search went through the
index) run on its own store of the same papers. Sentence embeddings are off in every
child (``PAPERBOT_RECOMMENDER__SEMANTIC=false``): embedding 100,000 papers takes longer
than the rest of the run on a shared 2-core machine.

Usage::

    PYTHONPATH=. python benchmarks/store_scale.py [--papers 100000] [--per-file 1000] [--baseline-papers 10000]
        [--backends sqlite,postgresql] [--keep DIR]

PostgreSQL runs when ``PAPERBOT_TEST_DATABASE_URL`` is set (a fresh schema is made and dropped).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np

REPO = Path(__file__).resolve().parent.parent
BASELINE_REF = "39a5665"  # main when the bulk-ingest work began (issue 11 / 15)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True)
class TextPools:
    """Real text to recombine: titles, names before a colon, abstract sentences, author names."""

    titles: list[str]
    names: list[str]
    sentences: list[str]
    authors: list[str]


def shared_dir() -> Path:
    return Path(os.environ.get("PAPERBOT_SHARED_DIR", REPO.parent / "shared"))


def load_pools(shared: Path) -> TextPools:
    """Parse the sample digests and API samples with paperbot's own parsers; read citeulike-a titles."""
    from recommender.sources import parse_digest

    records = []
    for path in sorted((REPO / "samples" / "digests").glob("*.txt")) + sorted((shared / "formats" / "hf_api").glob("daily_*.json")):
        records += parse_digest(path.read_bytes(), source=str(path)).papers
    titles = [r.title for r in records]
    titles += [line.strip() for line in (shared / "eval" / "citeulike-a" / "titles.txt").read_text().splitlines() if line.strip()]
    names = sorted({r.title.split(":", 1)[0].strip() for r in records if ":" in r.title and len(r.title.split(":", 1)[0]) <= 24})
    sentences = sorted({s.strip() for r in records for s in SENTENCE_END.split(r.abstract) if len(s.split()) >= 5})
    authors = sorted({a for r in records for a in r.authors})
    return TextPools(titles=list(dict.fromkeys(titles)), names=names, sentences=sentences, authors=authors)


def make_items(pools: TextPools, n: int, seed: int = 0) -> list[dict]:
    """``n`` Hugging Face API items with unique arXiv ids and unique titles, in arXiv id order."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pools.titles))
    items = []
    for i in range(n):
        base = pools.titles[order[i % len(order)]]
        repeat = i // len(order)
        title = base if repeat == 0 else f"{pools.names[(repeat - 1 + i) % len(pools.names)]}: {base}"
        sentences = rng.choice(len(pools.sentences), size=int(rng.integers(4, 9)), replace=False)
        authors = rng.choice(len(pools.authors), size=int(rng.integers(1, 9)), replace=False)
        month, number = divmod(i, 9000)
        year, month = 24 + month // 12, month % 12 + 1
        day = 1 + (i // 1000) % 28
        published = f"20{year}-{month:02d}-{day:02d}T17:59:00.000Z"
        abstract = " ".join(pools.sentences[j] for j in sentences)
        items.append({
            "paper": {
                "id": f"{year}{month:02d}.{number + 1:05d}",
                "authors": [{"name": pools.authors[j]} for j in authors],
                "publishedAt": published,
                "title": title,
                "summary": abstract,
                "upvotes": int(rng.integers(0, 200)),
            },
            "title": title,
            "summary": abstract,
            "publishedAt": published,
            "numComments": int(rng.integers(0, 20)),
        })
    return items


def write_files(items: list[dict], folder: Path, per_file: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(0, len(items), per_file):
        (folder / f"daily_papers_{k // per_file:05d}.json").write_text(json.dumps(items[k:k + per_file]))
    return folder


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    papers: int
    new: int

    @property
    def rate(self) -> float:
        return self.papers / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.papers / self.cpu_seconds


# The child reports its own peak RSS (VmHWM, reset by exec) when it exits: the ru_maxrss that wait4
# returns for a child starts from the parent's RSS at fork, and this parent holds the whole corpus.
CLI = """
import atexit, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        sys.stderr.write(next(line for line in status if line.startswith("VmHWM")))
atexit.register(_peak)
sys.argv = ["paperbot", *sys.argv[1:]]
runpy.run_module("bot.cli", run_name="__main__")
"""


def run_ingest(code_dir: Path, url: str, folder: Path, papers: int, extra_env: dict | None = None) -> Run:
    """Run ``paperbot ingest`` (``bot.cli``) from ``code_dir`` (its packages win) in a child: wall and CPU time, peak RSS."""
    env = dict(os.environ, PYTHONPATH=str(code_dir), **(extra_env or {}))
    cmd = [sys.executable, "-c", CLI, "--database-url", url, "ingest", str(folder), "--json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=code_dir, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        log = err.read().decode()
        if child.returncode != 0:
            raise SystemExit(f"ingest failed ({child.returncode}) in {code_dir}:\n{log[-3000:]}")
        results = json.loads(out.read())
    peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", log).group(1))
    return Run(seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime, peak_rss_mb=peak_kb / 1024,
               papers=papers, new=sum(r["new"] for r in results))


def export_ref(ref: str, dest: Path) -> Path:
    """``git archive`` of ``ref`` unpacked into ``dest`` (the old code path, runnable from there)."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


class Backend:
    """A fresh empty database per run: a SQLite file, or a PostgreSQL schema dropped afterwards."""

    def __init__(self, name: str, work: Path):
        self.name, self.work, self.schemas = name, work, []

    def fresh_url(self, label: str) -> str:
        if self.name == "sqlite":
            path = self.work / f"{label}.db"
            path.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        from sqlalchemy import create_engine, text

        base = os.environ["PAPERBOT_TEST_DATABASE_URL"]
        schema = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self.schemas.append(schema)
        return f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"

    def settle(self, url: str) -> float:
        """PostgreSQL: ``VACUUM (ANALYZE) papers``, as autovacuum does to a table that inserts grew; seconds.

        A store that has grown for a year has been vacuumed many times; right after a bulk load its pages
        are neither marked all-visible nor hint-bitted, and the first searches pay for that. SQLite: 0.
        """
        if self.name == "sqlite":
            return 0.0
        from sqlalchemy import create_engine, text

        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        start = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text("VACUUM (ANALYZE) papers"))
        engine.dispose()
        return time.perf_counter() - start

    def cleanup(self) -> None:
        if not self.schemas:
            return
        from sqlalchemy import create_engine, text

        with create_engine(os.environ["PAPERBOT_TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT").connect() as conn:
            for schema in self.schemas:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


QUERY_BASELINE_REF = "b9204a1"  # main before search went through the index and the persisted rows (issue 11, wave 2)
NO_EMBEDDINGS = {"PAPERBOT_RECOMMENDER__SEMANTIC": "false"}  # 100,000 embeddings take too long on a shared 2-core box


def make_queries(pools: TextPools, items: list[dict], n: int = 201, seed: int = 1) -> list[str]:
    """What people type: a model's name, a title's first words, a whole title, a topic phrase (cycled)."""
    rng = np.random.default_rng(seed)
    topics = ["graph neural networks", "quantization", "diffusion models", "reinforcement learning from human feedback",
              "speech recognition", "protein structure prediction", "federated learning", "sparse attention"]
    out = []
    for i in range(n):
        title = items[int(rng.integers(len(items)))]["title"]
        kind = i % 4
        out.append(pools.names[int(rng.integers(len(pools.names)))] if kind == 0 else
                   " ".join(title.split()[:4]) if kind == 1 else title if kind == 2 else topics[i % len(topics)])
    return out


def child(code_dir: Path, args: list[str], timeout: float = 7200) -> tuple[float, str]:
    """Run ``python ARGS`` with ``code_dir``'s packages first; (wall seconds, stdout); raises on failure."""
    env = dict(os.environ, PYTHONPATH=str(code_dir), **NO_EMBEDDINGS)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=code_dir, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{args[:3]} failed ({done.returncode}) in {code_dir}:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def queries_child(code_dir: Path, url: str, mode: str, *extra: str) -> dict:
    script = str(REPO / "benchmarks" / "store_queries.py")
    return json.loads(child(code_dir, [script, mode, url, *extra])[1].strip().splitlines()[-1])


def cli_walls(code_dir: Path, url: str, commands: list[list[str]], runs: int = 1) -> list[float]:
    """Median wall time of each ``paperbot --database-url URL COMMAND`` in a fresh process, seconds.

    The commands take turns (``runs`` rounds of each in order), so a host that slows
    or speeds up meanwhile weighs on them alike and their ratio stays fair.
    """
    walls: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for times, command in zip(walls, commands, strict=True):
            times.append(child(code_dir, ["-m", "bot.cli", "--database-url", url, *command])[0])
    return [float(np.median(times)) for times in walls]


def query_timings(url: str, items: list[dict], *, old_code: Path | None = None, old_url: str | None = None,
                  queries_file: Path, old_searches: int = 5, old_targets: int = 100) -> list[tuple[str, float, float | None]]:
    """Search, picks, daily-digest and CLI timings on the ingested store, as (name, ours, old path) rows.

    Ours: 200 warm searches through ``Commands.search`` (p50, p95, max; after the background
    warm-up that ``paperbot run`` starts has loaded the rows), the first search
    after a fresh process start, ``picks`` for one person, the daily digests of 1,000 targets
    over a 2,000-paper day (``run --once``'s path), CLI ``search`` against CLI ``stats``.
    The old path (``QUERY_BASELINE_REF`` on its own store of the same papers) runs
    ``old_searches`` warm searches and ``old_targets`` digests (scaled to 1,000, said in the label).
    """
    refit_s = child(REPO, ["-m", "bot.cli", "--database-url", url, "refit", "--json"])[0]  # what the service's job does
    ours = queries_child(REPO, url, "search", str(queries_file), "--warm", "200")
    old = queries_child(old_code, old_url, "search", str(queries_file), "--warm", str(old_searches)) if old_code else None
    warm = np.array(ours["warm"]) * 1000
    old_warm = np.array(old["warm"]) * 1000 if old else None
    rows: list[tuple[str, float, float | None]] = [
        ("paperbot refit (fit + every row stored), s", refit_s, None),
        ("search warm p50, ms", float(np.percentile(warm, 50)), float(np.percentile(old_warm, 50)) if old else None),
        ("search warm p95, ms", float(np.percentile(warm, 95)), float(np.percentile(old_warm, 95)) if old else None),
        ("search warm max, ms", float(warm.max()), float(old_warm.max()) if old else None),
        ("first search after start, s", ours["first"], old["first"] if old else None),
        ("rows loaded in the background, s after start", ours["loaded"], old.get("loaded") if old else None),
        ("picks for one person, s", ours["picks"], old["picks"] if old else None),
        ("search process peak RSS, MB", ours["peak_rss_mb"], old["peak_rss_mb"] if old else None),
    ]
    cli = [["search", "graph neural networks"], ["stats"]]
    cli_search, cli_stats = cli_walls(REPO, url, cli, runs=5)
    old_search, old_stats = cli_walls(old_code, old_url, cli) if old_code and old_url else (None, None)
    rows += [
        ("CLI search wall, s", cli_search, old_search),
        ("CLI stats wall, s", cli_stats, old_stats),
        ("CLI search / CLI stats", cli_search / cli_stats, old_search / old_stats if old_search and old_stats else None),
    ]
    digest = queries_child(REPO, url, "digest", "--targets", "1000", "--day-papers", "2000")
    assert digest["posted"] == 1000, digest
    old_digest = queries_child(old_code, old_url, "digest", "--targets", str(old_targets), "--day-papers", "2000") if old_code else None
    rows += [
        (f"digests 1000 targets, s (old: {old_targets} x{1000 // old_targets})", digest["seconds"],
         old_digest["seconds"] * 1000 / old_targets if old_digest else None),
        ("digest process peak RSS, MB", digest["peak_rss_mb"], old_digest["peak_rss_mb"] if old_digest else None),
    ]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--per-file", type=int, default=1_000)
    ap.add_argument("--baseline-papers", type=int, default=10_000, help="Slice run on the old code path (0: skip).")
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--keep", type=Path, help="Keep the generated files and SQLite stores in this folder.")
    ap.add_argument("--query-baseline-ref", default=QUERY_BASELINE_REF, help="Old path for the query timings ('' : skip).")
    ap.add_argument("--old-searches", type=int, default=5, help="Warm searches timed on the old path.")
    ap.add_argument("--old-targets", type=int, default=100, help="Digests timed on the old path (scaled to 1,000).")
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b == "sqlite" or os.environ.get("PAPERBOT_TEST_DATABASE_URL")]
    work = args.keep or Path(tempfile.mkdtemp(prefix="store_scale_"))
    work.mkdir(parents=True, exist_ok=True)
    pools = load_pools(shared_dir())
    items = make_items(pools, args.papers)
    full = write_files(items, work / "full", args.per_file)
    n_base = min(args.baseline_papers, args.papers)
    sliced = write_files(items[:n_base], work / "slice", args.per_file) if n_base else None
    old_code = export_ref(args.baseline_ref, work / "baseline_code") if n_base else None
    query_code = export_ref(args.query_baseline_ref, work / "query_baseline_code") if args.query_baseline_ref else None
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(make_queries(pools, items)))
    print(f"corpus {len(items)} papers in {len(list(full.iterdir()))} HF API files; pools: {len(pools.titles)} titles, "
          f"{len(pools.sentences)} sentences, {len(pools.authors)} authors; old path = {args.baseline_ref} on the first {n_base}"
          f" (ingest), {args.query_baseline_ref or 'none'} on all papers (queries); sentence embeddings off")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall rates fall under load; "
          "CPU-second rates much less)")
    print(f"{'backend':10s} {'measure':44s} {'ours':>10s} {'old path':>10s} {'ours/old':>9s}")
    for name in backends:
        backend = Backend(name, work)
        try:
            url = backend.fresh_url("ours")
            ours = run_ingest(REPO, url, full, len(items), NO_EMBEDDINGS)
            assert ours.new == len(items), (ours.new, len(items))
            old = run_ingest(old_code, backend.fresh_url("old"), sliced, n_base) if n_base else None
            old_url = backend.fresh_url("oldq") if query_code else None
            if query_code:
                run_ingest(query_code, old_url, full, len(items), NO_EMBEDDINGS)
            rows = [
                ("ingest, papers/s (wall)", ours.rate, old.rate if old else None),
                ("ingest, papers per CPU second", ours.cpu_rate, old.cpu_rate if old else None),
                ("ingest wall time, s", ours.seconds, None),  # the old path ran on a slice: not comparable
                ("ingest peak RSS, MB", ours.peak_rss_mb, old.peak_rss_mb if old else None),
                ("vacuum (analyze) papers after ingest, s", backend.settle(url),
                 backend.settle(old_url) if old_url else None),
            ] + query_timings(url, items, old_code=query_code, old_url=old_url, queries_file=queries_file,
                              old_searches=args.old_searches, old_targets=args.old_targets)
            for label, value, base in rows:
                ratio = f"{value / base:8.2f}x" if base else "        -"
                base_s = f"{base:10.2f}" if base else "         -"
                print(f"{name:10s} {label:44s} {value:10.2f} {base_s} {ratio}", flush=True)
        finally:
            backend.cleanup()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
