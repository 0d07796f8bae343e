"""An imported library dated over years: nDCG@10 by the floor of the recency weights.

``paperbot import`` dates each 👍 by the entry's ``date-added`` (else 1 January of its year), so
a library built over five years holds 👍 up to five years old, and 👍/👎 decay with a 30-day
half-life (:func:`recommender.ranking.profiles.decay_weights`). This runs the evaluation
protocol (``paperbot eval``: the split of ``--seed``, the history papers as the corpus, the
lone-reader ranking, hybrid when the model is installed) with each user's history papers
given ages drawn uniformly from 30 days to 5 years, for several floors of the recency
weight, against the same users with every 👍 of today (no decay at all: the eval's own
setting, and the best a static split can show, since its test papers are not newer than
the library).

It also prints the share of the profile a single 👍 of today would hold against the library
(its weight over the sum): what decides whether one new 👍 erases an imported library.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/library_age.py [--dataset citeulike-a] [--seed 0] [--users 1500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from recommender.evaluation.data import default_data_dir, load_dataset, make_split
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.metrics import evaluate_rankings
from recommender.evaluation.run import paperbot_batch, paperbot_vectorizer, sample_users
from recommender.ranking import Ranker
from recommender.ranking.profiles import MIN_RECENCY_WEIGHT, decay_weights
from recommender.ranking.semantic import SemanticInputs
from recommender.text.embeddings import PaperEmbedder

FLOORS = tuple(sorted({1e-12, 0.05, 0.1, 0.25, 0.5, MIN_RECENCY_WEIGHT}))
HALF_LIFE_DAYS = 30.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="citeulike-a")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--users", type=int, default=1500)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    start = time.perf_counter()
    ds = load_dataset(args.dataset, args.data_dir or default_data_dir())
    split = make_split(ds.user_items, args.seed)
    users = sample_users(split.users, args.users, args.seed)
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    x_hist, x_new = x_all[split.history], x_all[split.new]
    embedder = PaperEmbedder.load()
    emb = dataset_embeddings(ds, embedder)[0] if embedder is not None else None
    semantic = None if emb is None else SemanticInputs(emb[split.new], mean=emb.mean(axis=0))
    ranker = Ranker(vec, mmr_lambda=0.0, half_life_days=HALF_LIFE_DAYS)
    ranker.set_corpus(x_hist, range(x_hist.shape[0]), None if emb is None else emb[split.history])
    batch = paperbot_batch(split, users, x_hist)
    batch.liked_embeddings = None if emb is None else emb[split.history]
    rng = np.random.default_rng(args.seed)
    likes = sp.csr_matrix(batch.like_weights)
    ages = rng.uniform(30.0, 5 * 365.0, size=likes.nnz)
    relevant = split.relevant[users]
    print(f"{args.dataset} seed {args.seed}: {len(users)} users, libraries of {np.diff(likes.indptr).mean():.0f} 👍 on "
          f"average dated 30 days to 5 years ago, half-life {HALF_LIFE_DAYS:.0f} days; "
          f"{'hybrid' if emb is not None else 'TF-IDF'}")
    print(f"{'floor':>8s}  {'nDCG@10':>8s}  {'recall@50':>9s}  {'vs no decay':>11s}  {'share of one 👍 of today':>24s}")
    base = None
    for floor in (1.0,) + tuple(f for f in FLOORS if f < 1.0):
        weighted = likes.copy()
        weighted.data = decay_weights(ages, HALF_LIFE_DAYS if floor < 1.0 else 0.0, floor)
        batch.like_weights = weighted
        metrics = evaluate_rankings(ranker.top_k_batch(x_new, batch, 50, semantic=semantic)[0], relevant)
        base = base or metrics["ndcg@10"]
        sums = np.asarray(weighted.sum(axis=1)).reshape(-1)
        label = "no decay" if floor == 1.0 else f"{floor:g}" + (" *" if floor == MIN_RECENCY_WEIGHT else "")
        print(f"{label:>8s}  {metrics['ndcg@10']:8.4f}  {metrics['recall@50']:9.4f}  {metrics['ndcg@10'] / base:10.2f}x"
              f"  {np.median(1.0 / (1.0 + sums)):24.2f}")
    print(f"(* the shipped floor; share of one 👍: median over users; {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
