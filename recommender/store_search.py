"""Search over the store: candidates from the database's full-text index (and by meaning), re-ranked in memory.

1. Candidates: :func:`recommender.store.fulltext.candidates` (papers the query
   names exactly first; date and source filters in SQL; undated papers never pass
   a date filter) and, with stored embeddings, the papers closest in meaning to
   the query among all stored embeddings, kept when they pass the same filters (in SQL). When no paper shares
   a term with the query, they must reach :data:`~recommender.search.MIN_MEANING`: a query that shares no
   term with any paper and means nothing finds nothing.
2. Re-ranking: :func:`recommender.search.rerank` over the candidates' TF-IDF rows
   (:meth:`~recommender.text.current.CurrentVectors.few_rows`: from the process's
   matrix, or vectorised from their text before it is loaded) and embeddings,
   personalised when a member is given.
3. Only the ``k`` papers shown are read as whole rows, and each gets its reason: the words searched it lacks
   and, holding none, what the parts of its score say it is there for (:func:`recommender.reasons.search_lead`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from .lexical_search import POOL
from .pick import Pick
from .ranking import Ranker, Target, top_k_indices
from .reasons import profile_words, search_lead
from .search import MIN_MEANING, query_meaning, rerank
from .store import Paper
from .store.fulltext import candidates, filters, is_reference
from .text.current import CurrentVectors, latest_model_id
from .text.frozen import TextVectorizer

__all__ = ["POOL", "find"]

def _filtered(session: Session, paper_ids: list[int], since: dt.date | None, until: dt.date | None,
              source: str | None) -> set[int]:
    conditions = filters(since, until, [source] if source else None)
    if not conditions:
        return set(paper_ids)
    return set(session.scalars(select(Paper.id).where(Paper.id.in_(paper_ids), *conditions)))


def find(
    session: Session,
    vectors: CurrentVectors,
    make_ranker: Callable[[TextVectorizer], Ranker],
    query: str,
    k: int,
    *,
    target: Target | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    source: str | None = None,
) -> list[Pick]:
    """The ``k`` stored papers that best match ``query``, best first, with their scores and reasons.

    Parameters
    ----------
    session : Session
    vectors : CurrentVectors
        The process's TF-IDF model and embeddings.
    make_ranker : callable
        Builds the ranker (embedder, weights) around the current vectorizer.
    query : str
    k : int
    target : Target, optional
        The asker's profile inputs: re-rank for them.
    since, until : datetime.date, optional
        Publication day (UTC) bounds, inclusive; undated papers never pass.
    source : str, optional
        Keep papers first stored from this source kind.

    Returns
    -------
    list of Pick
        :meth:`Pick.found`, with the lead (:func:`~recommender.reasons.search_lead`) and closeness in meaning of
        the result's :class:`~recommender.search.Hit`.
    """
    if latest_model_id(session) is None and session.scalar(select(Paper.id).limit(1)) is None:
        return []  # an empty store: nothing to find (and no paper to fit a model on); a stored model says it is not
    pool = max(POOL, 10 * k)
    exact: list[int] = []
    vectorizer, _ = vectors.few_rows(session, [])
    lexical = candidates(session, query, limit=pool, since=since, until=until, sources=[source] if source else None,
                         named_out=exact, stop_words=vectorizer.stop_words,
                         document_frequency=vectorizer.document_frequency)
    ids = [pid for pid, _ in lexical]
    scores = {pid: s for pid, s in lexical}
    ranker = make_ranker(vectorizer)
    meaning = None
    emb = vectors.embedding_matrix(session)
    if (emb is not None and ranker.embedder is not None and ranker.semantic_weight > 0 and query.strip()
            and not is_reference(query)):  # a reference names its paper or none: nothing is close in meaning to "#6"
        matrix, mean = emb
        if len(matrix) and mean is not None:
            all_meaning = query_meaning(ranker, query, matrix.matrix, mean)
            close = top_k_indices(all_meaning, pool * (5 if since or until or source else 1))
            # a query sharing no term with any paper must mean something: else it finds nothing
            close_ids = [int(matrix.ids[i]) for i in close if ids or all_meaning[i] >= MIN_MEANING]
            kept = _filtered(session, close_ids, since, until, source)
            ids += [pid for pid in close_ids if pid in kept and pid not in scores][:pool]
            pos = matrix.positions(ids)
            meaning = np.where(pos >= 0, all_meaning[np.maximum(pos, 0)], 0.0)
    if not ids:
        return []
    current, rows = vectors.few_rows(session, ids)
    if current is not vectorizer:  # a refit was swapped in meanwhile: read the query with the rows' model
        ranker = make_ranker(current)
    embeddings = vectors.stored_embeddings(session, ids) if target is not None else None
    hits = rerank(ranker, query, rows, np.array([scores.get(pid, 0.0) for pid in ids]), k,
                  named=np.isin(np.asarray(ids), np.asarray(exact, dtype=np.int64)),
                  meaning=meaning, embeddings=embeddings, mean=emb[1] if emb is not None else None, target=target)
    by_id = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_([ids[h.index] for h in hits])))}
    profile = profile_words(target) if target is not None else None
    by_reference = set(exact) if is_reference(query) else set()  # "10.1038/…" names its paper: no words to miss
    return [Pick.found(by_id[ids[h.index]], h.score, "" if ids[h.index] in by_reference else query, current.stop_words,
                       lead=search_lead(h, profile), close=h.close)
            for h in hits]

