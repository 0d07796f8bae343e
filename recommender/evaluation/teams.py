"""Simulated workspaces for ``paperbot eval --team-size N --teams {similar,random}``.

A workspace is 5 to 100 people, not a whole dataset; each team's community is
built from its own members' history papers only.  Construction (issue 10,
``../shared/eval/README.md``), fixed by the split seed:

similar
    People who read alike (a research group): each eligible user's history
    TF-IDF centroid, L2-normalised, reduced by ``TruncatedSVD(64,
    random_state=seed)`` and L2-normalised again, clustered by
    ``KMeans(n_clusters=max(1, n_users // N), n_init=1, random_state=seed)``;
    the members of each cluster (clusters in label order), shuffled by one
    ``numpy.random.default_rng(seed)``, are cut into consecutive chunks of N
    (the last chunk of a cluster may be smaller).
random
    The eligible users shuffled by ``default_rng(seed)``, cut into chunks of N.

The SVD and the clustering run on one thread (``threadpoolctl``): with the
machine's default thread count, the order of their floating-point sums, and
so the clusters and the team figures, changed with the number of cores.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from .data import Split

__all__ = ["TEAM_KINDS", "make_teams"]

TEAM_KINDS = ("similar", "random")


def make_teams(split: Split, x_hist: sp.csr_matrix, size: int, kind: str, seed: int) -> list[np.ndarray]:
    """Cut the split's eligible users into teams.

    Parameters
    ----------
    split : Split
    x_hist : csr_matrix, shape (n_history, n_features)
        paperbot's TF-IDF rows of the history papers (for ``similar``).
    size : int
        Team size N (>= 1).
    kind : {"similar", "random"}
    seed : int
        The split seed.

    Returns
    -------
    list of ndarray of int
        User ids of each team; every eligible user is in exactly one team.

    Raises
    ------
    ValueError
        On an unknown kind or a size below 1.
    """
    if kind not in TEAM_KINDS:
        raise ValueError(f"unknown team kind {kind!r}; choose from {', '.join(TEAM_KINDS)}")
    if size < 1:
        raise ValueError("team size must be at least 1")
    users = split.users
    rng = np.random.default_rng(seed)
    if kind == "random":
        order = rng.permutation(users)
        return [order[i : i + size] for i in range(0, len(order), size)]
    centroids = normalize(sp.csr_matrix(split.history_items[users] @ x_hist))
    n_components = max(1, min(64, centroids.shape[1] - 1, len(users) - 1))
    with threadpool_limits(limits=1):  # the same teams on any number of cores
        reduced = normalize(TruncatedSVD(n_components, random_state=seed).fit_transform(centroids))
        labels = KMeans(n_clusters=max(1, len(users) // size), n_init=1, random_state=seed).fit_predict(reduced)
    teams: list[np.ndarray] = []
    for label in range(int(labels.max()) + 1):
        members = rng.permutation(users[labels == label])
        teams.extend(members[i : i + size] for i in range(0, len(members), size))
    return teams
