"""Search by words alone, in pure Python: ``paperbot search`` without a person and without sentence embeddings.

A search from the command line is a new process each time. The search over
the store (:func:`recommender.store_search.find`) ranks with numpy and scipy,
whose import was most of what ``paperbot search`` cost beyond ``paperbot stats``
(``benchmarks/store_scale.py``, "CLI search / CLI stats"). When nothing but
words can rank the results (no person to re-rank for, no stored embedding to
mix in), :func:`find_words` gives the same papers in the same order with the
same scores (to float32 rounding) without importing either:

1. candidates from the same full-text index query
   (:func:`recommender.store.fulltext.candidates`: named papers first, date
   and source filters in SQL);
2. each candidate's TF-IDF cosine with the query, computed from its text with
   the stored model's vocabulary and IDF (:mod:`recommender.text.analyzer`)
   as :class:`~recommender.text.frozen.FrozenTfidf` would: ``1 + log(tf)``
   times IDF, the word block and the author block each of unit norm, the author
   block scaled by ``author_weight``, the row then of unit norm;
3. relevance as in :func:`recommender.search.rerank`.

It declines (returns None) whenever the full path would do more: embeddings
stored while semantic search is on, no model stored in the current layout, or
a model fitted on too few papers (the full path fits one first).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import operator
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .pick import Pick
from .store import ModelState, Paper, PaperEmbedding
from .store.fulltext import candidates
from .text.analyzer import analyze, author_tokens, document_frequency, floats, read_state

__all__ = ["LEXICAL_WEIGHT", "POOL", "WordModel", "find_words", "lexical_relevance", "order_results"]

POOL = 200
"""Candidates taken from the full-text index (and as many by meaning) before re-ranking; at least ``10 k``."""

LEXICAL_WEIGHT = 0.5
"""Share of the full-text index's score (scaled to [0, 1] by the best candidate's) in the lexical relevance;
the rest is the TF-IDF cosine. The index's score carries words the TF-IDF vocabulary dropped (a model's name
in one paper only); the cosine weighs the words the vocabulary knows."""


class WordModel:
    """A stored TF-IDF model's word weights, for cosines with a query over a few hundred texts.

    Parameters
    ----------
    state : dict
        :func:`~recommender.text.analyzer.read_state` of the stored bytes.
    """

    def __init__(self, state: dict):
        terms, idf = state["terms"], floats(state["idf"])
        if len(terms) != len(idf):
            raise ValueError(f"{len(terms)} terms for {len(idf)} IDF values")
        # A fitted model's terms are sorted (its feature order): a few thousand lookups by bisection cost
        # less than building a 200,000-entry dict for them; any other order gets the dict.
        self._terms: list[str] = terms
        self._idf = idf
        self._index: dict[str, int] | None = (
            None if all(map(operator.lt, terms, itertools.islice(terms, 1, None))) else {t: i for i, t in enumerate(terms)})
        self.authors = frozenset(state["authors"])
        self.stop_words = frozenset(state["stop_words"])
        self.ngram_range = (int(state["ngram_range"][0]), int(state["ngram_range"][1]))
        self.sublinear_tf = bool(state["sublinear_tf"])
        self.author_weight = float(state["author_weight"])
        self.n_papers_fit, self.min_fit_papers = int(state["n_papers_fit"]), int(state["min_fit_papers"])

    def idf(self, term: str) -> float | None:
        """The IDF of ``term``; None when the model does not know it."""
        if self._index is not None:
            at = self._index.get(term)
            return None if at is None else self._idf[at]
        at = bisect.bisect_left(self._terms, term)
        return self._idf[at] if at < len(self._terms) and self._terms[at] == term else None

    def document_frequency(self, word: str) -> float | None:
        """Papers that held ``word`` at fit time (see :meth:`~recommender.text.frozen.FrozenTfidf.document_frequency`); None when unknown."""
        idf = self.idf(word)
        return None if idf is None else document_frequency(idf, self.n_papers_fit)

    def weights(self, text: str, looked_up: dict[str, float | None] | None = None) -> dict[str, float]:
        """Known n-gram -> TF-IDF weight of ``text``, before normalisation.

        ``looked_up`` (n-gram -> IDF or None) keeps the lookups of earlier texts: the candidates of one
        search share most of their words, so each is looked up once.
        """
        out = {}
        if looked_up is None:
            looked_up = {}
        for gram, n in Counter(analyze(text, self.stop_words, self.ngram_range)).items():
            if gram not in looked_up:
                looked_up[gram] = self.idf(gram)
            idf = looked_up[gram]
            if idf is not None:
                out[gram] = ((1.0 + math.log(n)) if self.sublinear_tf else n) * idf
        return out

    def cosines(self, query: str, papers: Sequence[tuple[str, str, Sequence[str]]]) -> list[float]:
        """Cosine of each paper's TF-IDF row with the query's, length len(papers); 0 where nothing is shared.

        ``papers`` are ``(title, abstract, authors)``.
        """
        q = self.weights(query)
        q_norm = math.sqrt(sum(w * w for w in q.values()))
        out = []
        looked_up: dict[str, float | None] = {}
        for title, abstract, authors in papers:
            words = self.weights(f"{title}\n{abstract}" if abstract else title, looked_up)
            shared = sum(w * words[g] for g, w in q.items() if g in words)
            if not shared:
                out.append(0.0)
                continue
            has_authors = self.author_weight != 0 and any(t in self.authors for t in author_tokens(authors))
            row_norm = math.sqrt(sum(w * w for w in words.values())) * math.sqrt(1.0 + self.author_weight ** 2 * has_authors)
            out.append(shared / (q_norm * row_norm))
        return out


def lexical_relevance(index_scores: Sequence[float], named: Sequence[bool], cosines: Sequence[float]) -> list[float]:
    """``a * min(index_score / best, 1) + (1 - a) * cosine`` per candidate, ``a`` = :data:`LEXICAL_WEIGHT`.

    ``best`` is the highest index score among the candidates not named by the
    query (when none is positive, any positive score counts as 1).
    """
    best = max((s for s, n in zip(index_scores, named, strict=True) if not n), default=0.0)
    best = max(best, 0.0)
    part = [s / best if best > 0 else float(s > 0) for s in index_scores]
    return [LEXICAL_WEIGHT * min(p, 1.0) + (1 - LEXICAL_WEIGHT) * c for p, c in zip(part, cosines, strict=True)]


def order_results(scores: Sequence[float], named: Sequence[bool], k: int) -> list[int]:
    """Candidate indices to show: the named ones first in their order, then the best scores (ties: lower index)."""
    first = [i for i, n in enumerate(named) if n][:k]
    rest = sorted((i for i, n in enumerate(named) if not n and math.isfinite(scores[i])), key=lambda i: -scores[i])
    return first + rest[: max(k - len(first), 0)]


def find_words(session: Session, query: str, k: int, *, semantic: bool, since: dt.date | None = None,
               until: dt.date | None = None, source: str | None = None) -> list[Pick] | None:
    """The ``k`` stored papers that best match ``query`` by words alone, best first, with their scores and reasons.

    The same results as :meth:`recommender.picks.Recommender.search` without a member
    whenever it returns a list.

    Parameters
    ----------
    session, query, k, since, until, source
        As for :func:`recommender.store_search.find`.
    semantic : bool
        Whether search would mix in sentence embeddings (the ``semantic`` setting).

    Returns
    -------
    list of Pick, or None
        Each with its score and :meth:`Pick.found`'s reason; None when the full search must
        run instead (see the module's docstring).
    """
    if session.scalar(select(Paper.id).limit(1)) is None:
        return []
    if semantic and session.scalar(select(PaperEmbedding.paper_id).limit(1)) is not None:
        return None
    state_id = session.scalar(select(func.max(ModelState.id)))
    stored = session.get(ModelState, state_id) if state_id is not None else None
    state = read_state(stored.blob) if stored is not None else None
    if state is None:
        return None
    model = WordModel(state)
    if model.n_papers_fit < model.min_fit_papers and (session.scalar(select(func.count(Paper.id))) or 0) > model.n_papers_fit:
        return None  # the full path fits a model on every paper first
    exact: list[int] = []
    lexical = candidates(session, query, limit=max(POOL, 10 * k), since=since, until=until,
                         sources=[source] if source else None, named_out=exact, stop_words=model.stop_words,
                         document_frequency=model.document_frequency)
    if not lexical:
        return []
    ids = [pid for pid, _ in lexical]
    texts = {pid: (title, abstract or "", tuple(authors or ())) for pid, title, abstract, authors in session.execute(
        select(Paper.id, Paper.title, Paper.abstract, Paper.authors).where(Paper.id.in_(ids)))}
    exact_ids = set(exact)
    named = [pid in exact_ids for pid in ids]
    scores = lexical_relevance([s for _, s in lexical], named, model.cosines(query, [texts[pid] for pid in ids]))
    chosen = order_results(scores, named, k)
    by_id = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_([ids[i] for i in chosen])))}
    return [Pick.found(by_id[ids[i]], scores[i], query, model.stop_words) for i in chosen]
