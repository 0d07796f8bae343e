"""Ranking one target over its pool's rows gives what ranking it over the whole day gives."""

import numpy as np
import scipy.sparse as sp

from recommender.pooled import rank_in_pools
from recommender.ranking import Ranker, Target
from recommender.text.tfidf import PaperText, PaperVectorizer

WORDS = ("graph neural network molecule protein quantization pruning diffusion image video speech audio "
         "language model alignment reward policy agent federated privacy sparse attention kernel").split()


def test_pools_give_the_same_picks_scores_and_reasons_as_the_whole_day():
    rng = np.random.default_rng(3)
    texts = [PaperText(" ".join(rng.choice(WORDS, 4)), " ".join(rng.choice(WORDS, 30))) for _ in range(1500)]
    vec = PaperVectorizer().fit(texts)
    X = vec.transform(texts)
    ranker = Ranker(vec)
    targets = [
        Target(interests_text="graph neural network", liked=X[[3, 7]], liked_age_days=np.array([1.0, 20.0]),
               liked_keys=[3, 7], exclude={3, 7, 11}),
        Target(interests_text="speech audio"),
        Target(),
    ]
    priors = rng.random(X.shape[0])
    for k in (1, 5, 20):
        full = ranker.rank(X, targets, k=k, candidate_priors=priors)
        pooled = rank_in_pools(ranker, X, targets, k, candidate_priors=priors, semantic=None)
        assert [[(r.index, round(r.score, 5), r.terms, r.similar_to) for r in rows] for rows in pooled] == \
               [[(r.index, round(r.score, 5), r.terms, r.similar_to) for r in rows] for rows in full]
        assert all(r.index not in {3, 7, 11} for r in pooled[0])
    assert sp.issparse(X)
