"""How to keep TF-IDF rows in the database: one row per paper, or one row per batch of papers (what paperbot does).

Writes the same ``--papers`` sparse rows (``--nnz`` entries each, float32, like the
store's TF-IDF rows) both ways into a fresh SQLite file and, when
``PAPERBOT_TEST_DATABASE_URL`` is set, a fresh PostgreSQL schema, then times reading
all of them back into one CSR matrix (best of ``--repeat``), in the same run.

Usage::

    PYTHONPATH=. python benchmarks/tfidf_rows_load.py [--papers 100000] [--nnz 80] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from urllib.parse import quote

import numpy as np
import scipy.sparse as sp
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, create_engine, select, text

from recommender.text.rows import BATCH_ROWS

meta = MetaData()
per_paper = Table("rows_per_paper", meta, Column("paper_id", Integer, primary_key=True),
                  Column("indices", LargeBinary), Column("data", LargeBinary))
per_batch = Table("rows_per_batch", meta, Column("id", Integer, primary_key=True), Column("paper_ids", LargeBinary),
                  Column("indptr", LargeBinary), Column("indices", LargeBinary), Column("data", LargeBinary))


def corpus(n: int, nnz: int, n_features: int = 200_000) -> sp.csr_matrix:
    rng = np.random.default_rng(0)
    indices = np.sort(rng.integers(0, n_features, size=(n, nnz)), axis=1).astype(np.int32).ravel()
    data = rng.random(n * nnz, dtype=np.float32)
    return sp.csr_matrix((data, indices, np.arange(0, n * nnz + 1, nnz)), shape=(n, n_features))


def write(engine, X: sp.csr_matrix) -> None:
    meta.create_all(engine)
    with engine.begin() as conn:
        rows = [{"paper_id": i + 1, "indices": X.indices[X.indptr[i]:X.indptr[i + 1]].tobytes(),
                 "data": X.data[X.indptr[i]:X.indptr[i + 1]].tobytes()} for i in range(X.shape[0])]
        for lo in range(0, len(rows), 10_000):
            conn.execute(per_paper.insert(), rows[lo:lo + 10_000])
        for lo in range(0, X.shape[0], BATCH_ROWS):
            part = X[lo:lo + BATCH_ROWS]
            conn.execute(per_batch.insert(), {"paper_ids": np.arange(lo + 1, lo + 1 + part.shape[0], dtype="<i8").tobytes(),
                                              "indptr": part.indptr.astype("<i8").tobytes(),
                                              "indices": part.indices.tobytes(), "data": part.data.tobytes()})


def read_per_paper(engine, n_features: int) -> sp.csr_matrix:
    with engine.connect() as conn:
        rows = conn.execute(select(per_paper.c.indices, per_paper.c.data).order_by(per_paper.c.paper_id)).all()
    indices = [np.frombuffer(i, dtype=np.int32) for i, _ in rows]
    indptr = np.concatenate([[0], np.cumsum([a.size for a in indices])])
    return sp.csr_matrix((np.frombuffer(b"".join(d for _, d in rows), dtype=np.float32), np.concatenate(indices), indptr),
                         shape=(len(rows), n_features))


def read_per_batch(engine, n_features: int) -> sp.csr_matrix:
    with engine.connect() as conn:
        rows = conn.execute(select(per_batch.c.indptr, per_batch.c.indices, per_batch.c.data).order_by(per_batch.c.id)).all()
    ptrs, offset = [], 0
    for ptr_b, _, _ in rows:
        ptr = np.frombuffer(ptr_b, dtype="<i8")
        ptrs.append(ptr[:-1] + offset)
        offset += int(ptr[-1])
    indptr = np.concatenate([*ptrs, [offset]])
    return sp.csr_matrix((np.concatenate([np.frombuffer(r[2], dtype=np.float32) for r in rows]),
                          np.concatenate([np.frombuffer(r[1], dtype=np.int32) for r in rows]), indptr),
                         shape=(indptr.size - 1, n_features))


def best(fn, repeat: int) -> tuple[float, sp.csr_matrix]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--nnz", type=int, default=80)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    X = corpus(args.papers, args.nnz)
    urls = {"sqlite": f"sqlite:///{tempfile.mkdtemp(prefix='rows_load_')}/rows.db"}
    base, schema = os.environ.get("PAPERBOT_TEST_DATABASE_URL"), f"rows_load_{uuid.uuid4().hex[:8]}"
    if base:
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        urls["postgresql"] = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    print(f"{args.papers} rows x {args.nnz} entries; {BATCH_ROWS} papers per batch; best of {args.repeat}")
    try:
        for name, url in urls.items():
            engine = create_engine(url)
            write(engine, X)
            t_paper, a = best(lambda e=engine: read_per_paper(e, X.shape[1]), args.repeat)
            t_batch, b = best(lambda e=engine: read_per_batch(e, X.shape[1]), args.repeat)
            assert (a != X).nnz == 0 and (b != X).nnz == 0
            print(f"{name:10s} one row per paper {t_paper:6.2f} s   one row per batch {t_batch:6.2f} s   "
                  f"batch/paper {t_batch / t_paper:5.2f}x")
            engine.dispose()
    finally:
        if base:
            with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
