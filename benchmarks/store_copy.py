"""What a PostgreSQL test store costs: copying the session's template into a test's own schema, and dropping it.

Every test that asks for ``store`` or ``papers_store`` on PostgreSQL gets a copy of a template
(``tests/store_templates.py``): ``schema`` (migrated, empty) or ``papers`` (the 216 sample papers
and the TF-IDF model fitted on them). This times ``PgTemplates.create`` and the teardown's
``DROP SCHEMA … CASCADE`` for both, median of ``--repeat``, and prints the ``papers`` copy as a
ratio of the ``schema`` copy measured in the same run. Needs ``PAPERBOT_TEST_DATABASE_URL``.

Usage::

    PAPERBOT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        PYTHONPATH=.:tests python benchmarks/store_copy.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from store_templates import CONTENTS, PgTemplates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    url = os.environ.get("PAPERBOT_TEST_DATABASE_URL")
    if not url:
        raise SystemExit("set PAPERBOT_TEST_DATABASE_URL to a PostgreSQL database")
    templates = PgTemplates(url)
    medians: dict[str, tuple[float, float]] = {}
    warm: list[str] = []
    try:
        for content in CONTENTS:
            warm.append(f"warm_{uuid.uuid4().hex[:12]}")
            templates.create(content, warm[-1])  # the template itself is made (migrated, filled, dumped) on first use
            create, drop = [], []
            for _ in range(args.repeat):
                schema = f"t_{uuid.uuid4().hex[:12]}"
                start = time.perf_counter()
                templates.create(content, schema)
                create.append(time.perf_counter() - start)
                start = time.perf_counter()
                templates.execute(f'DROP SCHEMA "{schema}" CASCADE')
                drop.append(time.perf_counter() - start)
            medians[content] = (statistics.median(create), statistics.median(drop))
    finally:
        for schema in warm:
            templates.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        templates.close()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; median of {args.repeat}")
    print(f"{'template':10s} {'copy s':>8s} {'drop s':>8s}")
    for content, (create, drop) in medians.items():
        print(f"{content:10s} {create:8.3f} {drop:8.3f}")
    print(f"papers copy / schema copy: {medians['papers'][0] / medians['schema'][0]:.2f}x")


if __name__ == "__main__":
    main()
