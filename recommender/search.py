"""Free-text search over a matrix of papers: TF-IDF cosine plus meaning, optionally re-ranked for one person.

With sentence embeddings, relevance is ``(1 - w) * cos_tfidf(query, paper) +
w * cos_embedding(query, paper)`` (``w`` = the ranker's ``semantic_weight``,
embeddings centred on the papers' mean as in :mod:`recommender.ranking.semantic`),
and the papers closest in meaning join those sharing a term with the query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .lexical_search import LEXICAL_WEIGHT, lexical_relevance
from .ranking import Ranker, Target, top_k_indices
from .ranking.semantic import SemanticInputs
from .text.embeddings import center

__all__ = ["LEXICAL_WEIGHT", "MIN_MEANING", "Hit", "query_meaning", "rerank", "search"]

#: The least meaning (centred embedding cosine with the query) a stored paper needs to be a search result
#: when no paper shares a term with the query (:func:`recommender.store_search.find`). On the bundled
#: samples the closest paper to a query with no meaning ("zzzzqqq", "asdf qwer", "banana bread recipe",
#: "the") is at 0.24 to 0.35, and to topical queries ("graph neural networks", "zero-shot learning",
#: "speech recognition", "low precision arithmetic") at 0.46 to 0.55; without the cut every query found k
#: papers. A paraphrase of a paper stays below it too ("teaching computers to see pictures": 0.30), which
#: is why the cut applies only when words find nothing.
MIN_MEANING = 0.40


@dataclass(frozen=True)
class Hit:
    """One result of :func:`rerank`: the candidate, its score and the three parts the score sums.

    Attributes
    ----------
    index : int
        Position among the candidates.
    score : float
        ``words + meaning + personal``, higher is better.
    words, meaning, personal : float
        The weighted lexical relevance, meaning and personal score: ``(1 - p) (1 - w) lexical_relevance``,
        ``(1 - p) w cos_meaning`` and ``p personal`` (``w``, ``p``: the semantic and personal weights, 0 when
        unused).
    closeness : float or None
        ``cos_meaning`` itself, the centred embedding cosine with the query; None when meaning was not measured.
    answers : bool
        It answers the query: the query names it, it holds a word searched (the full-text
        index matched it, or it shares a TF-IDF term with the query), or it is :attr:`close` in meaning. With a
        person, every result that answers comes before every one that does not.
    """

    index: int
    score: float
    words: float = 0.0
    meaning: float = 0.0
    personal: float = 0.0
    closeness: float | None = None
    answers: bool = True

    @property
    def close(self) -> bool | None:
        """Whether it is close to the query in meaning (``closeness`` at least :data:`MIN_MEANING`); None: not measured."""
        return None if self.closeness is None else self.closeness >= MIN_MEANING

def search(ranker: Ranker, query: str, papers: sp.csr_matrix, k: int = 10, *,
           target: Target | None = None, personal_weight: float = 0.3,
           embeddings: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Papers ranked by relevance to ``query``, optionally personalised.

    Parameters
    ----------
    ranker : Ranker
        Its vectorizer (and embedder) read the query; its profile scores personalise.
    query : str
    papers : csr_matrix, shape (n_papers, n_features)
    k : int, default 10
    target : Target, optional
        When given, the best ``max(100, 10 k)`` matches are re-ranked by
        ``(1 - w) * relevance + w * personal score`` with
        ``w = personal_weight``, as :func:`rerank` does: those that answer the
        query (share a term with it, or with embeddings are at least
        :data:`MIN_MEANING` close in meaning) first, then the rest, each by that score;
        ``target.exclude`` is ignored (search shows everything that matches).
        A target with nothing known keeps the relevance order.
    personal_weight : float, default 0.3
    embeddings : ndarray, shape (n_papers, dim), optional
        Sentence embeddings of ``papers``; used when the ranker has an embedder.

    Returns
    -------
    list of (row index, score)
        Best first: papers sharing at least one term with the query and,
        with embeddings, the ``max(100, 10 k)`` closest in meaning (no
        :data:`MIN_MEANING` cut on them here: a handful of papers centred on their own
        mean puts real matches below it; for a person those below it come after the rest).  Empty for an empty or out-of-vocabulary query.
    """
    papers = sp.csr_matrix(papers, dtype=np.float32)
    q = ranker.vectorizer.transform_text([query])
    if q.nnz == 0 or papers.shape[0] == 0:
        return []
    n_pool = max(100, 10 * k)
    lexical = np.asarray((papers @ q.T).toarray(), dtype=np.float64).reshape(-1)
    rel = np.where(lexical > 0, lexical, -np.inf)
    answers = lexical > 0
    mean = None
    if embeddings is not None and ranker.embedder is not None and ranker.semantic_weight > 0:
        emb = np.asarray(embeddings, dtype=np.float32)
        mean = emb.mean(axis=0)
        meaning = _centered_cosines(emb, mean, center(ranker.embedder.encode([query]), mean)[0])
        w = ranker.semantic_weight
        close = np.zeros(papers.shape[0], dtype=bool)
        close[top_k_indices(meaning, n_pool)] = True
        rel = np.where((lexical > 0) | close, (1 - w) * lexical + w * meaning, -np.inf)
        answers |= meaning >= MIN_MEANING
    if target is None:
        best = top_k_indices(rel, k)
        return [(int(i), float(rel[i])) for i in best]
    pool = top_k_indices(rel, n_pool)
    if pool.size == 0:
        return []
    pool_semantic = None if mean is None or embeddings is None else SemanticInputs(embeddings[pool], mean=mean)
    personal, profiles = ranker.score(papers[pool], [target], semantic=pool_semantic)
    if np.diff(profiles.indptr)[0] == 0:
        mixed, tiers = rel[pool], [np.ones(pool.size, dtype=bool)]
    else:
        mixed = (1 - personal_weight) * rel[pool] + personal_weight * personal[0]
        tiers = [answers[pool], ~answers[pool]]
    order = _tiered(mixed.astype(np.float64), tiers, k)
    return [(int(pool[i]), float(mixed[i])) for i in order]


def query_meaning(ranker: Ranker, query: str, embeddings: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Cosine of each paper's centred embedding with the query's, shape (n_papers,); 0 for papers without one.

    ``embeddings`` has shape (n_papers, dim) (unit rows, zero rows for none) and
    ``mean`` shape (dim,), the corpus mean both are centred on.
    """
    assert ranker.embedder is not None
    return _centered_cosines(embeddings, mean, center(ranker.embedder.encode([query]), mean)[0])


def rerank(ranker: Ranker, query: str, rows: sp.csr_matrix, lexical: np.ndarray, k: int, *,
           named: np.ndarray | None = None, meaning: np.ndarray | None = None,
           embeddings: np.ndarray | None = None, mean: np.ndarray | None = None,
           target: Target | None = None, personal_weight: float = 0.3) -> list[Hit]:
    """Candidates of a search, ordered: the papers the query names first, then by relevance (and the person).

    Relevance is ``(1 - w) * lexical_relevance + w * meaning`` with ``w`` the
    ranker's ``semantic_weight`` when ``meaning`` is given (else 0), and
    ``lexical_relevance = a * index_score / best_index_score + (1 - a) * cos_tfidf``
    with ``a`` = :data:`LEXICAL_WEIGHT`. With a ``target``, the score is
    ``(1 - personal_weight) * relevance + personal_weight * personal score``
    (``target.exclude`` ignored); a target with nothing known keeps relevance.

    With a person the results come in tiers: the named papers, then those that answer the query (holding a
    word searched, by the full-text index or a TF-IDF term shared, or close in meaning: ``meaning`` at least
    :data:`MIN_MEANING`), then those that do not, each tier by score. The person reorders the results that
    answer; a paper only their profile placed (no word searched, not close) never passes one that answers.

    Parameters
    ----------
    ranker : Ranker
        Its vectorizer reads the query; its profile scores personalise.
    query : str
    rows : csr_matrix, shape (n, n_features)
        TF-IDF rows of the candidates.
    lexical : ndarray, shape (n,)
        The full-text index's score of each candidate (higher is better, 0 when
        the index did not return it).
    k : int
    named : ndarray of bool, shape (n,), optional
        Candidates the query names exactly (arXiv id, ``#id``, whole title), kept first in their order.
    meaning : ndarray, shape (n,), optional
        Cosine of the candidates' centred embeddings with the query's (:func:`query_meaning`).
    embeddings, mean : ndarray, shapes (n, dim) and (dim,), optional
        The candidates' embeddings and the corpus mean, for the person's semantic profile.
    target : Target, optional
    personal_weight : float, default 0.3

    Returns
    -------
    list of Hit
        At most ``k``, best first (in the tiers above), each with the parts of its score (what a reason says it
        is there for) and whether it answers the query.
    """
    n = rows.shape[0]
    if n == 0 or k <= 0:
        return []
    named = np.zeros(n, dtype=bool) if named is None else np.asarray(named, dtype=bool)
    q = ranker.vectorizer.transform_text([query])
    cos = np.asarray((sp.csr_matrix(rows, dtype=np.float32) @ q.T).toarray(), dtype=np.float64).reshape(-1)
    words = np.asarray(lexical_relevance(np.asarray(lexical, dtype=np.float64).tolist(), named.tolist(), cos.tolist()))
    rel, cosine, w = words, None, 0.0
    if meaning is not None and ranker.embedder is not None and ranker.semantic_weight > 0:
        w, cosine = ranker.semantic_weight, np.asarray(meaning, dtype=np.float64)
        rel = (1 - w) * words + w * cosine
    score, personal, p = rel, np.zeros(n), 0.0
    if target is not None:
        semantic = None if embeddings is None or mean is None else SemanticInputs(embeddings, mean=mean)
        scored, profiles = ranker.score(rows, [target], semantic=semantic)
        if np.diff(profiles.indptr)[0] > 0:
            p, personal = personal_weight, np.asarray(scored[0], dtype=np.float64)
            score = (1 - p) * rel + p * personal
    answers = named | (words > 0) | (False if cosine is None else cosine >= MIN_MEANING)
    first = [int(i) for i in np.flatnonzero(named)][:k]
    order = first + _tiered(score, [answers & ~named, ~answers] if p > 0 else [~named], k - len(first))
    return [Hit(i, float(score[i]), words=float((1 - p) * (1 - w) * words[i]), personal=float(p * personal[i]),
                meaning=0.0 if cosine is None else float((1 - p) * w * cosine[i]),
                closeness=None if cosine is None else float(cosine[i]), answers=bool(answers[i])) for i in order]


def _tiered(score: np.ndarray, tiers: list[np.ndarray], k: int) -> list[int]:
    """Indices of up to ``k`` finite ``score`` entries, every one of a tier (boolean mask) before the next's, each
    tier best first (ties: lower index)."""
    order: list[int] = []
    for tier in tiers:
        if len(order) >= k:
            break
        masked = np.where(tier, score, -np.inf)
        order += [int(i) for i in top_k_indices(masked, k - len(order)) if np.isfinite(masked[i])]
    return order


def _centered_cosines(emb: np.ndarray, mean: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``cos(e_i - mean, query)`` for unit rows ``e_i`` and a unit centred ``query``, shape (n,).

    Two matrix-vector products instead of centring every row:
    ``||e - m||^2 = 1 - 2 e.m + m.m`` (zero rows, papers without a vector, score 0).
    """
    dots = emb @ query - float(mean @ query)
    norms_sq = 1.0 - 2.0 * (emb @ mean) + float(mean @ mean)
    present = np.any(emb != 0, axis=1)
    out = np.where(present, dots / np.sqrt(np.maximum(norms_sq, 1e-12)), 0.0)
    return out.astype(np.float64)
