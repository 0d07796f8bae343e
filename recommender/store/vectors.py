"""What the text models keep in the store: the fitted TF-IDF vectorizer, its rows, and sentence embeddings.

Read and written by :mod:`recommender.text` (``current.py``, ``rows.py``,
``vectors.py``); the tables are made by migrations 0001, 0007 and 0011.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recommender.store.models import Base, UTCDateTime, utcnow


class ModelState(Base):
    """A fitted TF-IDF vectorizer, persisted with the database it was fitted on."""

    __tablename__ = "model_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    n_papers: Mapped[int] = mapped_column(Integer)
    blob: Mapped[bytes] = mapped_column(LargeBinary)


class PaperEmbedding(Base):
    """A paper's sentence embedding, computed once at ingest (:mod:`recommender.text.vectors`).

    One row per paper and model version: ``model`` names the encoder
    (``all-MiniLM-L6-v2``), ``model_version`` its package version, precision and
    input length; vectors of different versions are never mixed.  ``vector`` is
    ``dim`` little-endian float32 values (unit length).  ``created_at`` is UTC.
    """

    __tablename__ = "paper_embeddings"
    __table_args__ = (UniqueConstraint("paper_id", "model", "model_version", name="uq_paper_embedding"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TfidfRows(Base):
    """A batch of stored papers' TF-IDF rows under one fitted model (:mod:`recommender.text.rows`).

    One row holds up to a few thousand papers as the arrays of a CSR matrix, so a
    process loads a model's whole matrix in a few reads: ``paper_ids`` (``n_rows``
    little-endian int64), ``indptr`` (``n_rows + 1`` int64), ``indices`` (int32)
    and ``data`` (float32). A paper appearing in two batches of one model takes its
    row from the later batch. ``created_at`` is UTC.
    """

    __tablename__ = "tfidf_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_state_id: Mapped[int] = mapped_column(ForeignKey("model_state.id", ondelete="CASCADE"), index=True)
    n_rows: Mapped[int] = mapped_column(Integer)
    paper_ids: Mapped[bytes] = mapped_column(LargeBinary)
    indptr: Mapped[bytes] = mapped_column(LargeBinary)
    indices: Mapped[bytes] = mapped_column(LargeBinary)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
