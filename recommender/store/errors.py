"""Errors of the store that a person can act on, and whole descriptions of database errors."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError


class StoreError(RuntimeError):
    """A store problem with a message meant for the person running paperbot."""


class ReadOnlyDatabaseError(StoreError):
    """The SQLite database file (or its folder) cannot be written.

    Parameters
    ----------
    path : str
        The database file.
    """

    def __init__(self, path: str):
        self.path = path
        super().__init__(
            f"the database {path} is read-only: make the file and its folder writable by this user "
            f"(chmod u+w), or point PAPERBOT_DATABASE_URL / --database-url at a writable database"
        )


class NewerSchemaError(StoreError):
    """The database was migrated by a newer paperbot: its schema revision is one this version does not know.

    Nothing is changed. Parameters: ``revision``, the database's; ``head``, the newest this version knows.
    """

    def __init__(self, revision: str, head: str):
        self.revision, self.head = revision, head
        super().__init__(
            f"the database was migrated by a newer paperbot (schema {revision}; this version knows up to {head}): "
            f"run the newer version, or roll the database back with that version first "
            f"(docs/running.md, 'Upgrading and rolling back')"
        )


def statement_kind(statement: str | None) -> str | None:
    """The first SQL keyword of ``statement`` in capitals (``"INSERT"``, ``"SELECT"``), or None."""
    if not statement:
        return None
    words = statement.lstrip(" \n\t(").split(None, 1)
    return words[0].upper() if words else None


def describe_db_error(exc: BaseException) -> str:
    """One readable line for a database error: its type, its whole message and the statement's kind.

    SQLAlchemy's own ``str()`` ends with a "Background on this error at: …" link
    and repeats the SQL; log lines that keep only the last line lose the cause.
    This keeps the driver's exception type and full message (newlines folded)
    and names the statement kind, never its parameters.

    Parameters
    ----------
    exc : BaseException
        Usually a :class:`sqlalchemy.exc.DBAPIError`; anything else is described by type and message.

    Returns
    -------
    str
        For example ``"OperationalError (psycopg.OperationalError): connection timeout expired (during INSERT)"``.
    """
    orig = getattr(exc, "orig", None) if isinstance(exc, StatementError) else None
    if orig is not None:
        driver = type(orig)
        message = str(orig)
        kind = f"{type(exc).__name__} ({driver.__module__}.{driver.__qualname__})"
    else:
        message = exc._message() if isinstance(exc, SQLAlchemyError) else str(exc)
        kind = type(exc).__name__
    message = " | ".join(line.strip() for line in message.strip().splitlines() if line.strip()) or "(no message)"
    during = statement_kind(getattr(exc, "statement", None)) if isinstance(exc, DBAPIError) else None
    return f"{kind}: {message}" + (f" (during {during})" if during else "")
