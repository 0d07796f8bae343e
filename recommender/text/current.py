"""The vectors a process ranks with: the current TF-IDF model and its rows, and the stored embeddings.

Each is loaded once per process into one :class:`~recommender.text.rows.PaperMatrix`
and then only extended: papers stored since (or missing for any reason) get their
TF-IDF rows computed, persisted and merged in; embeddings stored since are read.
Text is never re-vectorised at start.

A refit (:meth:`CurrentVectors.refit`, run by ``paperbot refit`` and the
service's refit job) fits the new vectorizer and vectorises every paper in its
own sessions without the lock requests take, stores the model and its rows in
one transaction, then swaps the new :class:`TfidfModel` in with one assignment;
requests keep the old one meanwhile. Requests fit synchronously only when there
is no usable model at all: none stored, one written in an older layout, or one
fitted on fewer than ``min_fit_papers`` papers (a few hundred papers fit in well
under a second, and IDF from a handful is noise).

A request that needs only a few hundred papers' rows (a search) before the
process holds the matrix (:meth:`CurrentVectors.few_rows`) vectorises those
papers' stored text with the stored vectorizer instead: reading 100,000 rows
costs more than vectorising a search's candidates, and a one-shot
``paperbot search`` never needs the rest. A long-running process loads the
matrix in the background at start (:meth:`CurrentVectors.load_in_background`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..store import ModelState, Paper, PaperEmbedding, Store
from ..store.errors import describe_db_error
from ..store.models import utcnow
from .embeddings import PaperEmbedder
from .frozen import FrozenTfidf, PaperText, StaleModelError
from .rows import PaperMatrix, load_tfidf_rows, save_tfidf_rows
from .vectors import embeddings_for

__all__ = ["CurrentVectors", "TfidfModel", "paper_texts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TfidfModel:
    """One fitted model version and the TF-IDF rows of the papers it has vectorised.

    Attributes
    ----------
    state_id : int
        ``model_state.id`` of the persisted vectorizer.
    vectorizer : FrozenTfidf
    n_features : int
        Columns of every row (computed once, not per call).
    rows : PaperMatrix
        CSR rows, shape (n_papers, n_features), float32, unit L2 norm.
    """

    state_id: int
    vectorizer: FrozenTfidf
    n_features: int
    rows: PaperMatrix


def paper_texts(session: Session, paper_ids: Sequence[int] | None = None) -> tuple[list[int], list[PaperText]]:
    """Ids (ascending) and vectorizer texts of ``paper_ids`` (every stored paper when None), read as plain columns."""
    stmt = select(Paper.id, Paper.title, Paper.abstract, Paper.authors).order_by(Paper.id)
    ids: list[int] = []
    texts: list[PaperText] = []
    chunks = [None] if paper_ids is None else [list(paper_ids)[lo : lo + 5000] for lo in range(0, len(paper_ids), 5000)]
    for chunk in chunks:
        query = stmt if chunk is None else stmt.where(Paper.id.in_(chunk))
        for pid, title, abstract, authors in session.execute(query):
            ids.append(int(pid))
            texts.append(PaperText(title, abstract or "", tuple(authors or ())))
    return ids, texts


def _fit(session: Session) -> TfidfModel:
    """Fit on every stored paper, persist the model and all rows in ``session``'s transaction."""
    from .tfidf import PaperVectorizer  # scikit-learn: imported only by a process that fits

    ids, texts = paper_texts(session)
    vectorizer = PaperVectorizer().fit(texts).frozen()
    rows = vectorizer.transform(texts)
    state = ModelState(n_papers=len(ids), blob=vectorizer.to_bytes(), fitted_at=utcnow())
    session.add(state)
    session.flush()
    session.info[_LATEST] = state.id
    save_tfidf_rows(session, state.id, ids, rows)
    return TfidfModel(state.id, vectorizer, vectorizer.n_features_, PaperMatrix.of(ids, rows))


def latest_model_id(session: Session) -> int | None:
    """``model_state.id`` of the newest stored model (None: none), read once per session.

    A session is one transaction here (:meth:`recommender.store.db.Store.session`):
    a refit committed meanwhile is seen by the next one, as it would be at the
    next request. A day's digest reads the model's id once per target, not once
    per row lookup.
    """
    if _LATEST not in session.info:
        session.info[_LATEST] = session.scalar(select(func.max(ModelState.id)))
    return session.info[_LATEST]


_LATEST = "paperbot.latest_model_id"
REFIT_AGE = dt.timedelta(days=7)
"""A model this old is refitted once the store grew by :data:`REFIT_AGE_GROWTH` (a refit of 100,000 papers takes
minutes of one core, beside requests; growing by half, the other rule, would take months there)."""
REFIT_AGE_GROWTH = 0.01


class CurrentVectors:
    """The process's TF-IDF model and embedding matrix, shared by every thread.

    Parameters
    ----------
    embedder : PaperEmbedder, optional
        Whose stored vectors :meth:`embeddings` serves; None: no embeddings.

    Notes
    -----
    Readers take the current :class:`TfidfModel` (an immutable value) and use it
    for the whole request; a swap or an extension replaces the reference under a
    short lock and never mutates a model in use.
    """

    def __init__(self, embedder: PaperEmbedder | None = None):
        self.embedder = embedder
        self._swap = threading.Lock()  # held only to replace a reference
        self._refitting = threading.Lock()  # one refit at a time in this process
        self._model: TfidfModel | None = None
        self._emb: PaperMatrix | None = None
        self._emb_mean: np.ndarray | None = None
        self._emb_last_row = 0
        self._vectorizer: tuple[int, FrozenTfidf] | None = None  # (model_state.id, vectorizer) read without rows
        self._loader: threading.Thread | None = None

    # -- TF-IDF ---------------------------------------------------------------
    def _install(self, model: TfidfModel) -> TfidfModel:
        with self._swap:
            current = self._model
            if current is None or model.state_id > current.state_id or (
                    model.state_id == current.state_id and len(model.rows) >= len(current.rows)):
                self._model = model
                return model
            return current

    def _read_vectorizer(self, session: Session, state_id: int | None) -> FrozenTfidf | None:
        """The vectorizer of ``model_state`` ``state_id``: kept once read (its bytes are read once per model);
        None when there is none or it was written by an older layout."""
        cached = self._vectorizer
        if cached is not None and cached[0] == state_id:
            return cached[1]
        state = session.get(ModelState, state_id) if state_id is not None else None
        if state is None:
            return None
        try:
            vectorizer = FrozenTfidf.from_bytes(state.blob)
        except StaleModelError:
            return None  # written by an older layout
        self._vectorizer = (state.id, vectorizer)
        return vectorizer

    def _load(self, session: Session, state_id: int) -> TfidfModel | None:
        vectorizer = self._read_vectorizer(session, state_id)
        if vectorizer is None:
            return None
        n_features = vectorizer.n_features_
        return TfidfModel(state_id, vectorizer, n_features, load_tfidf_rows(session, state_id, n_features))

    def model(self, session: Session) -> TfidfModel:
        """The current model, holding a row for every stored paper.

        Loads the newest stored model when this process holds an older one (or
        none). Fits synchronously only when no usable model exists. Rows of
        papers stored since are added when asked for (:meth:`rows`).
        """
        latest_id = latest_model_id(session)
        model = self._model
        if latest_id is not None and (model is None or latest_id > model.state_id):
            loaded = self._load(session, latest_id)
            model = self._install(loaded) if loaded is not None else None
        if model is None or self._too_small(session, model.vectorizer):
            model = self._install(_fit(session))
        return model

    @property
    def rows_loaded(self) -> bool:
        """Whether this process holds a model's rows as one matrix (False until a request or the warm-up loads them)."""
        return self._model is not None

    def few_rows(self, session: Session, paper_ids: Sequence[int]) -> tuple[FrozenTfidf, sp.csr_matrix]:
        """The current vectorizer and the TF-IDF rows of ``paper_ids``, shape (len(paper_ids), n_features).

        From the process's matrix when it holds the newest model; else the papers'
        stored text vectorised with the newest stored vectorizer, without reading
        every row (a few hundred papers take milliseconds; the same vectorizer on
        the same text gives the stored row). Fits only when no usable model exists.
        """
        latest_id = latest_model_id(session)
        model = self._model
        if model is None or (latest_id is not None and latest_id > model.state_id):
            vectorizer = self._read_vectorizer(session, latest_id)
            if vectorizer is not None and not self._too_small(session, vectorizer):
                ids, texts = paper_texts(session, paper_ids)
                rows = vectorizer.transform(texts) if texts else sp.csr_matrix((0, vectorizer.n_features_), dtype=np.float32)
                return vectorizer, PaperMatrix.of(ids, rows).take(paper_ids) if len(paper_ids) else rows
        model, rows = self.rows(session, paper_ids)
        return model.vectorizer, rows

    def load_in_background(self, store: Store) -> threading.Thread:
        """Load the newest model's rows (and the stored embeddings) in a daemon thread, once per process.

        A long-running process calls this at start, so its first requests that
        need the whole matrix (picks, digests) do not wait for it. A failure is
        logged as a warning: the next request loads the matrix itself.
        """
        with self._swap:
            if self._loader is None:
                self._loader = threading.Thread(target=self._load_all, args=(store,), name="paperbot-vectors", daemon=True)
                self._loader.start()
            return self._loader

    def _load_all(self, store: Store) -> None:
        try:
            with store.session() as session:
                self.model(session)
                self.embedding_matrix(session)
        except Exception as exc:  # noqa: BLE001 - a warm-up only; requests load what they need themselves
            log.warning("could not load the TF-IDF rows in the background", extra={"error": describe_db_error(exc)})

    def _too_small(self, session: Session, vectorizer: FrozenTfidf) -> bool:
        if vectorizer.n_papers_fit_ >= vectorizer.min_fit_papers:
            return False
        return vectorizer.needs_refit(session.scalar(select(func.count(Paper.id))) or 0)

    def extend(self, session: Session, model: TfidfModel, paper_ids: Sequence[int]) -> TfidfModel:
        """``model`` with rows for ``paper_ids`` too: the missing ones vectorised, stored in ``session``, merged in."""
        todo = model.rows.missing(paper_ids) if len(paper_ids) else []
        if not todo:
            return model
        ids, texts = paper_texts(session, todo)
        if not ids:
            return model
        rows = model.vectorizer.transform(texts)
        save_tfidf_rows(session, model.state_id, ids, rows)
        return self._install(replace(model, rows=model.rows.merged(ids, rows)))

    def store_missing(self, session: Session, paper_ids: Sequence[int], max_missing: int | None = None) -> int:
        """Compute the TF-IDF rows and embeddings ``paper_ids`` lack, then store them in ``session``; returns how many rows.

        Everything is computed before the first write: on SQLite a transaction holds the database's
        write lock from its first INSERT to its end, so other writers wait only for the INSERTs. More than
        ``max_missing`` papers lacking a sentence vector are not embedded here (a backfill: the ingest job's).
        """
        model = self.model(session)
        todo = model.rows.missing(paper_ids) if len(paper_ids) else []
        ids, texts = paper_texts(session, todo) if todo else ([], [])
        rows = model.vectorizer.transform(texts) if ids else None
        if self.embedder is not None and len(paper_ids):
            lacking = self.lacking_vectors(session, paper_ids)
            if lacking and max_missing is not None and len(lacking) > max_missing:
                log.info("too many papers lack a sentence vector to embed before ranking: left to the ingest job",
                         extra={"papers": len(lacking), "at_most": max_missing})
            elif lacking:  # encoded first, then written: the first write
                log.info("embedding papers before ranking", extra={"papers": len(lacking), "model": self.embedder.name})
                embeddings_for(session, session.scalars(select(Paper).where(Paper.id.in_(lacking))).all(), self.embedder)
        if ids and rows is not None:
            save_tfidf_rows(session, model.state_id, ids, rows)
            self._install(replace(model, rows=model.rows.merged(ids, rows)))
        return len(ids)

    def rows(self, session: Session, paper_ids: Sequence[int],
             model: TfidfModel | None = None) -> tuple[TfidfModel, sp.csr_matrix]:
        """The model (``model``, else the current one) and the TF-IDF rows of ``paper_ids``, shape (len(paper_ids), n_features).

        Papers without a row yet (stored since the model was loaded) are vectorised now and their rows stored.
        """
        model = self.extend(session, model or self.model(session), paper_ids)
        if not len(paper_ids):
            return model, sp.csr_matrix((0, model.n_features), dtype=np.float32)
        return model, model.rows.take(paper_ids)

    def needs_refit(self, session: Session, now: dt.datetime | None = None) -> bool:
        """Whether the stored model should be refitted (also when there is none).

        When its refit policy asks (:meth:`FrozenTfidf.needs_refit`: the store grew by half), or when it was
        fitted :data:`REFIT_AGE` ago or more and the store grew by :data:`REFIT_AGE_GROWTH` since: words
        that new papers bring ("Mamba", "reward models") then count, and are named in reasons, within a
        week, in a store of 100,000 papers too. ``now``: aware UTC time, default now.
        """
        state_id = latest_model_id(session)
        vectorizer = self._read_vectorizer(session, state_id)
        if vectorizer is None:
            return True
        n_now = session.scalar(select(func.count(Paper.id))) or 0
        if vectorizer.needs_refit(n_now):
            return True
        fitted_at = session.scalar(select(ModelState.fitted_at).where(ModelState.id == state_id))
        return (fitted_at is not None and (now or utcnow()) - fitted_at >= REFIT_AGE
                and n_now >= vectorizer.n_papers_fit_ * (1.0 + REFIT_AGE_GROWTH) and n_now > vectorizer.n_papers_fit_)

    def refit(self, store: Store) -> TfidfModel:
        """Fit a new model on every stored paper, persist it with its rows, then swap it in.

        Runs in its own transaction, without blocking requests, which use the
        previous model until the swap. Papers stored during the fit are
        vectorised by the next request.

        Raises
        ------
        ValueError
            If the store holds no paper with a usable word.
        """
        with self._refitting:
            with store.session() as session:
                model = _fit(session)
            log.info("refitted TF-IDF model %d on %d papers", model.state_id, len(model.rows))
            return self._install(model)

    # -- embeddings -------------------------------------------------------------
    def _read_embeddings(self, session: Session) -> PaperMatrix:
        embedder = self.embedder
        assert embedder is not None
        rows = session.execute(
            select(PaperEmbedding.id, PaperEmbedding.paper_id, PaperEmbedding.vector)
            .where(PaperEmbedding.id > self._emb_last_row, PaperEmbedding.model == embedder.name,
                   PaperEmbedding.model_version == embedder.version)
            .order_by(PaperEmbedding.id)
        ).all()
        current = self._emb if self._emb is not None else PaperMatrix.empty(embedder.dim, dense=True)
        if not rows:
            return current
        vectors = np.frombuffer(b"".join(r[2] for r in rows), dtype="<f4").reshape(len(rows), embedder.dim)
        merged = current.merged([r[1] for r in rows], vectors)
        with self._swap:
            self._emb, self._emb_last_row = merged, max(self._emb_last_row, int(rows[-1][0]))
            self._emb_mean = merged.matrix.mean(axis=0) if len(merged) else None
        return merged

    def lacking_vectors(self, session: Session, paper_ids: Sequence[int]) -> list[int]:
        """The ids of ``paper_ids`` with no stored embedding of the embedder's version, each once, ascending ([] without one)."""
        if self.embedder is None or not len(paper_ids):
            return []
        pos = self._read_embeddings(session).positions(np.asarray(paper_ids, dtype=np.int64))
        return sorted({int(pid) for pid, at in zip(paper_ids, pos.tolist(), strict=True) if at < 0})

    def embedding_matrix(self, session: Session) -> tuple[PaperMatrix, np.ndarray | None] | None:
        """Every stored embedding of the embedder's version, shape (n, dim), and their mean; None without an embedder."""
        if self.embedder is None:
            return None
        matrix = self._read_embeddings(session)
        return matrix, self._emb_mean

    def stored_embeddings(self, session: Session, paper_ids: Sequence[int]) -> np.ndarray | None:
        """Stored embeddings of ``paper_ids``, shape (len(paper_ids), dim) float32, zero rows where none is stored;
        None without an embedder."""
        if self.embedder is None:
            return None
        matrix = self._read_embeddings(session)
        pos = matrix.positions(np.asarray(paper_ids, dtype=np.int64))
        out = np.zeros((len(pos), self.embedder.dim), dtype=np.float32)
        have = pos >= 0
        if have.any():
            out[have] = matrix.matrix[pos[have]]
        return out

    def embeddings(self, session: Session, paper_ids: Sequence[int]) -> np.ndarray | None:
        """Embeddings of ``paper_ids``, shape (len(paper_ids), dim) float32; None without an embedder.

        Vectors not stored yet are computed and stored in ``session``
        (:func:`~recommender.text.vectors.embeddings_for`).
        """
        out = self.stored_embeddings(session, paper_ids)
        if out is None or self.embedder is None:
            return None
        missing = np.flatnonzero(~out.any(axis=1))
        if missing.size:
            wanted = sorted({paper_ids[i] for i in missing.tolist()})
            papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(wanted)))}
            todo = [papers[paper_ids[i]] for i in missing.tolist() if paper_ids[i] in papers]
            if todo:
                fresh = embeddings_for(session, todo, self.embedder)
                by_id = {p.id: v for p, v in zip(todo, fresh, strict=True)}
                for i in missing.tolist():
                    if paper_ids[i] in by_id:
                        out[i] = by_id[paper_ids[i]]
        return out
