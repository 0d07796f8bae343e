import numpy as np
import pytest
import scipy.sparse as sp

from recommender.ranking import Ranker, Target, TargetBatch, top_k_indices, top_k_matrix
from recommender.ranking.community import co_like_rows
from recommender.ranking.semantic import SemanticInputs
from recommender.ranking.sparse import top_m_rows
from recommender.ranking.topk import top_k_entries
from recommender.search import search
from recommender.text.tfidf import PaperText, PaperVectorizer

from ranking_reference import explain_one, mmr_select, top_k_reference

PAPERS = [
    PaperText("Convolutional neural networks for image recognition", "deep convolutional image features"),  # 0
    PaperText("Image recognition with deep convolutional networks", "convolutional image benchmark"),  # 1
    PaperText("Convolutional image recognition at scale", "image recognition convolutional training"),  # 2
    PaperText("Protein structure prediction", "protein folding structure"),  # 3
    PaperText("Protein folding dynamics", "protein structure folding simulation"),  # 4
    PaperText("Markov chain Monte Carlo sampling", "monte carlo markov posterior sampling"),  # 5
    PaperText("Graph neural networks for molecules", "graph message passing molecules", ("Ada Lovelace",)),  # 6
    PaperText("Molecular graphs", "graph learning for chemistry", ("Ada Lovelace",)),  # 7
]


def setup():
    vec = PaperVectorizer().fit(PAPERS)
    return vec, vec.transform(PAPERS)


def test_top_k_indices_skips_excluded_and_breaks_ties_by_index():
    s = np.array([0.5, 0.9, -np.inf, 0.9, 0.1])
    assert top_k_indices(s, 3).tolist() == [1, 3, 0]
    assert top_k_indices(np.array([-np.inf, 1.0]), 5).tolist() == [1]
    assert top_k_indices(np.array([1.0, 2.0]), 0).tolist() == []


def test_liked_topic_ranks_first_and_exclusion_holds():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0.0)
    t = Target(liked=x[[0]], liked_keys=["paper-0"], exclude={0, 1})
    picks = ranker.rank(x, [t], k=3)[0]
    assert picks[0].index == 2  # the remaining image paper
    assert all(p.index not in {0, 1} for p in picks)
    assert picks[0].similar_to == "paper-0"
    assert [p.score for p in picks] == sorted([p.score for p in picks], reverse=True)


def test_exclusion_never_picks_even_when_few_left():
    vec, x = setup()
    t = Target(interests_text="protein", exclude=set(range(7)))
    picks = Ranker(vec).rank(x, [t], k=5)[0]
    assert [p.index for p in picks] == [7]


def test_many_targets_at_once():
    vec, x = setup()
    targets = [Target(interests_text="protein folding"), Target(interests_text="monte carlo"), Target(liked=x[[6]])]
    out = Ranker(vec, mmr_lambda=0).rank(x, targets, k=2)
    assert out[0][0].index in {3, 4} and out[1][0].index == 5 and out[2][0].index == 6


def test_cold_start_nothing_known_uses_priors_then_candidate_order():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0)
    priors = np.zeros(8)
    priors[5] = 1.0
    priors[3] = 0.5
    assert [p.index for p in ranker.rank(x, [Target()], k=3, candidate_priors=priors)[0]] == [5, 3, 0]
    assert [p.index for p in ranker.rank(x, [Target()], k=2)[0]] == [0, 1]


def test_dislike_pushes_topic_down():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0, dislike_weight=1.0)
    base = Target(interests_text="protein graph")
    neg = Target(interests_text="protein graph", disliked=x[[6]])
    s_base, _ = ranker.score(x, [base])
    s_neg, _ = ranker.score(x, [neg])
    assert s_neg[0, 7] < s_base[0, 7]  # graph paper hurt by 👎 on the other graph paper
    assert s_neg[0, 7] < 0.5 * s_neg[0, 3]  # ... and now far below the protein papers
    assert int(np.argmax(s_neg[0])) in {3, 4}


def test_recency_decay_prefers_recent_likes():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0, half_life_days=7)
    t = Target(liked=x[[0, 3]], liked_age_days=np.array([0.0, 70.0]), exclude={0, 3})
    assert ranker.rank(x, [t], k=1)[0][0].index in {1, 2}
    t_old = Target(liked=x[[0, 3]], liked_age_days=np.array([70.0, 0.0]), exclude={0, 3})
    assert ranker.rank(x, [t_old], k=1)[0][0].index == 4


def test_mmr_zero_is_off_and_positive_diversifies():
    rel = np.array([1.0, 0.99, 0.9, 0.0])
    sim = np.array([[1, 0.95, 0, 0], [0.95, 1, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    assert mmr_select(rel, sim, 2, 0.0).tolist() == [0, 1]
    assert mmr_select(rel, sim, 2, 0.5).tolist() == [0, 2]


def test_ranker_mmr_spreads_topics():
    vec, x = setup()
    t = Target(interests_text="convolutional image recognition protein")
    plain = [p.index for p in Ranker(vec, mmr_lambda=0).rank(x, [t], k=2)[0]]
    diverse = [p.index for p in Ranker(vec, mmr_lambda=0.7).rank(x, [t], k=2)[0]]
    assert set(plain) <= {0, 1, 2}
    assert diverse[0] == plain[0] and diverse[1] in {3, 4}


def test_explanations_are_words_unless_author_drives():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0)
    t = Target(interests_text="protein folding")
    pick = ranker.rank(x, [t], k=1)[0][0]
    assert pick.index in {3, 4}
    assert set(pick.terms) & {"protein", "folding", "protein folding"}
    assert pick.similar_to is None  # no likes
    # liking a paper by an author: the author's other paper is explained by words + author
    t2 = Target(liked=x[[6]], liked_keys=[6], exclude={6})
    terms, similar = explain_one(ranker, x[[7]], t2)
    assert "graph" in terms and similar == 6
    assert all(not s.startswith("author:") for s in explain_one(ranker, x[[0]], Target(liked=x[[1]]))[0])


def test_search_relevance_and_personalisation():
    vec, x = setup()
    ranker = Ranker(vec)
    hits = search(ranker, "protein folding", x, k=3)
    assert {i for i, _ in hits} == {3, 4}
    assert search(ranker, "zzzz unknown", x) == []
    graph = search(ranker, "graph", x, k=2)
    assert {i for i, _ in graph} == {6, 7}
    liker = Target(liked=x[[7]])
    assert search(ranker, "graph", x, k=2, target=liker, personal_weight=0.9)[0][0] == 7


def _unit(rows) -> sp.csr_matrix:
    a = np.asarray(rows, dtype=np.float32)
    return sp.csr_matrix(a / np.linalg.norm(a, axis=1, keepdims=True))


def test_neighbourhood_share_prefers_candidates_whose_nearest_known_papers_were_liked():
    vec, _ = setup()
    rng = np.random.default_rng(3)
    near = lambda d, n: np.asarray(d, dtype=float) + 0.05 * rng.random((n, 4))  # noqa: E731
    # liked: 5 papers in direction a, 5 in direction b; 110 unliked papers crowd direction c
    corpus = _unit(np.vstack([near([1, 1, 1, 0], 5), near([1, 1, -1, 0], 5), near([1, 1, 0, 1], 110)]))
    cands = _unit([[1, 1, 1, 0], [1, 1, 0, 1]])  # same cosine (0.82) to the liked centroid (1, 1, 0, 0)
    t = Target(liked=corpus[:10], liked_keys=list(range(10)))
    plain, _ = Ranker(vec, mmr_lambda=0, neighbors=20).score(cands, [t])
    assert plain[0, 0] == pytest.approx(plain[0, 1], abs=1e-3)  # a centroid cannot tell them apart
    ranker = Ranker(vec, mmr_lambda=0, neighbors=20).set_corpus(corpus, range(120))
    shared, _ = ranker.score(cands, [t])
    assert shared[0, 0] > shared[0, 1] + 0.4  # candidate 0's neighbours are liked papers, 1's are not
    small = Ranker(vec, mmr_lambda=0, neighbors=20).set_corpus(corpus[:15], range(15))
    assert np.allclose(small.score(cands, [t])[0], plain)  # a corpus no larger than the neighbourhood: no share
    with pytest.raises(ValueError):
        Ranker(vec).set_corpus(corpus, range(3))


def test_community_signal_uses_co_likes():
    vec, x = setup()
    # community: both people who liked image paper 0 also liked protein paper 3
    items = x[[0, 3, 5, 6]]
    users = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=float))
    ranker = Ranker(vec, mmr_lambda=0, community_weight=5.0, community_shrinkage=0)  # full weight on any evidence
    ranker.set_community(items, users, item_keys=["a", "b", "c", "d"])
    t = Target(liked=x[[0]], liked_keys=["a"])
    with_com, _ = ranker.score(x, [t])
    plain, _ = ranker.clear_community().score(x, [t])
    # paper 4 shares no word with paper 0, but its text neighbour 3 is co-liked with 0
    assert plain[0, 4] == 0
    assert with_com[0, 4] > with_com[0, 7] + 1.0  # 7's neighbour (6) is not co-liked with 0


def test_a_team_with_fewer_people_who_liked_anything_than_the_minimum_gets_no_community():
    vec, x = setup()
    items = x[[0, 3, 5, 6]]
    t = Target(liked=x[[0]], liked_keys=["a"])
    plain, _ = Ranker(vec, mmr_lambda=0).score(x, [t])
    for n_co_likers, minimum in [(2, 4), (3, 4), (3, 5)]:
        rows = [[1, 0, 0, 0]] + [[1, 1, 0, 0]] * n_co_likers + [[0, 0, 0, 0]] * 3  # people without a 👍 do not count
        ranker = Ranker(vec, mmr_lambda=0, community_shrinkage=0, community_min_members=minimum)
        ranker.set_community(items, sp.csr_matrix(np.array(rows, dtype=float)), item_keys=["a", "b", "c", "d"])
        scores, _ = ranker.score(x, [t])
        if 1 + n_co_likers < minimum:
            assert ranker.community is None and np.array_equal(scores, plain)
        else:
            assert ranker.community is not None and scores[0, 4] > plain[0, 4]  # 4: text neighbour of co-liked "b"
    assert Ranker(vec).community_min_members == 2  # any two people: a size of team is no evidence (see its docstring)


def test_co_like_rows_are_the_strongest_cosines_whatever_the_block():
    rng = np.random.default_rng(4)
    likes = sp.csr_matrix((rng.random((30, 45)) < 0.2).astype(np.float32))
    counts = np.asarray(likes.sum(axis=0)).reshape(-1)
    dense = likes.toarray()
    norms = np.sqrt(np.maximum(counts, 1.0))
    cosine = (dense.T @ dense) / norms[:, None] / norms[None, :]
    whole = co_like_rows(likes, counts, None, block=7).toarray()
    assert np.allclose(whole, cosine, atol=1e-6)
    cut = co_like_rows(likes, counts, 4, block=7)
    assert (cut != co_like_rows(likes, counts, 4, block=1000)).nnz == 0
    for r in range(45):
        kept = np.flatnonzero(cut[r].toarray())
        assert kept.size == min(4, np.count_nonzero(cosine[r]))
        if kept.size:
            assert cosine[r, kept].min() >= np.sort(cosine[r])[-kept.size] - 1e-6


def test_community_weight_grows_with_teammates_evidence():
    vec, x = setup()
    items = x[[0, 3, 5, 6]]
    t = Target(liked=x[[0]], liked_keys=["a"])
    plain, _ = Ranker(vec, mmr_lambda=0).score(x, [t])
    lifts = []
    for co_likers in (0, 1, 3, 9):  # teammates who liked paper "a" and protein paper "b" too
        rows = [[1, 0, 0, 0]] + [[1, 1, 0, 0]] * co_likers + [[0, 0, 1, 1]]
        ranker = Ranker(vec, mmr_lambda=0, community_weight=1.0, community_shrinkage=3.0)
        ranker.set_community(items, sp.csr_matrix(np.array(rows, dtype=float)), item_keys=["a", "b", "c", "d"])
        scores, _ = ranker.score(x, [t])
        lifts.append(float(scores[0, 4] - plain[0, 4]))  # 4: text neighbour of "b", no word shared with "a"
        if co_likers == 0:
            assert np.array_equal(scores, plain)  # nobody else liked what the target liked: no community at all
    assert lifts[0] == 0 and lifts[1] > 0
    assert lifts[1] < lifts[2] < lifts[3] < 1.0  # weight co_likers / (co_likers + 3), below its maximum


def test_hybrid_score_lifts_papers_close_in_meaning():
    vec, x = setup()
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(8, 16)).astype(np.float32)
    emb[4] = emb[0] + 0.05 * rng.normal(size=16)  # 4 means what 0 means, with no word in common
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    t = Target(liked=x[[0]], liked_keys=[0], liked_embeddings=emb[[0]])
    ranker = Ranker(vec, mmr_lambda=0, semantic_weight=0.5)
    text, _ = ranker.score(x, [t])
    hybrid, _ = ranker.score(x, [t], semantic=SemanticInputs(emb, mean=emb.mean(axis=0)))
    assert text[0, 4] == 0 and hybrid[0, 4] > hybrid[0, 7]
    cand = emb - emb.mean(axis=0)
    cand /= np.linalg.norm(cand, axis=1, keepdims=True)
    assert hybrid[0] == pytest.approx(0.5 * text[0] + 0.5 * cand @ cand[0], abs=1e-5)
    off, _ = Ranker(vec, mmr_lambda=0, semantic_weight=0.0).score(x, [t], semantic=SemanticInputs(emb))
    assert np.array_equal(off, text)
    no_emb, _ = ranker.score(x, [Target(liked=x[[0]], liked_keys=[0])], semantic=SemanticInputs(emb))
    assert np.array_equal(no_emb, text)  # a target without embeddings keeps its TF-IDF score
    with pytest.raises(ValueError):
        ranker.score(x, [t], semantic=SemanticInputs(emb[:3]))


# ------------------------------------------------------------------ batched paths
def test_top_k_matrix_equals_top_k_reference_per_row():
    rng = np.random.default_rng(0)
    for _ in range(30):
        s = np.round(rng.random((12, 90)) * rng.integers(2, 20), 0).astype(np.float32)  # many ties
        s[rng.random(s.shape) < 0.3] = -np.inf
        s[0] = -np.inf  # nothing left at all
        k = int(rng.integers(1, 60))
        idx, val = top_k_matrix(s, k)
        for r in range(s.shape[0]):
            exp = top_k_reference(s[r], k)
            assert idx[r, : exp.size].tolist() == exp.tolist()
            assert (idx[r, exp.size :] == -1).all() and np.isneginf(val[r, exp.size :]).all()
            assert val[r, : exp.size].tolist() == s[r, exp].tolist()


def test_top_m_rows_keeps_largest_positive_ties_by_lower_column():
    m = sp.csr_matrix(np.array([[0.5, 0.9, 0.5, 0.5, -1.0], [0.0, -2.0, 3.0, 0.0, 0.0], [1, 1, 1, 1, 1.0]]))
    out = top_m_rows(m, 2).toarray()
    assert out.tolist() == [[0.5, 0.9, 0, 0, 0], [0, 0, 3.0, 0, 0], [1, 1, 0, 0, 0]]
    rng = np.random.default_rng(1)
    big = sp.random(30, 400, density=0.6, random_state=2, format="csr")
    big.data = np.round(big.data * 3)  # ties, zeros
    got = top_m_rows(big, 7).toarray()
    dense = big.toarray()
    for r in range(30):
        exp = [c for c in np.lexsort((np.arange(400), -dense[r]))[:7] if dense[r, c] > 0]
        assert set(np.flatnonzero(got[r])) == set(exp)
    del rng


def test_top_k_entries_is_the_positive_set_top_k_matrix_ranks():
    scores = np.array([[0.1, 0.5, 0.5, 0.9], [1.0, 1.0, 1.0, 1.0], [-np.inf, 0.2, -np.inf, -np.inf], [0.0, -1.0, 0.3, 0.0]])
    rows, cols, values = top_k_entries(scores, 3)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (2, 1), (3, 2)]
    assert values.tolist() == pytest.approx([0.5, 0.5, 0.9, 1.0, 1.0, 1.0, 0.2, 0.3])
    rng = np.random.default_rng(3)
    for width in (300, 5000):  # a weak and a strong chunk bound
        big = np.round(rng.random((40, width)) * 5) - 1  # many ties at the k-th score, zeros and negatives
        big[rng.random(big.shape) < 0.3] = -np.inf
        rows, cols, _ = top_k_entries(big, 9)
        best, val = top_k_matrix(big, 9)
        for r in range(40):
            assert set(cols[rows == r].tolist()) == {int(c) for c, v in zip(best[r], val[r], strict=True) if c >= 0 and v > 0}
    assert top_k_entries(big, 0)[0].size == 0


def _mixed_targets(x):
    return [
        Target(liked=x[[0, 3]], liked_keys=[0, 3], liked_age_days=np.array([0.0, 40.0]), exclude={0, 3, 1}),
        Target(interests_text="protein folding", disliked=x[[6]]),
        Target(liked=x[[6]], exclude={6, 99}),  # no keys; out-of-range exclusion ignored
        Target(),
        Target(liked=x[[5, 0]], liked_keys=[5, 0], interests_text="markov"),
    ]


def test_rank_of_many_targets_equals_each_target_alone():
    vec, x = setup()
    priors = np.linspace(0, 1, 8)
    for mmr in (0.0, 0.5):
        ranker = Ranker(vec, mmr_lambda=mmr, block_cells=16, community_shrinkage=1.0)  # tiny blocks: several targets per block edge
        ranker.set_community(x[[0, 3, 5, 6]], sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1.0]])))
        targets = _mixed_targets(x)
        together = ranker.rank(x, targets, k=3, candidate_priors=priors)
        for t, picks in zip(targets, together, strict=True):
            alone = ranker.rank(x, [t], k=3, candidate_priors=priors)[0]
            assert [(p.index, p.terms, p.similar_to) for p in picks] == [(p.index, p.terms, p.similar_to) for p in alone]
            assert [p.score for p in picks] == pytest.approx([p.score for p in alone], abs=1e-6)
        if mmr == 0:
            assert [p.index for p in together[3]] == [7, 6, 5]  # nothing known: priors, best first
        assert all(p.index not in {0, 1, 3} for p in together[0])


def test_batched_explanations_equal_single_explain():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0)
    targets = _mixed_targets(x)
    for t, picks in zip(targets, ranker.rank(x, targets, k=4), strict=True):
        for p in picks:
            assert (p.terms, p.similar_to) == explain_one(ranker, x[[p.index]], t)
    picks = ranker.rank(x, [Target(liked=x[[6]], liked_keys=["g"], exclude={6})], k=1)[0]
    assert picks[0].index == 7 and picks[0].similar_to == "g" and "graph" in picks[0].terms
    picks = ranker.rank(x, [Target(liked=x[[3, 6]], exclude={3, 6})], k=1)[0]  # no keys: position in likes
    assert picks[0].similar_to in (0, 1) and picks[0].index in (4, 7)


def test_top_k_batch_from_matrices_equals_targets():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0, community_shrinkage=1.0)
    users = sp.csr_matrix(np.array([[1, 0, 0, 1, 0, 0], [1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1.0]]))
    items = x[[0, 1, 3, 4, 6, 7]]
    ranker.set_community(items, users)
    batch = TargetBatch(liked=items, like_weights=users, liked_keys=range(6))
    idx, val, _ = ranker.top_k_batch(x, batch, k=8)
    targets = [Target(liked=items[r.indices], liked_keys=r.indices.tolist()) for r in users]
    ref = ranker.rank(x, targets, k=8, explain=False)
    assert idx.tolist() == [[p.index for p in row] for row in ref]
    assert val[:, 0].tolist() == pytest.approx([row[0].score for row in ref])
    ex = sp.csr_matrix(np.eye(3, 8))
    idx2, _, _ = ranker.top_k_batch(x, TargetBatch(items, users, range(6), exclude=ex), k=8)
    assert all(r not in row for r, row in enumerate(idx2.tolist())) and (idx2[:, -1] == -1).all()


def test_batched_mmr_equals_mmr_select_per_target():
    vec, x = setup()
    ranker = Ranker(vec, mmr_lambda=0.6, mmr_pool=6)
    targets = [Target(interests_text="convolutional image recognition protein graph"), Target(liked=x[[0, 3, 6]])]
    scores, _ = ranker.score(x, targets)
    for t_idx, picks in enumerate(ranker.rank(x, targets, k=3)):
        best = top_k_reference(scores[t_idx], 9)
        sub = x[best]
        exp = best[mmr_select(scores[t_idx, best], (sub @ sub.T).toarray(), 3, 0.6)]
        assert [p.index for p in picks] == exp.tolist()
