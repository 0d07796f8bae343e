"""Scale benchmark: 100,000 real-text papers, 10,000 profiles, 2,000 new papers a day.

The corpus repeats and shuffles the documents of both CiteULike datasets
(citeulike-a titles, citeulike-t pseudo-documents); no random words.  Each
profile likes 20 corpus papers drawn from one user library (cycling over the
real users), so profiles have realistic topical structure.  Timed: vectorizer
fit (100k), ingest of a 2,000-paper batch (transform), the daily ranking of all
profiles (top-10 each, text-only and with the community of all profiles'
likes), the same text ranking with explanations (terms and most similar liked
paper, computed in one batch for the 10 picks of every profile), search
latency p50/p95 over the 100k, peak RSS; then the hybrid ranking and search
with sentence embeddings (the corpus copies the cached embeddings of the
CiteULike papers: inference is an ingest cost, see
``benchmarks/embedding_speed.py``).  arxiv-sanity-lite's per-user
LinearSVC (trained on all 100k papers) is timed on a few users and
extrapolated to 10,000.

Usage::

    python benchmarks/scale.py [--papers 100000] [--profiles 10000] [--batch 2000] [--svm-users 5]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from recommender.evaluation.baselines import arxiv_sanity_vectorizer
from recommender.evaluation.data import default_data_dir, load_dataset
from recommender.evaluation.embedded import dataset_embeddings
from recommender.ranking import Ranker, Target
from recommender.ranking.semantic import SemanticInputs
from recommender.search import search
from recommender.text.embeddings import PaperEmbedder
from recommender.text.tfidf import PaperVectorizer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--profiles", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=2_000)
    ap.add_argument("--svm-users", type=int, default=5)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    data = default_data_dir()
    a, t = load_dataset("citeulike-a", data), load_dataset("citeulike-t", data)
    base = a.papers + t.papers
    libs = [set(r.indices) for r in a.user_items] + [set(r.indices + len(a.papers)) for r in t.user_items]
    src = rng.integers(0, len(base), size=args.papers)  # corpus paper i is a copy of base[src[i]]
    corpus = [base[j] for j in src]
    by_base: dict[int, list[int]] = {}
    for i, j in enumerate(src):
        by_base.setdefault(int(j), []).append(i)
    new_src = rng.integers(0, len(base), size=args.batch)
    new_texts = [base[j] for j in new_src]
    rows = []

    def report(name, ours, theirs=None):
        ratio = f"{theirs / ours:8.1f}x" if theirs else "       -"
        theirs_s = f"{theirs:10.2f}" if theirs else "         -"
        rows.append(f"{name:42s} {ours:10.3f} {theirs_s} {ratio}")

    t0 = time.perf_counter()
    vec = PaperVectorizer().fit(corpus)
    fit_s = time.perf_counter() - t0
    x = vec.transform(corpus)
    t0 = time.perf_counter()
    x_new = vec.transform(new_texts)
    ingest_s = time.perf_counter() - t0
    asl = arxiv_sanity_vectorizer()
    t0 = time.perf_counter()
    x_asl = asl.fit_transform([p.title for p in corpus])
    asl_fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    x_asl_new = asl.transform([p.title for p in new_texts])
    asl_ingest_s = time.perf_counter() - t0

    # profiles: 20 liked corpus papers each from a real library
    targets, like_rows, like_cols = [], [], []
    usable = [lib for lib in libs if len(lib) >= 20]
    for p in range(args.profiles):
        lib = sorted(usable[p % len(usable)])
        picked = []
        for j in rng.permutation(lib):
            if j in by_base:
                picked.append(by_base[j][0])
            if len(picked) == 20:
                break
        if not picked:
            picked = [int(rng.integers(0, args.papers))]
        targets.append(Target(liked=x[picked], liked_age_days=rng.uniform(0, 90, len(picked)), liked_keys=picked))
        like_rows.extend([p] * len(picked))
        like_cols.extend(picked)

    ranker = Ranker(vec, mmr_lambda=0.3)
    t0 = time.perf_counter()
    ranker.rank(x_new, targets, k=10, explain=False)
    rank_text_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    picks = ranker.rank(x_new, targets, k=10, explain=True)  # explanations for the picks only, batched
    rank_explain_s = time.perf_counter() - t0
    liked_items = np.unique(like_cols)
    ui = sp.csr_matrix((np.ones(len(like_cols)), (like_rows, like_cols)), shape=(args.profiles, args.papers))[:, liked_items]
    t0 = time.perf_counter()
    ranker.set_community(x[liked_items], ui, item_keys=liked_items.tolist())
    ranker.rank(x_new, targets, k=10, explain=False)
    rank_com_s = time.perf_counter() - t0
    ranker.clear_community()

    # arxiv-sanity-lite: one LinearSVC per user over all papers
    t0 = time.perf_counter()
    for p in range(args.svm_users):
        y = np.zeros(args.papers, dtype=np.int32)
        y[targets[p].liked_keys] = 1
        clf = LinearSVC(class_weight="balanced", C=0.01, max_iter=10000, tol=1e-6).fit(x_asl, y)
        s = clf.decision_function(x_asl_new)
        np.argpartition(-s, 9)[:10]
    svm_s = (time.perf_counter() - t0) / args.svm_users * args.profiles

    queries = [corpus[int(i)].title.split()[:4] for i in rng.integers(0, args.papers, size=args.queries)]
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        search(ranker, " ".join(q), x, k=10)
        lat.append(time.perf_counter() - t0)
    lat_p = np.percentile(lat, [50, 95]) * 1000

    embedder = PaperEmbedder.load()
    hybrid = None
    if embedder is not None:
        base_emb = np.concatenate([dataset_embeddings(a, embedder)[0], dataset_embeddings(t, embedder)[0]])
        emb = base_emb[src]
        semantic = SemanticInputs(base_emb[new_src], mean=emb.mean(axis=0))
        for target in targets:
            target.liked_embeddings = emb[target.liked_keys]
        hybrid_ranker = Ranker(vec, mmr_lambda=0.3, embedder=embedder)
        t0 = time.perf_counter()
        hybrid_ranker.rank(x_new, targets, k=10, explain=False, semantic=semantic)
        rank_hybrid_s = time.perf_counter() - t0
        embedder.encode(["warm up"])
        hlat = []
        for q in queries:
            t0 = time.perf_counter()
            search(hybrid_ranker, " ".join(q), x, k=10, embeddings=emb)
            hlat.append(time.perf_counter() - t0)
        hybrid = (rank_hybrid_s, np.percentile(hlat, [50, 95]) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"corpus {args.papers} papers ({vec.n_features_} features), {args.profiles} profiles x 20 likes, "
          f"daily batch {args.batch}; arxiv-sanity-lite SVM timed on {args.svm_users} users, extrapolated")
    print(f"{'measure':42s} {'paperbot':>10s} {'asl':>10s} {'asl/ours':>9s}")
    report("vectorizer fit, s", fit_s, asl_fit_s)
    report(f"ingest {args.batch} papers (transform), s", ingest_s, asl_ingest_s)
    report("daily ranking, all profiles, text, s", rank_text_s, svm_s)
    report("daily ranking, all profiles, community, s", rank_com_s, svm_s)
    report("daily ranking + explanations, text, s", rank_explain_s)
    report("  of which explanations (difference), s", max(rank_explain_s - rank_text_s, 0.0))
    report(f"search p50 over {args.papers // 1000}k, ms", float(lat_p[0]))
    report(f"search p95 over {args.papers // 1000}k, ms", float(lat_p[1]))
    if hybrid is not None:
        report("daily ranking, all profiles, hybrid, s", hybrid[0], svm_s)
        report(f"hybrid search p50 over {args.papers // 1000}k, ms", float(hybrid[1][0]))
        report(f"hybrid search p95 over {args.papers // 1000}k, ms", float(hybrid[1][1]))
    report("peak RSS (whole run), MB", peak_mb)
    print("\n".join(rows))
    assert picks and picks[0]


if __name__ == "__main__":
    main()
