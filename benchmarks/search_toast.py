"""Migration 0012 weighed: PostgreSQL search with each paper's tsvector in its row against the TOAST table.

On a PostgreSQL store built at migration 0012 or later (tsvectors in the row), a
copy of ``papers`` is made with PostgreSQL's default TOAST settings (its tsvectors
of more than about 2 KB rows go out of line, as before the migration). The same
200 searches then run through ``Commands.search`` in one process, alternately on
each table (the tables swap names between rounds, so the product's queries are
unchanged), three rounds each; printed per round: p50 / p95 / max (ms)::

    python benchmarks/search_toast.py URL QUERIES.json

``URL`` is a store of ``store_scale.py``'s papers (``--keep DIR``, then
``paperbot ingest DIR/full``, ``VACUUM ANALYZE papers`` and ``paperbot refit``), ``QUERIES.json``
its queries. The copy is dropped at the end; the store is otherwise left as it was.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_queries  # noqa: E402


def toasted_copy(engine) -> None:
    """``papers_toasted``: ``papers`` with its indexes and the default TOAST settings, filled, analysed."""
    with engine.begin() as conn:
        columns = ", ".join(conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'papers' AND is_generated = 'NEVER' ORDER BY ordinal_position")).scalars())
        conn.execute(text("DROP TABLE IF EXISTS papers_toasted"))
        conn.execute(text("CREATE TABLE papers_toasted (LIKE papers INCLUDING ALL)"))
        conn.execute(text("ALTER TABLE papers_toasted RESET (toast_tuple_target)"))
        conn.execute(text(f"INSERT INTO papers_toasted ({columns}) SELECT {columns} FROM papers"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE papers_toasted"))


def swap(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE papers RENAME TO papers_swap"))
        conn.execute(text("ALTER TABLE papers_toasted RENAME TO papers"))
        conn.execute(text("ALTER TABLE papers_swap RENAME TO papers_toasted"))


def toast_bytes(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'papers'::regclass")).scalar())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("queries", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from bot.commands import Caller

    queries = json.loads(args.queries.read_text())
    cmds = store_queries.commands(args.url)
    engine = cmds.store.engine
    toasted_copy(engine)
    cmds.recommender.warm_up().join()
    caller = Caller("cli", "bench", "toast")
    cmds.search(caller, queries[0], k=5)
    inline_p95, toasted_p95 = [], []
    try:
        for n in range(2 * args.rounds):
            label = "inline" if n % 2 == 0 else "toasted"
            times = []
            for q in range(200):
                start = time.perf_counter()
                cmds.search(caller, queries[(q + 1) % len(queries)], k=5)
                times.append(time.perf_counter() - start)
            p50, p95, top = np.percentile(np.asarray(times) * 1e3, [50, 95, 100])
            (inline_p95 if label == "inline" else toasted_p95).append(p95)
            print(f"round {n // 2 + 1} {label:8s} (TOAST table {toast_bytes(engine) / 1e6:6.1f} MB): "
                  f"p50 {p50:.1f} p95 {p95:.1f} max {top:.1f} ms", flush=True)
            swap(engine)
    finally:
        if len(inline_p95) != len(toasted_p95):
            swap(engine)  # the store's own table back under its name
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE papers_toasted"))
    print(f"median p95: inline {np.median(inline_p95):.1f} ms, toasted {np.median(toasted_p95):.1f} ms, "
          f"inline / toasted {np.median(inline_p95) / np.median(toasted_p95):.2f}x")


if __name__ == "__main__":
    main()
