"""Real processes racing on one database: migrations on an empty database, and ingests of the same papers.

Each child imports paperbot, prints "ready", then waits for one line on stdin;
the test releases all children at once when every one is ready (no sleeps).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, inspect, select

from recommender.store import Digest, DigestEntry, Paper, Store

REPO = Path(__file__).resolve().parent.parent
PROCESSES = 4
TIMEOUT = 300  # seconds for all children together

OPEN_STORE = """
import sys
from recommender.store import Store
print("ready", flush=True)
sys.stdin.readline()
Store(sys.argv[1]).dispose()
print("{}")
"""

START_SCHEDULER = """
import asyncio, sys
from bot.service.scheduler import make_scheduler
from recommender.store import Store
print("ready", flush=True)
sys.stdin.readline()
store = Store(sys.argv[1])

async def start():  # as paperbot run starts its scheduler: the job-store table is created under the schema lock
    scheduler = make_scheduler(store)
    with store.schema_lock():
        scheduler.start(paused=True)
    scheduler.shutdown(wait=False)

asyncio.run(start())
store.dispose()
print("{}")
"""

INGEST = """
import json, sys
from recommender.ingest import ingest
from recommender.store import Store
store = Store(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
results = ingest(store, sys.argv[2:])
print(json.dumps([{"source": r.source, "error": r.error, "new": r.new, "known": r.known,
                   "duplicate": r.duplicate_digest} for r in results]))
"""


def race(code: str, argvs: list[list[str]]) -> list[object]:
    """Run one child per argv, release them together, and return each child's last stdout line as JSON."""
    children = [
        subprocess.Popen([sys.executable, "-c", code, *argv], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for argv in argvs
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()[-3000:]
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=TIMEOUT) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    failures = [(child.returncode, err[-3000:]) for child, (_, err) in zip(children, outputs, strict=False) if child.returncode != 0]
    assert failures == []
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from recommender.store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_four_processes_opening_an_empty_database_all_migrate_it(db_url):
    race(OPEN_STORE, [[db_url]] * PROCESSES)
    store = Store(db_url, migrate=False)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [head_revision()]
    assert {"papers", "digests", "feedback", "source_runs"} <= set(inspect(store.engine).get_table_names())
    store.dispose()


def test_four_schedulers_starting_on_an_empty_database_all_start(db_url):
    race(START_SCHEDULER, [[db_url]] * PROCESSES)
    store = Store(db_url, migrate=False)
    assert "apscheduler_jobs" in inspect(store.engine).get_table_names()
    store.dispose()


def test_four_processes_ingesting_byte_different_copies_store_each_paper_once(db_url, tmp_path, sample_digests):
    original = (sample_digests / "000_c6f8620f3de3774f.txt").read_bytes()
    copies = []
    for i in range(PROCESSES):  # byte-different copies of one page digest: different content hashes, same papers
        copies.append(tmp_path / f"copy{i}.txt")
        copies[-1].write_bytes(original + b"\n" * i)
    store = Store(db_url)  # migrated before the race: this test is about the papers
    orders = [[str(p) for p in copies[i:] + copies[:i]] for i in range(PROCESSES)]
    outputs = race(INGEST, [[db_url, *order] for order in orders])
    results = [r for output in outputs for r in output]
    assert [r["error"] for r in results] == [None] * PROCESSES * PROCESSES
    stored = {str(p): [r for r in results if r["source"] == str(p) and not r["duplicate"]] for p in copies}
    assert {source: len(rs) for source, rs in stored.items()} == {str(p): 1 for p in copies}  # each copy stored once
    assert sum(r["new"] for r in results) == 37
    with store.session() as s:
        assert s.scalar(select(func.count(Paper.id))) == 37
        assert s.scalar(select(func.count(func.distinct(Paper.title_key)))) == 37
        assert s.scalar(select(func.count(Digest.id))) == PROCESSES
        assert s.scalar(select(func.count()).select_from(DigestEntry)) == PROCESSES * 37
    store.dispose()
