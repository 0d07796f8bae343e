from pathlib import Path

from sqlalchemy import inspect, select

from recommender.store import Paper, Store


def test_migrations_create_schema_and_are_idempotent(db_url):
    first = Store(db_url)
    tables = set(inspect(first.engine).get_table_names())
    assert {"papers", "digests", "digest_entries", "members", "channels", "feedback", "deliveries", "delivery_items",
            "model_state", "alembic_version", "source_runs", "slack_installations", "slack_bots",
            "slack_oauth_states"} <= tables
    first.dispose()
    again = Store(db_url)  # upgrading an up-to-date schema is a no-op
    with again.session() as s:
        assert s.scalars(select(Paper)).all() == []
    again.dispose()


def test_session_rolls_back_on_error(store):
    try:
        with store.session() as s:
            s.add(Paper(title_key="x", title="X", source_kind="hf_page", authors=[]))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with store.session() as s:
        assert s.scalars(select(Paper)).all() == []



def test_a_papers_search_vector_stays_in_its_row_on_postgresql(store):
    """Migration 0012: ``ts_rank`` reads each match's tsvector from the row, not through the TOAST table."""
    import pytest
    from sqlalchemy import text

    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps no TOAST table")
    abstract = " ".join(f"lexeme{n} variant{n * 7} token{n * 13}" for n in range(60))  # a tsvector of about 3 KB
    with store.session() as s:
        s.add(Paper(title_key="long", title="A long abstract", abstract=abstract, source_kind="hf_api", authors=[]))
    with store.session() as s:
        vector_bytes = s.scalar(text("SELECT pg_column_size(search_vector) FROM papers"))
        toasted = s.scalar(text("SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'papers'::regclass"))
    assert vector_bytes > 2048 and toasted == 0


# -- migration 0004: duplicates of a title-only paper merged, then the title key is unique ---------------------
def _downgrade(st, revision):
    from alembic import command

    from recommender.store.db import alembic_config

    cfg = alembic_config(st.engine)
    with st.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_migration_0004_merges_title_only_duplicates_and_makes_the_key_unique(db_url):
    import datetime as dt

    import pytest
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from recommender.store import Delivery, DeliveryItem, Digest, DigestEntry, Feedback, Member, upgrade

    st = Store(db_url)
    _downgrade(st, "0003")

    def row(s, model, **values) -> int | None:  # Core insert of the given columns only: the schema is 0003's
        # the model's columns the database has (0003's): a later column's default would be inserted, and refused
        live = {c["name"] for c in sa.inspect(s.connection()).get_columns(model.__tablename__)}
        table = sa.Table(model.__tablename__, sa.MetaData(), *(c._copy() for c in model.__table__.c if c.name in live))
        if "id" not in table.c:
            s.execute(table.insert().values(**values))
            return None
        return s.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()

    with st.session() as s:
        dups = [row(s, Paper, title_key="same paper", title="Same Paper", abstract=text, source_kind="hf_page",
                    authors=authors, is_news=True)
                for text, authors in (("short", ["A"]), ("the longest abstract of the three", []), ("middling", ["A", "B"]))]
        other = row(s, Paper, title_key="other paper", title="Other Paper", abstract="x", source_kind="hf_page",
                    authors=[], is_news=True)
        digest = row(s, Digest, kind="hf_page", source="d", content_hash="h", n_entries=3, n_new=0)
        ann = row(s, Member, platform="slack", workspace="T", user_ref="ann")
        bob = row(s, Member, platform="slack", workspace="T", user_ref="bob")
        for i, p in enumerate(dups):
            row(s, DigestEntry, digest_id=digest, position=i, paper_id=p)
        for member, paper_id, value in ((ann, dups[0], 1), (ann, dups[1], -1), (bob, dups[2], 1), (bob, other, -1)):
            row(s, Feedback, member_id=member, paper_id=paper_id, value=value, origin="cli")
        delivery = row(s, Delivery, target_kind="member", target_id=ann, day=dt.date(2024, 5, 27), status="posted",
                       attempts=1)
        row(s, DeliveryItem, delivery_id=delivery, paper_id=dups[1], position=0)
        row(s, DeliveryItem, delivery_id=delivery, paper_id=dups[2], position=1)
        keep, ids = dups[0], set(dups)
    upgrade(st.engine)
    with st.session() as s:
        [merged] = s.scalars(select(Paper).where(Paper.title_key == "same paper")).all()
        assert merged.id == keep
        assert (merged.abstract, merged.authors) == ("the longest abstract of the three", ["A", "B"])
        assert s.scalars(select(DigestEntry.paper_id).order_by(DigestEntry.position)).all() == [keep] * 3
        opinions = {(f.member_id, f.paper_id, f.value) for f in s.scalars(select(Feedback))}
        assert opinions == {(ann, keep, 1), (bob, keep, 1), (bob, other, -1)}  # the kept row's opinion wins
        assert s.scalars(select(DeliveryItem.paper_id)).all() == [keep]
        assert not ids - {keep} & set(s.scalars(select(Paper.id)))
    with pytest.raises(IntegrityError), st.session() as s:
        s.add(Paper(title_key="same paper", title="Same paper", source_kind="hf_api", authors=[]))
    with st.session() as s:  # papers with an arXiv id are keyed by it: the same title may recur
        s.add_all([Paper(arxiv_id=f"2405.0000{i}", title_key="same paper", title="Same Paper", source_kind="hf_api",
                         authors=[]) for i in (1, 2)])
    st.dispose()


# -- errors a person can act on -----------------------------------------------------------------------------
def test_database_errors_are_described_whole(store):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from recommender.store.errors import describe_db_error

    try:
        with store.session() as s:
            s.execute(text("SELECT title FROM no_such_table"))
    except DBAPIError as exc:
        line = describe_db_error(exc)
    assert "no_such_table" in line and line.endswith("(during SELECT)")
    assert ("sqlite3.OperationalError" in line) or ("psycopg.errors.UndefinedTable" in line)
    assert "\n" not in line and "Background on this error" not in line


def test_connect_timeout_bounds_a_server_that_never_answers():
    import socket
    import time

    import pytest
    from sqlalchemy.exc import OperationalError

    from recommender.settings import StoreSettings

    assert StoreSettings().database_connect_timeout == 10
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts connections; nobody ever answers them
    port = silent.getsockname()[1]
    start = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="timeout"):
            Store(f"postgresql+psycopg://paperbot@127.0.0.1:{port}/paperbot", connect_timeout=2)
    finally:
        silent.close()
    assert time.monotonic() - start < 30  # without the timeout libpq waits for minutes (132 s measured)


def test_read_only_sqlite_uri_raises_one_clear_error_naming_the_file(tmp_path, sample_digests):
    import pytest

    from recommender.ingest import ingest
    from recommender.store.errors import ReadOnlyDatabaseError

    path = tmp_path / "paperbot.db"
    Store(f"sqlite:///{path}").dispose()
    st = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(ReadOnlyDatabaseError, match="read-only") as caught:
        ingest(st, [sample_digests])
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)
    st.dispose()


def test_read_only_sqlite_file_is_refused_at_open_with_one_clear_line(tmp_path):
    """A real read-only file and folder, opened by a process that cannot write them."""
    import os
    import shutil
    import subprocess
    import sys

    import pytest

    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "paperbot.db"
    Store(f"sqlite:///{path}").dispose()
    path.chmod(0o444)
    folder.chmod(0o555)
    prefix = []
    if os.geteuid() == 0:  # root writes anything: drop the capabilities that let it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot make a file read-only for this process")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]
    code = ("import sys\nfrom recommender.store import Store\nfrom recommender.store.errors import ReadOnlyDatabaseError\n"
            "try:\n    Store(sys.argv[1])\nexcept ReadOnlyDatabaseError as exc:\n    print(exc)\n    sys.exit(3)\n")
    try:
        done = subprocess.run(prefix + [sys.executable, "-c", code, f"sqlite:///{path}"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent.parent, timeout=120)
    finally:
        folder.chmod(0o755)
    assert done.returncode == 3, done.stderr[-2000:]
    assert done.stdout.count("\n") == 1 and str(path) in done.stdout and "read-only" in done.stdout


def test_the_command_lines_store_keeps_connections_for_its_posting_threads(db_url, monkeypatch, tmp_path):
    """``paperbot run`` posts from ``service.workers`` threads, each holding a connection while it posts."""
    from bot.cli.state import CliState

    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    for workers, kept in [(4, 17), (30, 40)]:  # 3 a thread and 5, at most 40
        monkeypatch.setenv("PAPERBOT_SERVICE__WORKERS", str(workers))
        assert CliState(database_url=db_url).store().engine.pool.size() == kept


def test_a_new_sqlite_file_switches_to_wal_once_another_writer_commits(tmp_path, caplog):
    """SQLite fails the switch to WAL at once, without its busy timeout, while another connection writes
    (CI saw it when four processes opened one new database): the switch waits for the writer instead."""
    import logging
    import sqlite3

    from recommender.store.db import make_engine

    path = tmp_path / "new.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")  # a migration in progress, in the rollback-journal mode of a new file
    writer.execute("INSERT INTO t VALUES (1)")

    class CommitOnRetry(logging.Handler):  # the writer finishes when the opener says it will retry
        def emit(self, record):
            if writer.in_transaction:
                writer.execute("COMMIT")

    handler = CommitOnRetry(level=logging.INFO)
    logging.getLogger("recommender.store.db").addHandler(handler)
    try:
        engine = make_engine(f"sqlite:///{path}")
        with caplog.at_level(logging.INFO, logger="recommender.store.db"), engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
        assert not writer.in_transaction  # it had to wait for the writer
        engine.dispose()
    finally:
        logging.getLogger("recommender.store.db").removeHandler(handler)
        writer.close()
