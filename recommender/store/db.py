"""Engine, sessions, schema upgrades and the schema lock of the paper store.

SQLite by default, PostgreSQL (or any SQLAlchemy URL) for teams: the same code.
The schema is created and upgraded by Alembic, never by ``create_all``; several
processes opening the same empty database take turns (see :func:`schema_lock`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, before_sleep_log, retry_if_exception, stop_after_delay, wait_random

from recommender.store.errors import NewerSchemaError, ReadOnlyDatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD_REVISION = "0022"
"""The newest migration's revision: a store already there opens without importing Alembic (and through it
Mako and Pygments) on every command. A new migration updates it (``tests/test_migrations.py`` checks it against Alembic's head)."""
DEFAULT_CONNECT_TIMEOUT = 10
"""Seconds to wait for a database server to accept a connection (PostgreSQL's ``connect_timeout``)."""
SQLITE_BUSY_TIMEOUT = 30
"""Seconds a SQLite connection waits for another process's write lock before failing."""
SCHEMA_LOCK_KEY = 0x7061706572626F74  # "paperbot" in ASCII: the PostgreSQL advisory lock of schema changes
_BEGIN_OPTION = "paperbot_sqlite_begin"
log = logging.getLogger(__name__)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite:///x.db``, ``sqlite:///file:x.db?uri=true``); None for other URLs and ``:memory:``."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    name = parsed.database
    if parsed.query.get("uri") and name.startswith("file:"):
        name = name.removeprefix("file:").split("?", 1)[0]
    return Path(name)


def make_engine(url: str, *, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT, pool_size: int | None = None) -> Engine:
    """Create an engine for ``url``.

    Parameters
    ----------
    url : str
        SQLAlchemy URL.
    connect_timeout : int
        Seconds a new PostgreSQL connection may take before it fails (libpq's ``connect_timeout``);
        without it a server that accepts the TCP connection and never answers hangs the caller
        for minutes. SQLite files open at once and wait :data:`SQLITE_BUSY_TIMEOUT` for locks.
    pool_size : int, optional
        Connections the pool keeps (SQLAlchemy's default, 5, when None; ignored for an in-memory SQLite
        database, which has one). A process posting digests from many threads needs a few per thread.

    Raises
    ------
    sqlalchemy.exc.ArgumentError
        For a URL SQLAlchemy cannot read, and for ``postgres://``, which it has no dialect for: the message
        gives the spelling to use.

    Notes
    -----
    For SQLite the file's folder is created and foreign keys are enforced. A
    file database is switched to write-ahead logging with ``synchronous=NORMAL``
    (https://www.sqlite.org/wal.html): a commit then writes the log without
    waiting for the disk, so each of a digest's ten commits (claim, lease, one
    per message) costs well under a millisecond instead of an fsync (15 ms on
    the shared benchmark machine); a killed process loses nothing committed,
    only a power cut can lose the last commits. Readers no longer wait for a writer.
    Transactions keep the ``sqlite3`` module's default (it begins one before the
    first write, so reads take no lock), except on connections with the
    execution option ``paperbot_sqlite_begin="IMMEDIATE"``: those begin with
    ``BEGIN IMMEDIATE`` and hold the write lock from their first statement (see
    :meth:`Store.session`; migrations use it too, so they are one transaction),
    and a SAVEPOINT opened before any write, which begins the transaction first
    (else its RELEASE would commit its rows at once, outside that transaction).
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgres+psycopg"):  # Heroku's and libpq's spelling: SQLAlchemy knows no such dialect
        raise ArgumentError(f"'{parsed.drivername}://' is no SQLAlchemy dialect: write postgresql+psycopg:// (or postgresql://)")
    sqlite = parsed.get_backend_name() == "sqlite"
    kwargs: dict = {}
    if sqlite:
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": max(1, int(connect_timeout))}
    if pool_size is not None and (not sqlite or sqlite_file(url) is not None):
        kwargs["pool_size"] = pool_size
    engine = create_engine(url, **kwargs)
    if sqlite:
        wal = sqlite_file(url) is not None and parsed.query.get("mode") != "ro"

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if wal:
                _use_wal(cur)
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            if conn.get_execution_options().get(_BEGIN_OPTION) == "IMMEDIATE":
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # the sqlite3 module then adds no BEGIN of its own

        @event.listens_for(engine, "savepoint")
        def _sqlite_savepoint(conn, _name):
            # The sqlite3 module begins a transaction only before a write: a SAVEPOINT coming first would be the
            # outermost transaction, and its RELEASE would commit at once whatever the enclosing one did next.
            if not conn.connection.driver_connection.in_transaction:
                conn.exec_driver_sql("BEGIN")

    return engine


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Put a SQLite file in write-ahead-log mode, waiting (up to :data:`SQLITE_BUSY_TIMEOUT`) for other writers.

    Leaving the rollback journal needs the file's exclusive lock, and SQLite fails that at once
    with "database is locked", without its busy timeout, while another connection writes (as when
    several processes open one new database and the first is migrating it). So the switch is
    retried with jittered waits; a file already in WAL mode needs no lock and no retry.
    """
    for attempt in Retrying(retry=retry_if_exception(lambda e: "locked" in str(e)), reraise=True,
                            stop=stop_after_delay(SQLITE_BUSY_TIMEOUT), wait=wait_random(0.01, 0.1),
                            before_sleep=before_sleep_log(log, logging.INFO)):
        with attempt:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's schema lock: one process at a time changes the schema.

    PostgreSQL: a session advisory lock (``pg_advisory_lock``, key :data:`SCHEMA_LOCK_KEY`)
    on a connection of its own. SQLite: a file lock beside the database
    (``<file>.schema.lock``, the ``filelock`` package). Other backends and in-memory
    SQLite: no lock. Wrap any DDL that racing processes could both run (Alembic
    upgrades, APScheduler's job-store table) in it.
    """
    backend = engine.dialect.name
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
                conn.commit()
        return
    path = sqlite_file(engine.url.render_as_string(hide_password=False)) if backend == "sqlite" else None
    if path is None:
        yield
        return
    with FileLock(f"{path}.schema.lock"):
        yield


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and at ``engine`` when given)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision`` with Alembic, under :func:`schema_lock`.

    Raises
    ------
    ReadOnlyDatabaseError
        When the SQLite file needs a migration and cannot be written.
    NewerSchemaError
        When the database records a revision this version does not know (a newer paperbot migrated it).
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = alembic_config(engine)
    immediate = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
    with schema_lock(engine), _read_only_as_error(engine), immediate.begin() as conn:
        if inspect(conn).has_table("alembic_version"):
            script = ScriptDirectory.from_config(cfg)
            known = {rev.revision for rev in script.walk_revisions()}
            for stored in conn.execute(text("SELECT version_num FROM alembic_version")).scalars():
                if stored not in known:
                    raise NewerSchemaError(stored, script.get_current_head() or HEAD_REVISION)
        cfg.attributes["connection"] = conn
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(cfg, revision)
        after = MigrationContext.configure(conn).get_current_revision()
    if before != after:
        if before is not None:  # a new database is no news; an upgraded one cannot be opened by the older version
            log.warning("database schema upgraded; older paperbot versions cannot open it now",
                        extra={"from_revision": before, "to_revision": after})


def at_head(engine: Engine) -> bool:
    """Whether ``engine``'s database records :data:`HEAD_REVISION` as its only Alembic revision.

    False when it records another, or none (no version table yet).

    Raises
    ------
    sqlalchemy.exc.OperationalError
        When the database cannot be reached (as the upgrade would).
    """
    with engine.connect() as conn:
        try:
            return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) == [HEAD_REVISION]
        except DBAPIError:
            return False


def _is_read_only(exc: OperationalError) -> bool:
    name = getattr(exc.orig, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_READONLY") or "readonly database" in str(exc.orig)


@contextmanager
def _read_only_as_error(engine: Engine) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        path = sqlite_file(engine.url.render_as_string(hide_password=False)) if engine.dialect.name == "sqlite" else None
        if path is not None and _is_read_only(exc):
            raise ReadOnlyDatabaseError(str(path)) from exc
        raise


def _check_writable(path: Path) -> None:
    """Raise ReadOnlyDatabaseError when the database file, or the folder SQLite writes its journal in, is read-only."""
    folder_ok = os.access(path.parent, os.W_OK) if path.parent.exists() else True
    if not folder_ok or (path.exists() and not os.access(path, os.W_OK)):
        raise ReadOnlyDatabaseError(str(path))


class Store:
    """The database a paperbot instance works on.

    Parameters
    ----------
    url : str
        SQLAlchemy URL (``sqlite:///data/paperbot.db``, ``postgresql+psycopg://…``).
    migrate : bool
        Run Alembic migrations to head on open (default True), under :func:`schema_lock`, unless the
        database already records the head revision (:func:`at_head`).
    connect_timeout : int
        Seconds to wait for a database server to accept a connection (default 10).
    pool_size : int, optional
        Connections the pool keeps (see :func:`make_engine`).

    Raises
    ------
    ReadOnlyDatabaseError
        When the SQLite file (or its folder) is not writable.
    """

    def __init__(self, url: str, *, migrate: bool = True, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
                 pool_size: int | None = None):
        self.url = url
        path = sqlite_file(url)
        if path is not None and make_url(url).query.get("mode") != "ro":  # a read-only URI asks for no writes
            _check_writable(path)
        self.engine = make_engine(url, connect_timeout=connect_timeout, pool_size=pool_size)
        if migrate and not at_head(self.engine):
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        immediate = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        self._write_sessions = sessionmaker(immediate, expire_on_commit=False)
        self._growth = threading.Lock()
        self._papers_new, self._papers_analyzed = 0, -1  # papers stored since the last ANALYZE; rows it counted

    @contextmanager
    def session(self, *, immediate: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        Parameters
        ----------
        immediate : bool
            SQLite: take the write lock when the transaction begins (``BEGIN IMMEDIATE``),
            so a transaction that reads and then writes waits for other writers instead of
            failing with "database is locked". No effect on PostgreSQL.

        Raises
        ------
        ReadOnlyDatabaseError
            When a SQLite write fails because the file cannot be written.
        """
        makers = self._write_sessions if immediate else self._sessions
        with _read_only_as_error(self.engine), makers.begin() as session:
            yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction on a Core connection, for a few hot statements without the ORM's cost per session.

        Committed when the block ends, rolled back on any error; the same errors as :meth:`session`.
        """
        with _read_only_as_error(self.engine), self.engine.begin() as connection:
            yield connection

    def autocommit(self) -> Connection:
        """A Core connection on which every statement is its own transaction; the caller closes it.

        For a run of hot single-statement writes held on one connection (a digest's message
        references): no pool checkout (and its liveness ping) per write, and on PostgreSQL no
        ``BEGIN``/``COMMIT`` round trips, so a statement costs one round trip. Its statements raise
        SQLAlchemy's errors as they come (a read-only SQLite file: ``OperationalError``, not
        :class:`ReadOnlyDatabaseError`).
        """
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def schema_lock(self):
        """:func:`schema_lock` on this store's database: wrap DDL that racing processes could both run.

        For example APScheduler's ``SQLAlchemyJobStore`` creates its table when the scheduler starts.
        """
        return schema_lock(self.engine)

    def papers_added(self, n: int) -> None:
        """Note ``n`` new papers; on PostgreSQL, ``ANALYZE papers`` each time the table has doubled (at least 1,000).

        While a backfill grows ``papers`` from empty, autovacuum analyses it about
        once a minute at most, so the planner keeps a nearly empty table's
        statistics and looks each digest's titles up by sequential scans, which
        cost more with every file (``benchmarks/store_scale.py`` reports the
        ingest rate on PostgreSQL). Doubling bounds
        the analyses to about 17 for a million papers, each reading a sample of
        30,000 rows at most (https://www.postgresql.org/docs/current/sql-analyze.html).
        """
        if n <= 0 or self.engine.dialect.name != "postgresql":
            return
        with self._growth:
            self._papers_new += n
            if self._papers_new < max(1000, self._papers_analyzed):
                return
            with self.session() as session:
                session.execute(text("ANALYZE papers"))
                rows = session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'papers'::regclass"))
            self._papers_new, self._papers_analyzed = 0, int(rows or 0)

    def dispose(self) -> None:
        self.engine.dispose()
