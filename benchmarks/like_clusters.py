"""Does a reader of several fields gain from one profile per cluster of their 👍? Eval protocol, lone readers.

Issue 10 asks whether multi-interest profiles (one centroid per cluster of likes, as
arxiv-sanity-lite's tags are one SVM per tag) beat the one blurred centroid. Each evaluated
user's history papers (their 👍) are clustered by their sentence embeddings (scikit-learn
``KMeans``, ``k = min(4, n_likes // 10)``, clusters of fewer than 3 papers dropped; readers with
fewer than 20 likes keep one centroid). A cluster's content score is the shipped hybrid (half
TF-IDF cosine, half centred-embedding cosine to the cluster's centroids); the reader's is the
best cluster's. Printed, nDCG@10 over the same users:

* ``paperbot-text``: the shipped lone-reader ranking (profile, corpus neighbourhood, priors);
* ``one centroid`` and ``clusters (max)``: the content score alone, one centroid against clusters;
* ``paperbot-text + w * (clusters - one centroid)``: the clusters swapped in for the centroid at
  weight ``w``, with the paired difference to ``paperbot-text`` and its 95% bootstrap interval.

These are in-memory eval-protocol figures (``../shared/eval/README.md``), not a command's path.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/like_clusters.py [--dataset citeulike-a] [--split-seed 0] [--users 1500]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans

from recommender.evaluation.data import default_data_dir, load_dataset, make_split
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.metrics import paired_difference, per_user_metrics
from recommender.evaluation.run import paperbot_batch, paperbot_vectorizer, sample_users
from recommender.ranking import Ranker
from recommender.ranking.semantic import SemanticInputs, center_present
from recommender.ranking.topk import top_k_matrix
from recommender.text.embeddings import PaperEmbedder

WEIGHTS = (0.25, 0.5, 1.0)


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def content(tfidf: sp.csr_matrix, emb: np.ndarray, new_t: sp.csr_matrix, new_emb_t: np.ndarray, w: float) -> np.ndarray:
    """Hybrid cosine of the centroid of ``tfidf`` / ``emb`` rows to every new paper, shape (n_new,)."""
    c_tf = _unit(np.asarray(tfidf.mean(axis=0)))
    c_em = _unit(emb.mean(axis=0, keepdims=True))
    return ((1 - w) * (c_tf @ new_t) + w * (c_em @ new_emb_t)).ravel()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="citeulike-a")
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--users", type=int, default=1500)
    args = ap.parse_args()
    ds = load_dataset(args.dataset, default_data_dir())
    split = make_split(ds.user_items, args.split_seed)
    users = sample_users(split.users, args.users, args.split_seed)
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    embedder = PaperEmbedder.load()
    if embedder is None:
        raise SystemExit("the sentence-embedding model is not installed: this measures the hybrid score")
    emb, _ = dataset_embeddings(ds, embedder)
    x_hist, x_new = x_all[split.history], x_all[split.new]
    mean = emb.mean(axis=0)
    e_hist = center_present(emb[split.history], mean)
    new_t, new_emb_t = sp.csr_matrix(x_new.T), np.ascontiguousarray(center_present(emb[split.new], mean).T)

    ranker = Ranker(vec, mmr_lambda=0.0)
    w = ranker.semantic_weight
    ranker.set_corpus(x_hist, range(x_hist.shape[0]), emb[split.history])
    batch = paperbot_batch(split, users, x_hist)
    batch.liked_embeddings = emb[split.history]
    shipped, _ = ranker.score_batch(x_new, batch, semantic=SemanticInputs(emb[split.new], mean=mean))

    started = time.perf_counter()
    likes = sp.csr_matrix(split.history_items[users])
    one = np.zeros_like(shipped)
    clusters = np.zeros_like(shipped)
    n_clustered = 0
    for i in range(len(users)):
        items = likes.indices[likes.indptr[i]:likes.indptr[i + 1]]
        one[i] = content(x_hist[items], e_hist[items], new_t, new_emb_t, w)
        k = min(4, len(items) // 10)
        best = None
        if k >= 2:
            labels = KMeans(k, n_init=1, random_state=args.split_seed).fit_predict(_unit(e_hist[items]))
            for c in range(k):
                part = items[labels == c]
                if part.size >= 3:
                    s = content(x_hist[part], e_hist[part], new_t, new_emb_t, w)
                    best = s if best is None else np.maximum(best, s)
        n_clustered += best is not None
        clusters[i] = one[i] if best is None else best
    seconds = time.perf_counter() - started

    relevant = split.relevant[users]

    def ndcg(scores: np.ndarray) -> np.ndarray:
        return per_user_metrics(top_k_matrix(scores.astype(np.float32), 50)[0], relevant)["ndcg@10"]

    base = ndcg(shipped)
    print(f"{args.dataset}, seed {args.split_seed}, {len(users)} users ({n_clustered} with 2+ clusters), "
          f"clustering and scoring {seconds:.1f} s; nDCG@10 (eval protocol, in memory)")
    print(f"  paperbot-text                 {base.mean():.4f}")
    print(f"  one centroid (content only)   {ndcg(one).mean():.4f}")
    print(f"  clusters, max (content only)  {ndcg(clusters).mean():.4f}")
    for weight in WEIGHTS:
        got = ndcg(shipped + weight * (clusters - one))
        diff = paired_difference(got, base, seed=args.split_seed)
        low, high = diff["ci"]
        print(f"  paperbot-text + {weight:g} * (clusters - one centroid)  {got.mean():.4f}  "
              f"({diff['mean']:+.4f}, 95% interval {low:+.4f} to {high:+.4f})")


if __name__ == "__main__":
    main()
