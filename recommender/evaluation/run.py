"""``paperbot eval``: paperbot and the baselines on one cold-start split.

Protocol: ``../shared/eval/README.md`` (split in :mod:`recommender.evaluation.data`).
Every method gets the text of all papers and the *history* papers of every
user; only the metrics read which users hold a new paper.

paperbot
    :class:`recommender.ranking.Ranker` with default settings (hybrid TF-IDF
    and sentence-embedding score when the embedding model is installed; no
    MMR: the metrics score relevance order), the history papers as the
    corpus (the papers known before the new ones, whose neighbourhoods
    carry the share of liked papers), and the community of the user's
    team: all users' history papers by default (``team_size="all"``), else
    the history papers of the members of the user's simulated team
    (:mod:`recommender.evaluation.teams`).  paperbot-text is the same without
    any community: what a lone reader gets.

Baselines are in :mod:`recommender.evaluation.baselines`, metrics in
:mod:`recommender.evaluation.metrics`.  Ties are broken by candidate order,
which is the random permutation order of the split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..ranking import Ranker, TargetBatch
from ..ranking.semantic import SemanticInputs
from ..text.embeddings import PaperEmbedder
from ..text.tfidf import PaperVectorizer
from .baselines import arxiv_sanity_ranking, arxiv_sanity_vectorizer, centroid_ranking, random_ranking
from .data import Dataset, Split, load_dataset, make_split
from .embedded import dataset_embeddings
from .metrics import paired_difference, per_user_metrics
from .teams import make_teams

__all__ = ["METHODS", "run_eval", "sample_users", "paperbot_vectorizer", "paperbot_batch"]

METHODS = ("random", "rocchio", "arxiv-sanity-lite", "paperbot", "paperbot-text")

#: Ranked new papers kept per user (enough for recall@50).
_K = 50

#: Installed packages whose versions can move the figures (TF-IDF, sparse algebra, the int8 embedding model).
VERSIONED = ("numpy", "scipy", "scikit-learn", "onnxruntime", "onnx", "tokenizers")


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


def paperbot_ranking(split: Split, users: np.ndarray, x_all: sp.csr_matrix, ranker: Ranker, *, community: bool,
                     teams: list[np.ndarray] | None = None, emb: np.ndarray | None = None) -> np.ndarray:
    """The top 50 new papers of each of ``users``, shape (n_users, 50): rows of ``split.new``.

    Parameters
    ----------
    x_all : csr_matrix, shape (n_papers, n_features)
        TF-IDF rows of every paper of the dataset.
    community : bool
        False: a lone reader's ranking (no community).
    teams : list of ndarray of int, optional
        Users' teams (:func:`~recommender.evaluation.teams.make_teams`): each user's community is the
        history papers of its team.  None: everybody's (one community).
    emb : ndarray, shape (n_papers, dim), optional
        Sentence embeddings of every paper (None: TF-IDF alone).
    """
    x_hist, x_new = x_all[split.history], x_all[split.new]
    semantic = None if emb is None else SemanticInputs(emb[split.new], mean=emb.mean(axis=0))
    liked_emb = None if emb is None else emb[split.history]

    def rank(rows: np.ndarray) -> np.ndarray:
        batch = paperbot_batch(split, rows, x_hist)
        batch.liked_embeddings = liked_emb
        return ranker.top_k_batch(x_new, batch, _K, semantic=semantic)[0]

    ranker.clear_community()
    ranker.set_corpus(x_hist, range(x_hist.shape[0]), liked_emb)  # the papers known before the new ones
    if not community:
        return rank(users)
    if teams is None:
        ranker.set_community(x_hist, split.history_items)
        return rank(users)
    out = np.full((len(users), min(_K, x_new.shape[0])), -1, dtype=np.int64)
    row_of = {int(u): i for i, u in enumerate(users)}
    for team in teams:
        evaluated = np.array([u for u in team if int(u) in row_of], dtype=np.int64)
        if evaluated.size == 0:
            continue
        likes = sp.csr_matrix(split.history_items[team])
        items = np.unique(likes.indices)  # the team's own history papers
        ranker.set_community(x_hist[items], likes[:, items], item_keys=items.tolist())
        out[[row_of[int(u)] for u in evaluated]] = rank(evaluated)
    ranker.clear_community()
    return out


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
    team_size: int | str = "all",
    teams: str = "similar",
    embeddings: bool = True,
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
    team_size : int or "all", default "all"
        Size of the simulated workspaces whose members' history papers form
        each user's community (``"all"``: everybody, one community).  Teams
        are built over all eligible users before ``users`` samples.
    teams : {"similar", "random"}, default "similar"
        How teams are formed (:mod:`recommender.evaluation.teams`).
    embeddings : bool, default True
        Use the sentence-embedding model in the paperbot methods when it is
        installed (the hybrid score); False ranks with TF-IDF alone.

    Returns
    -------
    dict
        ``{"dataset", "split_seed", "n_users", "team_size", "teams", "ranker_params",
        "vectorizer_fit_seconds", "embedding_model", "embedding_seconds",
        "methods": {name: {"ndcg@10", "recall@10", "recall@50", "seconds"}}, "community_gain", "versions",
        "cpu"}``.
        ``community_gain`` (when both paperbot methods ran; else None) is
        paperbot's nDCG@10 minus paperbot-text's over the same users, with
        its 95% bootstrap interval: ``{"mean", "ci": [low, high]}``
        (:func:`~recommender.evaluation.metrics.paired_difference`).
        ``seconds`` is wall time of ranking all evaluated users (profiles,
        scoring, top-k; for arxiv-sanity-lite the SVM fits), excluding the
        unsupervised vectorizer fit and the embedding inference (ingest
        costs, reported separately; ``embedding_seconds`` is 0 when the
        vectors came from the cache, ``embedding_model`` null when the model
        is not installed or ``embeddings`` is False).  ``versions`` maps each
        package of :data:`VERSIONED` to its installed version (None when
        absent): the int8 embedding model is quantised at first use by the
        installed onnxruntime, so paperbot's figures hold for these versions
        and for ``cpu`` (:func:`cpu_description`).

    Raises
    ------
    ValueError
        On an unknown method, team kind or a team size below 1.
    FileNotFoundError
        When the dataset folder is missing (see :func:`~recommender.evaluation.data.load_dataset`).
    """
    say = progress or (lambda _m: None)
    methods = methods or METHODS
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods: {sorted(unknown)}")
    if team_size != "all" and (not isinstance(team_size, int) or team_size < 1):
        raise ValueError(f"team size must be a positive integer or 'all', not {team_size!r}")
    ds = load_dataset(dataset, data_dir)
    split = make_split(ds.user_items, split_seed)
    eval_users = sample_users(split.users, users, split_seed)
    relevant = split.relevant[eval_users]

    t0 = time.perf_counter()
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    fit_seconds = time.perf_counter() - t0
    team_list = None if team_size == "all" else make_teams(split, x_all[split.history], int(team_size), teams, split_seed)
    emb, emb_seconds, embedder = None, 0.0, None
    if embeddings and ({"paperbot", "paperbot-text"} & set(methods)):
        embedder = PaperEmbedder.load()
        if embedder is not None:
            say("embeddings")
            emb, emb_seconds = dataset_embeddings(ds, embedder)

    results: dict[str, dict] = {}
    ndcg_of: dict[str, np.ndarray] = {}  # method -> nDCG@10 of each evaluated user

    def record(name: str, fn: Callable[[], np.ndarray]) -> None:
        say(name)
        start = time.perf_counter()
        ranked = fn()
        seconds = time.perf_counter() - start
        per_user = per_user_metrics(ranked, relevant)
        ndcg_of[name] = per_user["ndcg@10"]
        results[name] = {**{k: float(v.mean()) for k, v in per_user.items()}, "seconds": round(seconds, 3)}

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
        record("paperbot", lambda: paperbot_ranking(split, eval_users, x_all, Ranker(vec, **params),
                                                    community=True, teams=team_list, emb=emb))
    if "paperbot-text" in methods:
        record("paperbot-text", lambda: paperbot_ranking(split, eval_users, x_all, Ranker(vec, **params),
                                                         community=False, emb=emb))
    return {
        "dataset": dataset,
        "split_seed": split_seed,
        "n_users": int(len(eval_users)),
        "team_size": team_size,
        "teams": teams,
        "ranker_params": dict(ranker_params or {}),
        "vectorizer_fit_seconds": round(fit_seconds, 3),
        "embedding_model": None if embedder is None or emb is None else f"{embedder.name} {embedder.version}",
        "embedding_seconds": round(emb_seconds, 3),
        "methods": results,
        "community_gain": (paired_difference(ndcg_of["paperbot"], ndcg_of["paperbot-text"], seed=split_seed)
                           if {"paperbot", "paperbot-text"} <= set(ndcg_of) else None),
        "versions": installed_versions(),
        "cpu": cpu_description(),
    }


#: CPU instruction sets that change the int8 embedding model's integer products (onnxruntime picks its kernels by them).
INT8_INSTRUCTIONS = ("avx512_vnni", "avx_vnni", "avx512bw", "avx2")


def cpu_description(cpuinfo: str = "/proc/cpuinfo") -> dict[str, object]:
    """The CPU the figures were measured on: ``{"model": str, "int8_instructions": [str]}``.

    The int8 sentence-embedding model's integer products run on different kernels with and without
    VNNI, and their rounding differs: the embeddings, and the figures that use them, move with the CPU.
    Read from ``cpuinfo`` (Linux); elsewhere the model is :func:`platform.processor` and the list is empty.
    """
    import platform

    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open(cpuinfo, encoding="utf-8") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == "model name":
                    model = value.strip()
                elif name.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    return {"model": model, "int8_instructions": [i for i in INT8_INSTRUCTIONS if i in flags]}


def installed_versions() -> dict[str, str | None]:
    """The installed version of each package of :data:`VERSIONED` (None when not installed)."""
    found: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found
