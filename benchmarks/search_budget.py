"""PostgreSQL's full-text row budget weighed: search time against how much the results change.

``fulltext.ROW_BUDGET["postgresql"]`` bounds the papers a search scores with
``ts_rank`` (the every-word query's newest matches, the OR query's rarest words).
A smaller budget is faster and looks at fewer papers. This script runs the same
searches through ``Commands.search`` on one store under each budget, in one
process, twice each (the word counts cached by the first run are cleared)::

    python benchmarks/search_budget.py URL QUERIES.json --budgets 1000,700,500

``URL`` is a PostgreSQL store built by ``benchmarks/store_scale.py`` (``--keep``
keeps its files; ingest them with ``paperbot ingest``, then ``paperbot refit``),
``QUERIES.json`` its queries (``DIR/queries.json``; the papers are ``DIR/full``). Printed per budget and run: warm
search p50 / p95 / max (ms), and the known items found: a query made of a title's
first words (every fourth query from the second) whose paper, a title starting with
those words, is in the top 5 and first. Then, against the first budget: how many
top-5 lists are identical, the share of top-5 papers kept, and how many first
results are the same.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import store_queries  # noqa: E402


def run(cmds, caller, queries: list[str]) -> tuple[list[float], list[list[int]], int, int]:
    times, lists, in_top, first = [], [], 0, 0
    for n in range(200):
        query = queries[(n + 1) % len(queries)]
        start = time.perf_counter()
        papers = cmds.search(caller, query, k=5).papers
        times.append(time.perf_counter() - start)
        lists.append([p.paper_id for p in papers])
        if (n + 1) % 4 == 1:
            starts = [p.title.lower().startswith(query.lower()) for p in papers]
            in_top += any(starts)
            first += bool(starts) and starts[0]
    return times, lists, in_top, first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url")
    ap.add_argument("queries", type=Path)
    ap.add_argument("--budgets", default="1000,700")
    args = ap.parse_args()
    from bot.commands import Caller
    from recommender.store import fulltext, word_counts

    queries = json.loads(args.queries.read_text())
    cmds = store_queries.commands(args.url)
    cmds.recommender.warm_up().join()
    caller = Caller("cli", "bench", "budget")
    cmds.search(caller, queries[0], k=5)
    results = {}
    for budget in [int(b) for b in args.budgets.split(",")]:
        fulltext.ROW_BUDGET["postgresql"] = budget
        for attempt in (1, 2):
            word_counts._counts.clear()  # counts are cached per budget: start each run cold
            times, lists, in_top, first = run(cmds, caller, queries)
            p50, p95, top = np.percentile(np.asarray(times) * 1e3, [50, 95, 100])
            print(f"budget {budget:5d} run {attempt}: p50 {p50:.1f} p95 {p95:.1f} max {top:.1f} ms; "
                  f"known items in top 5 {in_top}/50, first {first}/50")
        results[budget] = lists
    base_budget, *others = results
    base = results[base_budget]
    shown = sum(len(x) for x in base) or 1
    for budget in others:
        lists = results[budget]
        same = sum(x == y for x, y in zip(base, lists, strict=True))
        kept = sum(len(set(x) & set(y)) for x, y in zip(base, lists, strict=True)) / shown
        firsts = sum(x[:1] == y[:1] for x, y in zip(base, lists, strict=True))
        print(f"budget {budget} against {base_budget}: identical top-5 lists {same}/200, top-5 papers kept {kept:.3f}, "
              f"same first result {firsts}/200")


if __name__ == "__main__":
    main()
