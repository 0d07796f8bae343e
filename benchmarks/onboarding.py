"""Onboarding by rating on CiteULike: nDCG@10 of a newcomer's picks after 0, 8 and 16 ratings.

Protocol (``../shared/eval/README.md``): the cold-start split of the seed;
a sampled evaluated user is a newcomer who knows nothing yet. They rate papers
of the *history* part (a rating is 👍 when the paper is in their library,
else 👎); their picks then rank the *new* papers, and nDCG@10 counts the new
papers of their library (the eval protocol's test items).

Arms, each after 8 and 16 ratings:

* ``random``: papers drawn at random from the history papers;
* ``chosen``: :func:`recommender.ranking.onboarding.opening_round` (8 papers,
  the same for everybody), then :func:`~recommender.ranking.onboarding.follow_up_round`
  (8 more, from each person's first ratings); ablations: the opening without
  popularity (``diverse``), and the follow-up by top score (``top``).

Popularity is how many *other* users hold a history paper: the users not in
the evaluated sample (a newcomer's own library never counts). Picks are
paperbot's lone-reader ranking (:class:`recommender.ranking.Ranker`, no
community, no MMR), hybrid with the cached sentence embeddings when present.
Prints each arm's nDCG@10 and the ratio chosen / random at 8 and 16 ratings.

Usage::

    python benchmarks/onboarding.py [--dataset citeulike-a] [--seed 0] [--users 1000] [--tfidf-only]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from recommender.evaluation.data import load_dataset, make_split
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.metrics import evaluate_rankings
from recommender.evaluation.run import paperbot_vectorizer, sample_users
from recommender.ranking import Ranker, TargetBatch
from recommender.ranking.onboarding import ROUND_SIZE, follow_up_round, opening_round
from recommender.ranking.semantic import SemanticInputs
from recommender.text.embeddings import PaperEmbedder


class World:
    """The split, the vectors and the ranker every arm shares."""

    def __init__(self, dataset: str, seed: int, n_users: int, tfidf_only: bool):
        ds = load_dataset(dataset)
        self.split = split = make_split(ds.user_items, seed)
        self.users = sample_users(split.users, n_users, seed)
        vec = paperbot_vectorizer(ds).fit(ds.papers)
        x_all = vec.transform(ds.papers)
        self.x_pool, self.x_new = x_all[split.history], x_all[split.new]
        self.library = split.history_items[self.users].toarray() > 0  # (n_users, n_pool)
        others = np.setdiff1d(np.arange(split.history_items.shape[0]), self.users)
        self.popularity = np.asarray(split.history_items[others].sum(axis=0)).reshape(-1)
        self.emb = None
        embedder = None if tfidf_only else PaperEmbedder.load()
        if embedder is not None:
            emb, _ = dataset_embeddings(ds, embedder)
            self.emb, mean = emb, emb.mean(axis=0)
            self.sem_new = SemanticInputs(emb[split.new], mean=mean)
            self.sem_pool = SemanticInputs(emb[split.history], mean=mean)
        self.ranker = Ranker(vec, mmr_lambda=0.0)

    def batch(self, rated: list[np.ndarray]) -> TargetBatch:
        """Each user's ratings (pool rows) as 👍 when in their library, else 👎."""
        n_u, n_p = len(self.users), self.x_pool.shape[0]
        rows = np.repeat(np.arange(n_u), [len(r) for r in rated])
        cols = np.concatenate(rated) if rated else np.zeros(0, dtype=np.int64)
        liked = self.library[rows, cols]
        like_w = sp.csr_matrix((np.ones(liked.sum()), (rows[liked], cols[liked])), shape=(n_u, n_p))
        dis_w = sp.csr_matrix((np.ones((~liked).sum()), (rows[~liked], cols[~liked])), shape=(n_u, n_p))
        batch = TargetBatch(liked=self.x_pool, like_weights=like_w, liked_keys=range(n_p),
                            disliked=self.x_pool, dislike_weights=dis_w)
        if self.emb is not None:
            batch.liked_embeddings = self.emb[self.split.history]
        return batch

    def ndcg(self, rated: list[np.ndarray]) -> float:
        semantic = self.sem_new if self.emb is not None else None
        top = self.ranker.top_k_batch(self.x_new, self.batch(rated), 10, semantic=semantic)[0]
        return evaluate_rankings(top, self.split.relevant[self.users])["ndcg@10"]

    def likes(self, rated: list[np.ndarray]) -> float:
        """Mean 👍 per user among the rated papers."""
        return float(np.mean([self.library[u, r].sum() for u, r in enumerate(rated)]))

    def follow_up(self, first: list[np.ndarray], mode: str) -> list[np.ndarray]:
        semantic = self.sem_pool if self.emb is not None else None
        scores = self.ranker.score_batch(self.x_pool, self.batch(first), semantic=semantic)[0]
        out = []
        for u, rated in enumerate(first):
            in_lib = self.library[u, rated]
            nxt = follow_up_round(self.x_pool, scores[u], rated[in_lib], rated[~in_lib], ROUND_SIZE,
                                  popularity=self.popularity, mode=mode)
            out.append(np.concatenate([rated, nxt]))
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dataset", default="citeulike-a")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--tfidf-only", action="store_true", help="rank without the sentence embeddings")
    args = ap.parse_args()
    start = time.perf_counter()
    w = World(args.dataset, args.seed, args.users, args.tfidf_only)
    n_u = len(w.users)
    rng = np.random.default_rng(2000 + args.seed)
    n_pool = w.x_pool.shape[0]
    rand16 = [rng.choice(n_pool, size=2 * ROUND_SIZE, replace=False) for _ in range(n_u)]
    opening = opening_round(w.x_pool, ROUND_SIZE, popularity=w.popularity)
    diverse = opening_round(w.x_pool, ROUND_SIZE, popularity=None)
    arms = {
        "random": ([r[:ROUND_SIZE] for r in rand16], rand16),
        "chosen": ([opening] * n_u, w.follow_up([opening] * n_u, "boundary")),
        "chosen, follow-up by top score": ([opening] * n_u, w.follow_up([opening] * n_u, "top")),
        "chosen, opening without popularity": ([diverse] * n_u, w.follow_up([diverse] * n_u, "boundary")),
    }
    zero = w.ndcg([np.zeros(0, dtype=np.int64)] * n_u)
    print(f"{args.dataset} seed {args.seed}: {n_u} users, {n_pool} history papers to rate, "
          f"{w.x_new.shape[0]} new papers ranked; {'hybrid' if w.emb is not None else 'TF-IDF alone'}")
    print(f"nDCG@10 after 0 ratings: {zero:.4f}")
    print(f"{'arm':<38}{'👍 in 8':>8}{'nDCG 8':>9}{'👍 in 16':>9}{'nDCG 16':>9}")
    table = {}
    for name, (r8, r16) in arms.items():
        table[name] = (w.ndcg(r8), w.ndcg(r16))
        print(f"{name:<38}{w.likes(r8):>8.2f}{table[name][0]:>9.4f}{w.likes(r16):>9.2f}{table[name][1]:>9.4f}")
    base = table["random"]
    for name, (n8, n16) in table.items():
        if name != "random":
            print(f"ratio {name} / random: {n8 / base[0]:.2f}x after 8, {n16 / base[1]:.2f}x after 16")
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
