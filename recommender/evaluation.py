"""Offline evaluation: recall@k, nDCG@k and the baselines, on the cold-start split.

Protocol: ``/work/shared/eval/README.md`` (split in :mod:`recommender.eval_data`).
Every method gets the text of all papers and the *history* papers of every
user; only the metrics read which users hold a new paper.

Methods
-------
random
    Uniform random scores (seeded).
rocchio
    Centroid of the user's history TF-IDF rows, cosine (Rocchio 1971), on
    paperbot's vectorizer.
arxiv-sanity-lite
    https://github.com/karpathy/arxiv-sanity-lite (``compute.py`` and
    ``serve.py``): its TfidfVectorizer settings, then per user a LinearSVC
    (class_weight='balanced', C=0.01) with the user's history papers as
    positives and all other history papers as negatives, scored with
    ``decision_function`` on the new papers.
paperbot
    :class:`recommender.ranking.Ranker` with default settings and the
    community built from all users' history papers (no MMR: the metrics
    score relevance order).

Metrics: recall@K = hits in top K / relevant; nDCG@K with binary gains and
ideal DCG over ``min(K, relevant)`` positions (Järvelin & Kekäläinen 2002,
"Cumulated gain-based evaluation of IR techniques", ACM TOIS).  Ties are
broken by candidate order, which is the random permutation order of the split.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from .eval_data import Dataset, Split, load_dataset, make_split
from .model import PaperVectorizer
from .ranking import Ranker, Target, TargetBatch

__all__ = [
    "recall_at_k",
    "ndcg_at_k",
    "evaluate_rankings",
    "top_k_rows",
    "MethodResult",
    "run_eval",
    "sample_users",
    "arxiv_sanity_vectorizer",
    "paperbot_targets",
    "paperbot_batch",
]

METRIC_KS = (10, 50)


# ----------------------------------------------------------------- metrics
def recall_at_k(ranked: np.ndarray, relevant: set, k: int) -> float:
    """Share of ``relevant`` found in the first ``k`` of ``ranked``.

    Returns 0.0 when ``relevant`` is empty.
    """
    if not relevant:
        return 0.0
    return sum(1 for i in ranked[:k] if i in relevant) / len(relevant)


def ndcg_at_k(ranked: np.ndarray, relevant: set, k: int) -> float:
    """nDCG@k with binary gains (Järvelin & Kekäläinen 2002).

    ``DCG = sum_{r < k, ranked[r] relevant} 1 / log2(r + 2)``, divided by
    the DCG of ``min(k, len(relevant))`` hits at the top.  0.0 when
    ``relevant`` is empty.
    """
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant))))
    return dcg / ideal


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Top-k column indices per row, best first; ties by lower column index.

    Parameters
    ----------
    scores : ndarray, shape (n_rows, n_cols)

    Returns
    -------
    ndarray of int, shape (n_rows, min(k, n_cols))
    """
    n_cols = scores.shape[1]
    k = min(k, n_cols)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n_cols else np.tile(np.arange(n_cols), (scores.shape[0], 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


def evaluate_rankings(ranked: np.ndarray, relevant: sp.csr_matrix) -> dict[str, float]:
    """Mean recall@10, recall@50 and nDCG@10.

    Parameters
    ----------
    ranked : ndarray of int, shape (n_users, >= 50)
        Candidate column indices, best first.
    relevant : csr_matrix, shape (n_users, n_candidates)
        Binary relevance of each candidate for each evaluated user.
    """
    rec10, rec50, ndcg = [], [], []
    for u in range(ranked.shape[0]):
        rel = set(relevant.indices[relevant.indptr[u] : relevant.indptr[u + 1]].tolist())
        rec10.append(recall_at_k(ranked[u], rel, 10))
        rec50.append(recall_at_k(ranked[u], rel, 50))
        ndcg.append(ndcg_at_k(ranked[u], rel, 10))
    return {
        "ndcg@10": float(np.mean(ndcg)),
        "recall@10": float(np.mean(rec10)),
        "recall@50": float(np.mean(rec50)),
    }


# --------------------------------------------------------------- baselines
def arxiv_sanity_vectorizer() -> TfidfVectorizer:
    """arxiv-sanity-lite's TF-IDF settings (``compute.py``)."""
    return TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
        dtype=np.float32,
    )


@dataclass
class EvalContext:
    """What a method may see: texts, the split's history and candidate order."""

    dataset: Dataset
    split: Split
    users: np.ndarray  # evaluated users (possibly a sample)
    k: int = 50


def _random(ctx: EvalContext, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 12345)
    scores = rng.random((len(ctx.users), len(ctx.split.new)))
    return top_k_rows(scores, ctx.k)


def _centroid_ranking(x_hist: sp.csr_matrix, x_new: sp.csr_matrix, hist_items: sp.csr_matrix, k: int) -> np.ndarray:
    centroids = normalize(sp.csr_matrix(hist_items @ x_hist))
    scores = (centroids @ x_new.T).toarray()
    return top_k_rows(scores, k)


def _arxiv_sanity(ctx: EvalContext, x_all: sp.csr_matrix) -> np.ndarray:
    x_hist = x_all[ctx.split.history]
    x_new = x_all[ctx.split.new]
    out = np.zeros((len(ctx.users), min(ctx.k, x_new.shape[0])), dtype=np.int64)
    hist = ctx.split.history_items
    for row, u in enumerate(ctx.users):
        y = np.zeros(x_hist.shape[0], dtype=np.int32)
        y[hist.indices[hist.indptr[u] : hist.indptr[u + 1]]] = 1
        clf = LinearSVC(class_weight="balanced", C=0.01, max_iter=10000, tol=1e-6)
        clf.fit(x_hist, y)
        s = clf.decision_function(x_new)
        out[row] = top_k_rows(s[None, :], ctx.k)[0]
    return out


def paperbot_targets(split: Split, users: np.ndarray, x_hist: sp.csr_matrix) -> list[Target]:
    """One :class:`Target` per evaluated user: history papers as 👍 (age 0).

    The per-object form of :func:`paperbot_batch` (for the online API).
    """
    hist = split.history_items
    targets = []
    for u in users:
        cols = hist.indices[hist.indptr[u] : hist.indptr[u + 1]]
        targets.append(Target(liked=x_hist[cols], liked_keys=cols.tolist()))
    return targets


def paperbot_batch(split: Split, users: np.ndarray, x_hist: sp.csr_matrix) -> TargetBatch:
    """All evaluated users as one :class:`TargetBatch`: history papers as 👍 (age 0, weight 1).

    The liked rows are the history papers themselves (each stored once) and
    their keys are the history column ids, i.e. the community's item keys.
    """
    return TargetBatch(
        liked=x_hist,
        like_weights=sp.csr_matrix(split.history_items[users], dtype=np.float32),
        liked_keys=range(x_hist.shape[0]),
    )


def _paperbot(ctx: EvalContext, x_all: sp.csr_matrix, ranker: Ranker, community: bool) -> np.ndarray:
    x_hist = x_all[ctx.split.history]
    x_new = x_all[ctx.split.new]
    if community:
        ranker.set_community(x_hist, ctx.split.history_items)
    else:
        ranker.clear_community()
    batch = paperbot_batch(ctx.split, ctx.users, x_hist)
    ranked, _, _ = ranker.top_k_batch(x_new, batch, ctx.k)
    return ranked


def sample_users(eligible: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """A fixed random sample of ``n`` eligible users (all when ``n`` is None)."""
    if n is None or n >= len(eligible):
        return eligible
    rng = np.random.default_rng(1000 + seed)
    return np.sort(rng.choice(eligible, size=n, replace=False))


@dataclass
class MethodResult:
    name: str
    metrics: dict[str, float]
    seconds: float


def paperbot_vectorizer(dataset: Dataset) -> PaperVectorizer:
    """paperbot's default vectorizer; unigrams on bag-of-words pseudo-documents."""
    if dataset.bag_of_words:
        return PaperVectorizer(ngram_range=(1, 1))
    return PaperVectorizer()


def run_eval(
    dataset: str,
    split_seed: int = 0,
    *,
    users: int | None = None,
    data_dir: str | Path | None = None,
    methods: tuple[str, ...] | None = None,
    ranker_params: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run paperbot and the baselines on one split.

    Parameters
    ----------
    dataset : {"citeulike-a", "citeulike-t"}
    split_seed : int
        Seed of the split (0 = dev split).
    users : int, optional
        Evaluate a fixed random sample of this many eligible users (the same
        sample for every method).
    data_dir : path, optional
    methods : tuple of str, optional
        Subset of ``random, rocchio, arxiv-sanity-lite, paperbot,
        paperbot-text`` (default: all).
    ranker_params : dict, optional
        Extra :class:`Ranker` parameters for the paperbot methods.
    progress : callable, optional
        Called with a short message before each method.

    Returns
    -------
    dict
        ``{"dataset", "split_seed", "n_users", "vectorizer_fit_seconds",
        "methods": {name: {"ndcg@10", "recall@10", "recall@50", "seconds"}}}``.
        ``seconds`` is wall time of ranking all evaluated users (profiles,
        scoring, top-k; for arxiv-sanity-lite the SVM fits), excluding the
        unsupervised vectorizer fit, reported separately.
    """
    say = progress or (lambda _m: None)
    all_methods = ("random", "rocchio", "arxiv-sanity-lite", "paperbot", "paperbot-text")
    methods = methods or all_methods
    unknown = set(methods) - set(all_methods)
    if unknown:
        raise ValueError(f"unknown methods: {sorted(unknown)}")
    ds = load_dataset(dataset, data_dir)
    split = make_split(ds.user_items, split_seed)
    eval_users = sample_users(split.users, users, split_seed)
    ctx = EvalContext(ds, split, eval_users)
    relevant = split.relevant[eval_users]

    t0 = time.perf_counter()
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    fit_seconds = time.perf_counter() - t0

    results: dict[str, dict] = {}

    def record(name: str, fn: Callable[[], np.ndarray]) -> None:
        say(name)
        start = time.perf_counter()
        ranked = fn()
        seconds = time.perf_counter() - start
        metrics = evaluate_rankings(ranked, relevant)
        metrics["seconds"] = round(seconds, 3)
        results[name] = metrics

    if "random" in methods:
        record("random", lambda: _random(ctx, split_seed))
    if "rocchio" in methods:
        x_hist, x_new = x_all[split.history], x_all[split.new]
        record("rocchio", lambda: _centroid_ranking(x_hist, x_new, split.history_items[eval_users], ctx.k))
    if "arxiv-sanity-lite" in methods:
        asl = arxiv_sanity_vectorizer()
        texts = [f"{p.title} {p.abstract}".strip() for p in ds.papers]
        x_asl = sp.csr_matrix(asl.fit_transform(texts))
        record("arxiv-sanity-lite", lambda: _arxiv_sanity(ctx, x_asl))
    params = {"mmr_lambda": 0.0, **(ranker_params or {})}
    if "paperbot" in methods:
        record("paperbot", lambda: _paperbot(ctx, x_all, Ranker(vec, **params), community=True))
    if "paperbot-text" in methods:
        record("paperbot-text", lambda: _paperbot(ctx, x_all, Ranker(vec, **params), community=False))
    return {
        "dataset": dataset,
        "split_seed": split_seed,
        "n_users": int(len(eval_users)),
        "vectorizer_fit_seconds": round(fit_seconds, 3),
        "methods": results,
    }
