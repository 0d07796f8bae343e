"""``paperbot eval``: paperbot and the baselines on one cold-start split.

Protocol: ``../shared/eval/README.md`` (split in :mod:`recommender.evaluation.data`).
Every method gets the text of all papers and the *history* papers of every
user; only the metrics read which users hold a new paper.

paperbot
    :class:`recommender.ranking.Ranker` with default settings and the
    community built from all users' history papers (no MMR: the metrics
    score relevance order).  paperbot-text is the same without the community.

Baselines are in :mod:`recommender.evaluation.baselines`, metrics in
:mod:`recommender.evaluation.metrics`.  Ties are broken by candidate order,
which is the random permutation order of the split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..ranking import Ranker, TargetBatch
from ..text.tfidf import PaperVectorizer
from .baselines import arxiv_sanity_ranking, arxiv_sanity_vectorizer, centroid_ranking, random_ranking
from .data import Dataset, Split, load_dataset, make_split
from .metrics import evaluate_rankings

__all__ = ["METHODS", "run_eval", "sample_users", "paperbot_vectorizer", "paperbot_batch"]

METHODS = ("random", "rocchio", "arxiv-sanity-lite", "paperbot", "paperbot-text")

#: Ranked new papers kept per user (enough for recall@50).
_K = 50


def paperbot_vectorizer(dataset: Dataset) -> PaperVectorizer:
    """paperbot's default vectorizer; unigrams on bag-of-words pseudo-documents."""
    if dataset.bag_of_words:
        return PaperVectorizer(ngram_range=(1, 1))
    return PaperVectorizer()


def paperbot_batch(split: Split, users: np.ndarray, x_hist: sp.csr_matrix) -> TargetBatch:
    """All evaluated users as one :class:`TargetBatch`: history papers as 👍 (age 0, weight 1).

    The liked rows are the history papers themselves (each stored once) and
    their keys are the history column ids, i.e. the community's item keys.

    Parameters
    ----------
    split : Split
    users : ndarray of int, shape (n_users,)
    x_hist : csr_matrix, shape (n_history, n_features)
    """
    return TargetBatch(
        liked=x_hist,
        like_weights=sp.csr_matrix(split.history_items[users], dtype=np.float32),
        liked_keys=range(x_hist.shape[0]),
    )


def _paperbot(split: Split, users: np.ndarray, x_all: sp.csr_matrix, ranker: Ranker, community: bool) -> np.ndarray:
    x_hist = x_all[split.history]
    x_new = x_all[split.new]
    if community:
        ranker.set_community(x_hist, split.history_items)
    else:
        ranker.clear_community()
    ranked, _, _ = ranker.top_k_batch(x_new, paperbot_batch(split, users, x_hist), _K)
    return ranked


def sample_users(eligible: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """A fixed random sample of ``n`` eligible users (all when ``n`` is None), sorted; seeded by ``1000 + seed``."""
    if n is None or n >= len(eligible):
        return eligible
    rng = np.random.default_rng(1000 + seed)
    return np.sort(rng.choice(eligible, size=n, replace=False))


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
        Subset of :data:`METHODS` (default: all).
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

    Raises
    ------
    ValueError
        On an unknown method.
    FileNotFoundError
        When the dataset folder is missing (see :func:`~recommender.evaluation.data.load_dataset`).
    """
    say = progress or (lambda _m: None)
    methods = methods or METHODS
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods: {sorted(unknown)}")
    ds = load_dataset(dataset, data_dir)
    split = make_split(ds.user_items, split_seed)
    eval_users = sample_users(split.users, users, split_seed)
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
        record("random", lambda: random_ranking(len(eval_users), len(split.new), _K, split_seed))
    if "rocchio" in methods:
        x_hist, x_new = x_all[split.history], x_all[split.new]
        record("rocchio", lambda: centroid_ranking(x_hist, x_new, split.history_items[eval_users], _K))
    if "arxiv-sanity-lite" in methods:
        asl = arxiv_sanity_vectorizer()
        texts = [f"{p.title} {p.abstract}".strip() for p in ds.papers]
        x_asl = sp.csr_matrix(asl.fit_transform(texts))
        record("arxiv-sanity-lite", lambda: arxiv_sanity_ranking(split, eval_users, x_asl, _K))
    params = {"mmr_lambda": 0.0, **(ranker_params or {})}
    if "paperbot" in methods:
        record("paperbot", lambda: _paperbot(split, eval_users, x_all, Ranker(vec, **params), community=True))
    if "paperbot-text" in methods:
        record("paperbot-text", lambda: _paperbot(split, eval_users, x_all, Ranker(vec, **params), community=False))
    return {
        "dataset": dataset,
        "split_seed": split_seed,
        "n_users": int(len(eval_users)),
        "vectorizer_fit_seconds": round(fit_seconds, 3),
        "methods": results,
    }
