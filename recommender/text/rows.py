"""Stored papers' vectors as one matrix with an id-to-row index, and the TF-IDF rows persisted per model.

A :class:`PaperMatrix` is what a process keeps in memory: one sparse (TF-IDF) or
dense (embedding) matrix whose row ``i`` belongs to paper ``ids[i]``, with ``ids``
sorted so that a set of paper ids maps to rows by one binary search
(``numpy.searchsorted``), never by one-row matrices stacked together.

TF-IDF rows are persisted in the ``tfidf_rows`` table (:class:`~recommender.store.TfidfRows`)
as batches of up to :data:`BATCH_ROWS` papers, each batch the arrays of a CSR
matrix, so loading a model's 100,000 rows takes a few dozen reads and one
``numpy.frombuffer`` per array (one database row per paper took several times
longer on both backends: ``benchmarks/README.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import TfidfRows
from ..store.models import utcnow

__all__ = ["BATCH_ROWS", "PaperMatrix", "load_tfidf_rows", "save_tfidf_rows"]

BATCH_ROWS = 5000
"""Papers per stored batch of TF-IDF rows."""


@dataclass(frozen=True)
class PaperMatrix:
    """Vectors of stored papers: ``matrix[i]`` is paper ``ids[i]``; ``ids`` ascending, distinct.

    Immutable: :meth:`merged` returns a new one, so a reader holding it is never
    disturbed by a writer.

    Attributes
    ----------
    ids : ndarray of int64, shape (n,)
    matrix : csr_matrix (float32) or ndarray (float32), shape (n, n_columns)
    """

    ids: np.ndarray
    matrix: sp.csr_matrix | np.ndarray

    @classmethod
    def empty(cls, n_columns: int, *, dense: bool = False) -> PaperMatrix:
        """No paper, ``n_columns`` columns."""
        matrix = np.zeros((0, n_columns), dtype=np.float32) if dense else sp.csr_matrix((0, n_columns), dtype=np.float32)
        return cls(np.zeros(0, dtype=np.int64), matrix)

    @classmethod
    def of(cls, ids: Sequence[int] | np.ndarray, matrix: sp.csr_matrix | np.ndarray) -> PaperMatrix:
        """Rows in any order, a paper possibly listed twice (its last row wins), sorted by id."""
        ids = np.asarray(ids, dtype=np.int64)
        # last occurrence of each id: unique over the reversed array
        uniq, first_in_reversed = np.unique(ids[::-1], return_index=True)
        keep = len(ids) - 1 - first_in_reversed
        return cls(uniq, matrix[keep])

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def max_id(self) -> int:
        """Highest paper id held, 0 when empty."""
        return int(self.ids[-1]) if self.ids.size else 0

    def positions(self, paper_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Row of each of ``paper_ids``, shape (len(paper_ids),) int64; -1 where the paper is not held."""
        wanted = np.asarray(paper_ids, dtype=np.int64)
        if not self.ids.size:
            return np.full(wanted.shape, -1, dtype=np.int64)
        pos = np.searchsorted(self.ids, wanted)
        pos = np.minimum(pos, self.ids.size - 1)
        return np.where(self.ids[pos] == wanted, pos, -1)

    def missing(self, paper_ids: Sequence[int] | np.ndarray) -> list[int]:
        """Those of ``paper_ids`` not held, distinct, ascending."""
        wanted = np.asarray(paper_ids, dtype=np.int64)
        return sorted(set(wanted[self.positions(wanted) < 0].tolist()))

    def take(self, paper_ids: Sequence[int] | np.ndarray) -> sp.csr_matrix | np.ndarray:
        """Rows of ``paper_ids`` in that order, shape (len(paper_ids), n_columns).

        Raises
        ------
        KeyError
            If a paper is not held (call :meth:`missing` first).
        """
        pos = self.positions(paper_ids)
        if (pos < 0).any():
            raise KeyError(f"papers without a row: {np.asarray(paper_ids)[pos < 0][:5].tolist()}")
        return self.matrix[pos]

    def merged(self, ids: Sequence[int] | np.ndarray, matrix: sp.csr_matrix | np.ndarray) -> PaperMatrix:
        """A new matrix holding these rows too (they replace the rows of the same papers)."""
        if len(ids) == 0:
            return self
        if isinstance(self.matrix, np.ndarray):
            both = np.vstack([self.matrix, np.asarray(matrix, dtype=np.float32)])
        else:
            both = sp.vstack([self.matrix, sp.csr_matrix(matrix, dtype=np.float32)], format="csr")
        return PaperMatrix.of(np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)]), both)


def save_tfidf_rows(session: Session, model_state_id: int, paper_ids: Sequence[int], rows: sp.csr_matrix) -> None:
    """Add the TF-IDF rows of ``paper_ids`` under model ``model_state_id`` to ``session`` (flushed, not committed).

    Parameters
    ----------
    session : Session
    model_state_id : int
        ``model_state.id`` of the vectorizer that made ``rows``.
    paper_ids : sequence of int, length n
    rows : csr_matrix, shape (n, n_features)
    """
    rows = sp.csr_matrix(rows, dtype=np.float32)
    now = utcnow()
    for lo in range(0, len(paper_ids), BATCH_ROWS):
        part = rows[lo : lo + BATCH_ROWS]
        part.sort_indices()
        session.add(TfidfRows(
            model_state_id=model_state_id, n_rows=part.shape[0],
            paper_ids=np.asarray(paper_ids[lo : lo + BATCH_ROWS], dtype="<i8").tobytes(),
            indptr=part.indptr.astype("<i8").tobytes(), indices=part.indices.astype("<i4").tobytes(),
            data=part.data.astype("<f4").tobytes(), created_at=now,
        ))
    session.flush()


def load_tfidf_rows(session: Session, model_state_id: int, n_features: int) -> PaperMatrix:
    """Every stored TF-IDF row of model ``model_state_id`` as one :class:`PaperMatrix` (CSR, float32).

    Batches are read in the order they were written; a paper stored twice takes its later row.
    """
    batches = session.execute(
        select(TfidfRows.paper_ids, TfidfRows.indptr, TfidfRows.indices, TfidfRows.data)
        .where(TfidfRows.model_state_id == model_state_id).order_by(TfidfRows.id)
    ).all()
    if not batches:
        return PaperMatrix.empty(n_features)
    ids, indptrs, indices, data = [], [], [], []
    offset = 0
    for b_ids, b_indptr, b_indices, b_data in batches:
        ptr = np.frombuffer(b_indptr, dtype="<i8")
        ids.append(np.frombuffer(b_ids, dtype="<i8"))
        indptrs.append(ptr[:-1] + offset)
        offset += int(ptr[-1])
        indices.append(np.frombuffer(b_indices, dtype="<i4"))
        data.append(np.frombuffer(b_data, dtype="<f4"))
    indptr = np.concatenate([*indptrs, np.array([offset], dtype=np.int64)])
    all_ids = np.concatenate(ids)
    matrix = sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr),
                           shape=(all_ids.size, n_features), dtype=np.float32)
    if all_ids.size > 1 and np.all(all_ids[1:] > all_ids[:-1]):
        return PaperMatrix(all_ids.astype(np.int64), matrix)
    return PaperMatrix.of(all_ids, matrix)
