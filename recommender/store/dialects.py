"""SQL that differs between the two databases the store runs on (SQLite, PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["DOI_KEY_INDEX", "PAPER_WRITES_LOCK_KEY", "dialect_insert", "doi_key_sql", "lock_paper_writes"]

PAPER_WRITES_LOCK_KEY = 0x7061706572737772  # "paperswr" in ASCII: the PostgreSQL advisory lock of paper writes


def dialect_insert(session: Session, table):
    """``INSERT`` for ``table`` in the session's dialect, so ``ON CONFLICT`` can be added.

    Raises
    ------
    NotImplementedError
        For a database other than SQLite or PostgreSQL.
    """
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")


def lock_paper_writes(session: Session) -> None:
    """Wait for, then hold until the transaction ends, the right to decide which papers are new.

    PostgreSQL: the transaction-level advisory lock ``pg_advisory_xact_lock`` (key
    :data:`PAPER_WRITES_LOCK_KEY`), taken before the lookups that decide insert or update, so two
    ingests never both find a paper missing and store it twice (one by title, one by arXiv id: no
    unique index can tell those rows are one paper). Released at commit or rollback. SQLite: nothing
    to do, a writing transaction (``BEGIN IMMEDIATE``) already holds the database's one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PAPER_WRITES_LOCK_KEY})


#: The expression index on a paper's DOI with its ASCII letters lowercased (migration 0020), which
#: :func:`doi_key_sql` reads.
DOI_KEY_INDEX = "ix_papers_doi_key"


def doi_key_sql(session: Session) -> ColumnElement[str]:
    """``papers.doi`` with its ASCII letters lowercased and no other, as SQL the :data:`DOI_KEY_INDEX` serves; it
    equals :func:`recommender.sources.records.doi_key` of the stored DOI on both databases.

    SQLite's ``lower()`` lowers ASCII letters only; PostgreSQL's lowers others too in the database's locale
    (``Ä`` in ``C.UTF-8``), but only ASCII ones in the ``"C"`` collation.
    """
    from recommender.store.models import Paper

    if session.get_bind().dialect.name == "postgresql":
        return func.lower(Paper.doi.collate("C"))
    return func.lower(Paper.doi)
