from pathlib import Path

import numpy as np
import pytest
import sklearn

from recommender.evaluation.data import load_dataset, make_split
from recommender.evaluation.metrics import ndcg_at_k, paired_difference, per_user_metrics, recall_at_k
from recommender.evaluation.run import run_eval
from recommender.ranking import Ranker, Target, top_k_matrix

N_PAPERS = 15


def test_metrics_by_hand():
    ranked = np.array([5, 1, 7])
    assert recall_at_k(ranked, {1, 9}, 2) == 0.5
    assert recall_at_k(ranked, {1, 9}, 1) == 0.0
    # hit at rank 2 -> 1/log2(3); ideal with 2 relevant -> 1 + 1/log2(3)
    assert ndcg_at_k(ranked, {1, 9}, 3) == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert ndcg_at_k(ranked, {5}, 10) == 1.0
    assert ndcg_at_k(ranked, set(), 10) == 0.0


def test_per_user_metrics_average_to_the_means():
    import scipy.sparse as sp

    ranked = np.array([[0, 1, 2], [2, 1, 0]])
    relevant = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0]]))
    per = per_user_metrics(ranked, relevant)
    assert per["ndcg@10"].tolist() == pytest.approx([1.0, 0.5])  # hit 1st, then 3rd: 1 / log2(4)
    assert per["recall@10"].tolist() == [1.0, 1.0]


def test_paired_difference_tells_a_gain_from_noise():
    rng = np.random.default_rng(3)
    base = rng.random(400)
    better = paired_difference(base + 0.02 + rng.normal(0, 0.05, 400), base)
    assert 0 < better["ci"][0] < better["mean"] < better["ci"][1]  # a real gain: the interval excludes 0
    noise = rng.normal(0, 0.05, 400)
    noisy = paired_difference(base + noise - noise.mean(), base)  # mean exactly 0, spread as above
    assert noisy["ci"][0] < 0 < noisy["ci"][1]
    assert paired_difference(base, base) == {"mean": 0.0, "ci": [0.0, 0.0]}
    assert paired_difference(base[:1], base[:1] + 1)["ci"] is None
    assert paired_difference(base + 0.02, base, seed=1) == paired_difference(base + 0.02, base, seed=1)
    with pytest.raises(ValueError):
        paired_difference(base, base[:3])


def test_top_k_matrix_ties_by_column():
    scores = np.array([[0.1, 0.5, 0.5, 0.9], [1.0, 1.0, 1.0, 1.0]])
    assert top_k_matrix(scores, 3)[0].tolist() == [[3, 1, 2], [0, 1, 2]]


def write_fixture(root: Path) -> dict:
    """15 papers in three topics, laid out around the seed-0 split."""
    perm = np.random.default_rng(0).permutation(N_PAPERS)
    new, history = perm[:3], perm[3:]
    topic = {}
    topic[new[0]], topic[new[1]], topic[new[2]] = "alpha", "omega", "zeta"
    for i, p in enumerate(history):
        topic[p] = "alpha" if i < 6 else "omega"
    words = {"alpha": "alpha beta gamma", "omega": "omega sigma tau", "zeta": "zeta kappa"}
    folder = root / "tiny"
    folder.mkdir()
    (folder / "titles.txt").write_text("\n".join(f"{words[topic[i]]} w{i}" for i in range(N_PAPERS)) + "\n")
    alpha_hist = [int(p) for p in history[:6]]
    omega_hist = [int(p) for p in history[6:]]
    users = [
        alpha_hist + [int(new[0])],  # relevant new[0], ranked 1st by Rocchio
        omega_hist + [int(new[1])],  # relevant new[1]: 1st
        alpha_hist[:5] + [int(new[2])],  # relevant new[2]: 3rd (zero similarity, candidate order)
        alpha_hist[:3],  # too little history: not evaluated
        omega_hist,  # nothing new: not evaluated
    ]
    (folder / "users.dat").write_text("".join(f"{len(u)} {' '.join(map(str, u))}\n" for u in users))
    return {"new": new}


def test_split_and_loading(tmp_path):
    info = write_fixture(tmp_path)
    ds = load_dataset("tiny", tmp_path)
    assert len(ds.papers) == N_PAPERS and not ds.bag_of_words
    split = make_split(ds.user_items, 0)
    assert split.new.tolist() == info["new"].tolist()
    assert split.users.tolist() == [0, 1, 2]


def test_run_eval_rocchio_known_metrics(tmp_path):
    write_fixture(tmp_path)
    res = run_eval("tiny", 0, data_dir=tmp_path, methods=("random", "rocchio", "paperbot"))
    assert res["n_users"] == 3
    roc = res["methods"]["rocchio"]
    assert roc["recall@10"] == pytest.approx(1.0)
    assert roc["recall@50"] == pytest.approx(1.0)
    assert roc["ndcg@10"] == pytest.approx((1 + 1 + 1 / np.log2(4)) / 3)
    assert set(res["methods"]) == {"random", "rocchio", "paperbot"}
    assert res["methods"]["paperbot"]["recall@50"] == pytest.approx(1.0)  # only 3 candidates
    assert res["community_gain"] is None  # paperbot-text did not run
    assert res["versions"]["scikit-learn"] == sklearn.__version__ and "onnxruntime" in res["versions"]


def test_bag_of_words_pseudo_documents(tmp_path):
    folder = tmp_path / "bow"
    folder.mkdir()
    (folder / "vocabulary.dat").write_text("graph\nneural\nprotein\n")
    (folder / "mult.dat").write_text("2 0:2 1:1\n1 2:3\n")
    (folder / "users.dat").write_text("2 0 1\n")
    ds = load_dataset("bow", tmp_path)
    assert ds.bag_of_words
    assert ds.papers[0].title == "graph graph neural"
    assert ds.papers[1].title == "protein protein protein"


def paperbot_targets(split, users, x_hist):
    """Reference: one Target per evaluated user, history papers as 👍 (age 0)."""
    hist = split.history_items
    return [Target(liked=x_hist[hist.indices[hist.indptr[u] : hist.indptr[u + 1]]],
                   liked_keys=hist.indices[hist.indptr[u] : hist.indptr[u + 1]].tolist()) for u in users]


def test_paperbot_batch_ranks_like_per_user_targets(tmp_path):
    from recommender.evaluation.run import paperbot_batch, paperbot_vectorizer

    write_fixture(tmp_path)
    ds = load_dataset("tiny", tmp_path)
    split = make_split(ds.user_items, 0)
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x = vec.transform(ds.papers)
    x_hist, x_new = x[split.history], x[split.new]
    ranker = Ranker(vec, mmr_lambda=0).set_community(x_hist, split.history_items)
    idx, _, _ = ranker.top_k_batch(x_new, paperbot_batch(split, split.users, x_hist), k=3)
    picks = ranker.rank(x_new, paperbot_targets(split, split.users, x_hist), k=3, explain=False)
    assert idx.tolist() == [[p.index for p in row] for row in picks]
    assert idx[0, 0] == 0 and idx[1, 0] == 1  # each user's own topic first
