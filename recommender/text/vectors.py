"""Sentence embeddings persisted with the papers: one row per paper and model version.

Computed at ingest (:func:`embed_missing`, in batches, each batch one
transaction, so an interrupted backfill resumes where it stopped) and read
back by the ranker (:func:`load_embeddings`).  Rows of another model version
are ignored, never mixed with the current one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from ..store import Paper, PaperEmbedding, Store
from ..store.dialects import dialect_insert
from ..store.models import utcnow
from .embeddings import PaperEmbedder, embedding_text

__all__ = ["count_missing", "embed_missing", "embeddings_for", "forget_changed_embeddings", "forget_embeddings",
           "load_embeddings"]

#: Ids per ``IN (...)`` (below the databases' bound-parameter limits).
_CHUNK = 5000


def _missing_query(embedder: PaperEmbedder):
    have = and_(PaperEmbedding.paper_id == Paper.id, PaperEmbedding.model == embedder.name,
                PaperEmbedding.model_version == embedder.version)
    return select(Paper.id).outerjoin(PaperEmbedding, have).where(PaperEmbedding.id.is_(None))


def count_missing(session: Session, embedder: PaperEmbedder) -> int:
    """Papers without an embedding of ``embedder``'s model version."""
    return session.scalar(select(func.count()).select_from(_missing_query(embedder).subquery())) or 0


def _store_rows(session: Session, papers: Sequence[Paper], texts: Sequence[str], vectors: np.ndarray,
                embedder: PaperEmbedder) -> None:
    """Insert the vectors of ``papers`` encoded from ``texts``, shape (len(papers), dim), where both still hold.

    ``ON CONFLICT DO NOTHING`` on (paper, model, model version): the scheduler's ingest job and a ranking
    (or ``paperbot ingest`` and a running scheduler) may embed the same new paper at once, and the row
    stored first is kept. A paper whose text changed while it was encoded (an arXiv lookup found its
    abstract, and forgot its vector, meanwhile) keeps no vector: it is read again after the insert, under
    the write lock on SQLite and a share lock on its row on PostgreSQL, so the change either shows here
    or comes after this commit and forgets the row then. A row another transaction is changing is not
    waited for (``SKIP LOCKED``: no deadlock with an ingest updating papers in another order): its
    vector is dropped too, and the next pass embeds its text.
    """
    if not len(papers):
        return
    now = utcnow()
    rows = [{"paper_id": p.id, "model": embedder.name, "model_version": embedder.version, "dim": embedder.dim,
             "vector": v.astype("<f4").tobytes(), "created_at": now} for p, v in zip(papers, vectors, strict=True)]
    stmt = dialect_insert(session, PaperEmbedding.__table__).on_conflict_do_nothing(
        index_elements=["paper_id", "model", "model_version"])
    session.execute(stmt, rows)
    changed = _text_changed(session, {p.id: t for p, t in zip(papers, texts, strict=True)}, lock=True)
    if changed:
        forget_embeddings(session, *changed)


def _text_changed(session: Session, texts: Mapping[int, str], *, lock: bool = False) -> list[int]:
    """The ids of ``texts`` (paper id -> :func:`embedding_text` as read earlier) whose paper's text now differs.

    A paper deleted meanwhile counts as changed; with ``lock`` (a share lock, ``SKIP LOCKED``), so does a
    paper another transaction is changing right now.
    """
    ids = sorted(texts)
    unchanged: set[int] = set()
    for lo in range(0, len(ids), _CHUNK):
        query = select(Paper.id, Paper.title, Paper.abstract).where(Paper.id.in_(ids[lo:lo + _CHUNK]))
        if lock:
            query = query.with_for_update(read=True, skip_locked=True)
        unchanged.update(pid for pid, title, abstract in session.execute(query)
                         if embedding_text(title, abstract) == texts[pid])
    return [pid for pid in ids if pid not in unchanged]


def embed_missing(store: Store, embedder: PaperEmbedder, *, batch_size: int = 256,
                  progress: Callable[[int, int], None] | None = None, stop: threading.Event | None = None,
                  paper_ids: Collection[int] | None = None, limit: int | None = None) -> int:
    """Embed every stored paper that has no vector of this model version yet (lowest ids first).

    Parameters
    ----------
    store : Store
    embedder : PaperEmbedder
    batch_size : int, default 256
        Papers per transaction.
    paper_ids : collection of int, optional
        Only these papers (those of a library import), not every stored one.
    limit : int, optional
        At most this many papers; the others are left to the next call.
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch (papers).
    stop : threading.Event, optional
        Once set, no further batch starts (a shutdown); the papers left are embedded by the next call.

    Returns
    -------
    int
        Papers embedded.
    """
    with store.session() as session:
        if paper_ids is None:
            todo = list(session.scalars(_missing_query(embedder).order_by(Paper.id).limit(limit)).all())
        else:
            wanted = sorted(set(paper_ids))
            todo = sorted(pid for lo in range(0, len(wanted), _CHUNK) for pid in session.scalars(
                _missing_query(embedder).where(Paper.id.in_(wanted[lo:lo + _CHUNK]))))[:limit]
    done = 0
    for lo in range(0, len(todo), batch_size):
        if stop is not None and stop.is_set():
            break
        ids = todo[lo : lo + batch_size]
        with store.session() as session:
            papers = session.scalars(select(Paper).where(Paper.id.in_(ids)).order_by(Paper.id)).all()
            texts = [embedding_text(p.title, p.abstract) for p in papers]
            _store_rows(session, papers, texts, embedder.encode(texts), embedder)
        done += len(ids)
        if progress is not None:
            progress(done, len(todo))
    return done


def load_embeddings(session: Session, paper_ids: Sequence[int], embedder: PaperEmbedder) -> np.ndarray:
    """Stored vectors of ``paper_ids``, shape (len(paper_ids), dim), float32; zero rows where none is stored."""
    out = np.zeros((len(paper_ids), embedder.dim), dtype=np.float32)
    if not paper_ids:
        return out
    row_of = {pid: i for i, pid in enumerate(paper_ids)}
    wanted = list(row_of)
    for lo in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(PaperEmbedding.paper_id, PaperEmbedding.vector).where(
                PaperEmbedding.paper_id.in_(wanted[lo : lo + _CHUNK]),
                PaperEmbedding.model == embedder.name, PaperEmbedding.model_version == embedder.version)
        ).all()
        for pid, blob in rows:
            out[row_of[pid]] = np.frombuffer(blob, dtype="<f4")
    return out


def embeddings_for(session: Session, papers: Sequence[Paper], embedder: PaperEmbedder) -> np.ndarray:
    """Vectors of ``papers``, shape (len(papers), dim): stored ones read, missing ones computed and added to ``session``.

    The new rows are written in the caller's transaction (not committed).
    """
    vectors = load_embeddings(session, [p.id for p in papers], embedder)
    missing = np.flatnonzero(~vectors.any(axis=1))
    if missing.size:
        todo = list({papers[i].id: papers[i] for i in missing.tolist()}.values())  # a paper listed twice is stored once
        texts = [embedding_text(p.title, p.abstract) for p in todo]
        fresh = embedder.encode(texts)
        by_id = {p.id: v for p, v in zip(todo, fresh, strict=True)}
        for i in missing.tolist():
            vectors[i] = by_id[papers[i].id]
        _store_rows(session, todo, texts, fresh, embedder)
    return vectors


def forget_embeddings(session: Session, *paper_ids: int) -> None:
    """Drop the stored vectors of papers whose text changed; the next :func:`embed_missing` recomputes them."""
    for lo in range(0, len(paper_ids), _CHUNK):
        session.execute(delete(PaperEmbedding).where(PaperEmbedding.paper_id.in_(paper_ids[lo:lo + _CHUNK])))


def forget_changed_embeddings(session: Session, before: Mapping[int, str]) -> list[int]:
    """Drop the stored vectors of the papers a merge changed the text of; returns their ids, ascending.

    A merge (:func:`recommender.merge.merge_record`) may set a paper's date, link or DOI, which the
    encoder never reads: those papers keep their vectors. Only a changed title or abstract makes one stale.

    Parameters
    ----------
    session : Session
        The transaction the merges were made in; it is flushed here (a merged abstract is a SQL
        ``CASE`` until then), and the vectors are deleted in it.
    before : mapping of int to str
        Paper id -> :func:`embedding_text` of its title and abstract as they were before the merge.
    """
    if not before:
        return []
    session.flush()
    changed = _text_changed(session, before)
    if changed:
        forget_embeddings(session, *changed)
    return changed
