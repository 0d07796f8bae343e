"""SQL that differs between the two databases the store runs on (SQLite, PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["dialect_insert"]


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
