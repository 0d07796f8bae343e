"""Blocks of the ranking computed side by side give the results of one block at a time, to the bit."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.ranking import Ranker, TargetBatch, blocks, top_k_matrix
from recommender.ranking import neighbourhood as neighbourhood_module
from recommender.ranking.community import co_like_rows
from recommender.ranking.neighbourhood import make_corpus
from recommender.ranking.semantic import SemanticInputs
from recommender.text.tfidf import PaperText, PaperVectorizer

WORDS = ("graph neural network protein folding image diffusion model language retrieval ranking sparse kernel "
         "bayesian sampling markov chain transformer attention molecule chemistry robot policy reward").split()


def _unit(rows) -> sp.csr_matrix:
    m = sp.csr_matrix(np.asarray(rows, dtype=np.float32))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).reshape(-1))
    norms[norms == 0] = 1
    return sp.csr_matrix(sp.diags(1 / norms) @ m, dtype=np.float32)


@pytest.mark.parametrize("with_embeddings", [False, True])
def test_neighbourhood_is_the_same_whatever_the_blocks_and_threads(monkeypatch, with_embeddings):
    rng = np.random.default_rng(5)

    def sparse_rows(n):  # some words each, one at least
        words = rng.random((n, 12)) * (rng.random((n, 12)) < 0.4)
        words[np.arange(n), np.arange(n) % 12] += 1
        return _unit(words)

    corpus = make_corpus(sparse_rows(60), range(60), _unit(rng.random((60, 6))).toarray() if with_embeddings else None)
    cands = sparse_rows(25)
    emb = _unit(rng.random((25, 6))).toarray() if with_embeddings else None
    mean = np.zeros(6, dtype=np.float32) if with_embeddings else None

    def found(block_cells, threads):
        monkeypatch.setattr(blocks, "BLOCK_THREADS", threads)
        return neighbourhood_module.neighbourhood(corpus, cands, emb, mean, semantic_weight=0.5, neighbors=7,
                                                  power=2.0, block_cells=block_cells)

    whole = found(10_000, 1)  # one block
    assert np.allclose(whole.sum(axis=1), 1.0) and (np.diff(whole.indptr) == 7).all()
    whole.sort_indices()
    for block_cells, threads in [(60, 1), (60, 3), (180, 2)]:  # a row, three rows per block; side by side
        part = found(block_cells, threads)
        part.sort_indices()
        # the same neighbours; the weights equal up to float32 rounding (BLAS sums a one-row block in another order)
        assert (part.indptr == whole.indptr).all() and (part.indices == whole.indices).all()
        assert np.allclose(part.data, whole.data, rtol=1e-5, atol=0)
    assert (found(60, 3) != found(60, 1)).nnz == 0  # the same blocks, side by side or not: the same bits


def _papers(rng, n):
    return [PaperText(" ".join(rng.choice(WORDS, 4)), " ".join(rng.choice(WORDS, 12))) for _ in range(n)]


def test_scores_and_top_k_are_the_same_whatever_the_threads(monkeypatch):
    rng = np.random.default_rng(11)
    known, new = _papers(rng, 90), _papers(rng, 40)
    vec = PaperVectorizer(min_df=1).fit(known + new)
    x_known, x_new = vec.transform(known), vec.transform(new)
    emb = _unit(rng.normal(size=(130, 8))).toarray()
    users = sp.csr_matrix((rng.random((25, 90)) < 0.1).astype(np.float32))
    batch = TargetBatch(liked=x_known, like_weights=users, liked_keys=range(90))
    batch.liked_embeddings = emb[:90]
    semantic = SemanticInputs(emb[90:], mean=emb.mean(axis=0))

    def ranked(threads):
        monkeypatch.setattr(blocks, "BLOCK_THREADS", threads)
        ranker = Ranker(vec, mmr_lambda=0.0, block_cells=120, neighbors=10)  # 3 targets per block: 9 blocks
        ranker.set_corpus(x_known, range(90), emb[:90])
        ranker.set_community(x_known, users)
        idx, val, _ = ranker.top_k_batch(x_new, batch, 15, semantic=semantic)
        scores, _ = ranker.score_batch(x_new, batch, semantic=semantic)
        return idx, val, scores

    one = ranked(1)
    assert np.isfinite(one[2]).all() and (one[0] >= 0).all()
    for threads in (2, 4):
        for a, b in zip(one, ranked(threads), strict=True):
            assert np.array_equal(a, b)


def test_co_like_rows_are_the_same_whatever_the_threads(monkeypatch):
    rng = np.random.default_rng(4)
    likes = sp.csr_matrix((rng.random((30, 45)) < 0.2).astype(np.float32))
    counts = np.asarray(likes.sum(axis=0)).reshape(-1)
    found = []
    for threads in (1, 3):
        monkeypatch.setattr(blocks, "BLOCK_THREADS", threads)
        found.append(co_like_rows(likes, counts, 4, block=7))
    assert found[0].nnz and (found[0] != found[1]).nnz == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_top_k_matrix_orders_negative_zero_and_tied_scores_by_column(dtype):
    s = np.array([[-0.0, 0.0, -1.0, 2.0, -np.inf, -0.0], [-3.0, -2.0, -2.0, -np.inf, -1e-30, -1e30]], dtype=dtype)
    idx, val = top_k_matrix(s, 5)
    assert idx.tolist() == [[3, 0, 1, 5, 2], [4, 1, 2, 0, 5]]  # -0.0 and 0.0 are equal scores: column order
    assert val.tolist() == s[np.arange(2)[:, None], idx].tolist()
    assert val.dtype == dtype
