"""Stores migrated once per test session and copied per test (helpers for ``tests/conftest.py``, no tests here).

A test's ``store`` or ``papers_store`` used to run Alembic through all revisions (and ingest the samples) on
an empty database of its own: on PostgreSQL 0.3 to 0.7 s for each of some 700 tests, a third of the suite's
time. Now each xdist worker migrates (and fills) a template once and each test starts from an exact copy,
already at the head revision, so ``Store(url)`` migrates nothing:

* SQLite: the template file, copied (its journal mode, WAL, is in the file).
* PostgreSQL: the template schema as ``pg_dump`` writes it (tables, sequences and where they stand, defaults,
  generated columns, constraints, indexes, rows, the ``alembic_version`` row), replayed into the test's new
  schema in one transaction: 0.1 to 0.25 s on the shared 2-core machine. ``CREATE DATABASE … TEMPLATE`` copies
  a database exactly too, but writes its 7 MB of system catalogs to the WAL each time: 0.3 s there, and as much
  again to drop it.

Without a ``pg_dump`` that can read the server, each test's PostgreSQL store migrates as before.
``tests/test_store_templates.py`` checks a copy against a database Alembic migrated.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy.engine import make_url

from recommender.store import Store

REPO = Path(__file__).resolve().parent.parent
CONTENTS = ("schema", "papers")
"""What a template holds: ``schema`` (Alembic's head, no rows but its version) or ``papers`` (and the 216
papers of the bundled sample digests, with the TF-IDF model fitted on them and their rows, as the first request
would store them: fitting it again in each test took a third of a typical command test's time)."""
_PSQL_ONLY = re.compile(r"^\\(un)?restrict [A-Za-z0-9]+$", re.MULTILINE)
"""The lines of a dump that psql runs itself (pg_dump 15.14 and later write them), not SQL."""


def fill(store: Store, content: str) -> None:
    """Give a newly migrated ``store`` a template's content (see :data:`CONTENTS`)."""
    from recommender.ingest import ingest

    if content not in CONTENTS:
        raise ValueError(content)
    if content == "papers":
        from recommender.text.current import CurrentVectors

        results = ingest(store, [REPO / "samples" / "digests"])
        assert all(r.error is None for r in results)
        CurrentVectors().refit(store)


def schema_url(pg_url: str, schema: str) -> str:
    """``pg_url`` with ``schema`` as the search path: tables made and looked up unqualified go there."""
    sep = "&" if "?" in pg_url else "?"
    return f"{pg_url}{sep}options={quote(f'-csearch_path={schema}')}"


def libpq_url(pg_url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq (psycopg, pg_dump) reads it."""
    return make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)


class SqliteTemplates:
    """Template files in ``folder``, migrated and filled on first use."""

    def __init__(self, folder: Path):
        self._folder = folder
        self._made: dict[str, Path] = {}

    def copy_to(self, content: str, path: Path) -> None:
        if content not in self._made:
            template = self._folder / f"{content}.db"
            st = Store(f"sqlite:///{template}")
            fill(st, content)
            st.dispose()  # the last connection closing checkpoints and removes the -wal file: the copy is one file
            self._made[content] = template
        shutil.copy(self._made[content], path)


class PgTemplates:
    """Template schemas in the database of ``pg_url``, migrated, filled and dumped on first use; dropped by :meth:`close`."""

    def __init__(self, pg_url: str):
        self.pg_url = pg_url
        self._conn: psycopg.Connection | None = None
        self._schemas: list[str] = []
        self._dumps: dict[str, tuple[str, str] | None] = {}  # content -> (template schema, its dump), or None: no pg_dump

    def execute(self, sql: str) -> None:
        """Run ``sql`` (one statement, or a script of several: one transaction) on a connection kept for the session."""
        if self._conn is None:
            self._conn = psycopg.connect(libpq_url(self.pg_url), autocommit=True)
        self._conn.execute(sql.encode())  # (bytes: a script's text is run as it is, no placeholders looked for)

    def _dump(self, content: str) -> tuple[str, str] | None:
        if content not in self._dumps:
            schema = f"tpl_{uuid.uuid4().hex}"  # long and random: its name is replaced throughout the dump
            self.execute(f'CREATE SCHEMA "{schema}"')
            self._schemas.append(schema)
            st = Store(schema_url(self.pg_url, schema))
            fill(st, content)
            st.dispose()
            self._dumps[content] = None
            pg_dump = shutil.which("pg_dump")
            error = "no pg_dump on the PATH"
            for _ in range(3 if pg_dump else 0):  # (again: a schema another worker dropped meanwhile can fail a dump)
                done = subprocess.run([pg_dump, "--schema", schema, "--no-owner", "--no-privileges", "--inserts",
                                       "--rows-per-insert=1000", "--dbname", libpq_url(self.pg_url)],
                                      capture_output=True, text=True)
                if done.returncode == 0:
                    self._dumps[content] = (schema, _PSQL_ONLY.sub("", done.stdout))
                    break
                error = done.stderr.strip()  # (a server newer than pg_dump, say)
            if self._dumps[content] is None:
                warnings.warn(f"the template store could not be dumped ({error}): each test's PostgreSQL store "
                              "migrates, which takes longer", stacklevel=1)
        return self._dumps[content]

    def create(self, content: str, schema: str) -> None:
        """Create ``schema`` as a copy of the template of ``content``: at Alembic's head, and filled (:func:`fill`)."""
        dumped = self._dump(content)
        if dumped is None:
            self.execute(f'CREATE SCHEMA "{schema}"')
            st = Store(schema_url(self.pg_url, schema))
            fill(st, content)
            st.dispose()
            return
        template, sql = dumped
        # The dump's SET commands last for the session: RESET ALL, in the same transaction, undoes them.
        self.execute(sql.replace(template, schema) + "\nRESET ALL;\n")

    def close(self) -> None:
        for schema in self._schemas:
            self.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if self._conn is not None:
            self._conn.close()
