"""Simulated workspaces for ``paperbot eval --team-size``: every eligible user in exactly one team, fixed by the seed."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluation.data import make_split
from recommender.evaluation.teams import make_teams


def fixture(n_users=60, n_papers=200, seed=0):
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, 3, n_users)
    rows, cols = [], []
    for u in range(n_users):
        pool = np.arange(n_papers)[np.arange(n_papers) % 3 == topic[u]]
        for p in rng.choice(pool, 30, replace=False):
            rows.append(u)
            cols.append(p)
    ui = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_users, n_papers))
    x = sp.csr_matrix(np.eye(n_papers)[:, :] + 0.1 * (np.arange(n_papers)[:, None] % 3 == np.arange(n_papers)[None, :] % 3))
    split = make_split(ui, 0)
    return split, x[split.history], topic


@pytest.mark.parametrize("kind", ["similar", "random"])
def test_teams_partition_the_eligible_users(kind):
    split, x_hist, _ = fixture()
    for size in (1, 5, 7, 1000):
        teams = make_teams(split, x_hist, size, kind, 0)
        members = np.concatenate(teams)
        assert sorted(members.tolist()) == sorted(split.users.tolist())
        assert max(len(t) for t in teams) <= size
        again = make_teams(split, x_hist, size, kind, 0)
        assert [t.tolist() for t in teams] == [t.tolist() for t in again]  # fixed by the seed


def test_similar_teams_group_people_who_read_alike():
    split, x_hist, topic = fixture()
    similar = make_teams(split, x_hist, 5, "similar", 0)
    random = make_teams(split, x_hist, 5, "random", 0)

    def purity(teams):
        return np.mean([np.bincount(topic[t]).max() / len(t) for t in teams])

    assert purity(similar) == 1.0 and purity(random) < 0.9


def test_bad_team_arguments():
    split, x_hist, _ = fixture()
    with pytest.raises(ValueError):
        make_teams(split, x_hist, 0, "similar", 0)
    with pytest.raises(ValueError):
        make_teams(split, x_hist, 5, "friends", 0)
