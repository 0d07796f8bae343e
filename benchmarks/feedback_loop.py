"""Simulate the daily digest loop on CiteULike and print the hit rate per day.

Each sampled user starts from three of their own papers (cold start).  Papers
arrive in a random order, one batch per simulated day; every day each user
gets their top-10 among the papers arrived so far that they were never shown
(and are not their seeds).  A pick in the user's library is a hit (👍), any
other pick a miss (👎).  Three arms:

* ``no feedback``: the profile stays the three seed papers;
* ``👍 only``: hits join the liked papers;
* ``👍 and 👎``: hits are liked and misses disliked.

Profiles without community, as for a lone user; each arm runs twice, with
TF-IDF alone and with the hybrid score (TF-IDF plus the packaged sentence
embeddings, when the model is installed).  Recency decay uses the simulated
day of each rating.

Usage::

    python benchmarks/feedback_loop.py [--dataset citeulike-a] [--users 300] [--days 12]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from recommender.evaluation.data import default_data_dir, load_dataset
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.run import paperbot_vectorizer
from recommender.ranking import Ranker, Target
from recommender.ranking.semantic import SemanticInputs
from recommender.text.embeddings import PaperEmbedder

ARMS = ("no feedback", "👍 only", "👍 and 👎")


def simulate(x, libraries, seeds, order, days, batch, arm, ranker, emb=None, k=10):
    n_users = len(libraries)
    liked = [list(s) for s in seeds]
    liked_day = [[0] * len(s) for s in seeds]
    disliked: list[list[int]] = [[] for _ in range(n_users)]
    disliked_day: list[list[int]] = [[] for _ in range(n_users)]
    shown: list[set[int]] = [set(s) for s in seeds]
    rates = []
    for day in range(1, days + 1):
        arrived = order[: day * batch]
        cand = x[arrived]
        semantic = None if emb is None else SemanticInputs(emb[arrived], mean=emb.mean(axis=0))
        pos = {int(p): i for i, p in enumerate(arrived)}
        targets = []
        for u in range(n_users):
            ex = {pos[p] for p in shown[u] if p in pos}
            targets.append(
                Target(
                    liked=x[liked[u]],
                    liked_age_days=day - np.asarray(liked_day[u], dtype=float),
                    liked_keys=list(liked[u]),
                    disliked=x[disliked[u]] if disliked[u] else sp.csr_matrix((0, x.shape[1]), dtype=np.float32),
                    disliked_age_days=day - np.asarray(disliked_day[u], dtype=float),
                    exclude=ex,
                    liked_embeddings=None if emb is None else emb[liked[u]],
                )
            )
        picks = ranker.rank(cand, targets, k=k, explain=False, semantic=semantic)
        hits = 0
        for u, row in enumerate(picks):
            for p in row:
                paper = int(arrived[p.index])
                shown[u].add(paper)
                if paper in libraries[u]:
                    hits += 1
                    if arm != "no feedback":
                        liked[u].append(paper)
                        liked_day[u].append(day)
                elif arm == "👍 and 👎":
                    disliked[u].append(paper)
                    disliked_day[u].append(day)
        rates.append(hits / (k * n_users))
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="citeulike-a")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--days", type=int, default=12)
    ap.add_argument("--batch", type=int, default=1000, help="new papers per day")
    ap.add_argument("--min-library", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    start = time.perf_counter()
    ds = load_dataset(args.dataset, args.data_dir or default_data_dir())
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x = vec.transform(ds.papers)
    rng = np.random.default_rng(args.seed)
    ui = ds.user_items
    sizes = np.diff(ui.indptr)
    users = rng.choice(np.flatnonzero(sizes >= args.min_library), size=args.users, replace=False)
    libraries = [set(ui.indices[ui.indptr[u] : ui.indptr[u + 1]].tolist()) for u in users]
    seeds = [rng.choice(sorted(lib), size=3, replace=False).tolist() for lib in libraries]
    seed_set = set().union(*map(set, seeds))
    order = np.asarray([p for p in rng.permutation(x.shape[0]) if p not in seed_set])
    days = min(args.days, len(order) // args.batch)
    ranker = Ranker(vec, mmr_lambda=0.0, half_life_days=30.0)
    print(f"{args.dataset}: {len(users)} users (library >= {args.min_library}), {days} days x {args.batch} new papers, top-10 per day")
    spaces = {"tfidf": None}
    embedder = PaperEmbedder.load()
    if embedder is not None:
        spaces["hybrid"] = dataset_embeddings(ds, embedder)[0]
    cols = [(space, arm) for space in spaces for arm in ARMS]
    results = {(space, arm): simulate(x, libraries, seeds, order, days, args.batch, arm, ranker, spaces[space])
               for space, arm in cols}
    print("day  " + "  ".join(f"{space + ' ' + arm:>18s}" for space, arm in cols))
    for d in range(days):
        print(f"{d + 1:3d}  " + "  ".join(f"{results[c][d]:18.3f}" for c in cols))
    print("mean " + "  ".join(f"{np.mean(results[c]):18.3f}" for c in cols))
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
