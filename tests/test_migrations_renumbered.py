"""A store made when paper_embeddings was migration 0006 (commit 7aba5fb) opens with the current code, repaired."""

from __future__ import annotations

import datetime as dt
import importlib.util

import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.operations import Operations

from recommender.store import Store
from recommender.store.db import HEAD_REVISION, alembic_config, at_head, make_engine, upgrade
from recommender.store.fulltext import candidates

VERSIONS = importlib.util.find_spec("recommender.store").submodule_search_locations[0] + "/migrations/versions"
CLAIMED = dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC)


def _module(name: str):
    spec = importlib.util.spec_from_file_location(name, f"{VERSIONS}/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _old_store(url: str) -> None:
    """The schema and stamp of a store made at 7aba5fb: 0001-0003, 0005 (then revising 0003), paper_embeddings as 0006."""
    engine = make_engine(url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            _module("0005_enrichment").upgrade()  # the same DDL the old 0005 ran (a batch copy of papers then)
            op = Operations(MigrationContext.configure(conn))
            # `git show 7aba5fb:recommender/store/migrations/versions/0006_paper_embeddings.py`, verbatim
            op.create_table('paper_embeddings',
                sa.Column('id', sa.Integer(), nullable=False),
                sa.Column('paper_id', sa.Integer(), nullable=False),
                sa.Column('model', sa.String(length=128), nullable=False),
                sa.Column('model_version', sa.String(length=64), nullable=False),
                sa.Column('dim', sa.Integer(), nullable=False),
                sa.Column('vector', sa.LargeBinary(), nullable=False),
                sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], ondelete='CASCADE'),
                sa.PrimaryKeyConstraint('id'),
                sa.UniqueConstraint('paper_id', 'model', 'model_version', name='uq_paper_embedding'))
            op.create_index('ix_paper_embeddings_paper_id', 'paper_embeddings', ['paper_id'], unique=False)
            conn.execute(sa.text("INSERT INTO papers (id, title_key, title, abstract, authors, source_kind, is_news, "
                                 "first_seen, updated_at, doi) VALUES (1, 'graph networks', 'Graph Networks', "
                                 "'About graphs.', '[\"Ada\"]', 'hf_page', true, :t, :t, '10.1/x')"), {"t": CLAIMED})
            conn.execute(sa.text("INSERT INTO paper_embeddings (paper_id, model, model_version, dim, vector, created_at) "
                                 "VALUES (1, 'mini', 'v1', 2, :v, :t)"), {"v": b"\x00" * 8, "t": CLAIMED})
            conn.execute(sa.text("INSERT INTO deliveries (target_kind, target_id, day, status, claimed_at, attempts) "
                                 "VALUES ('channel', 7, '2026-12-02', 'posted', :t, 1)"), {"t": CLAIMED})
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.stamp(cfg, "0006")
    finally:
        engine.dispose()


def _schema(url: str) -> dict:
    """Tables with their columns, indexes, unique constraints and foreign keys; SQLite's views and triggers too."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            insp = sa.inspect(conn)
            out: dict = {t: (sorted((c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)),
                             sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
                             sorted((u["name"] or "", tuple(u["column_names"])) for u in insp.get_unique_constraints(t)),
                             sorted((f["referred_table"], tuple(f["constrained_columns"])) for f in insp.get_foreign_keys(t)))
                         for t in insp.get_table_names()}
            if conn.dialect.name == "sqlite":
                out["sqlite_master"] = sorted(conn.execute(sa.text(
                    "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger')")).all())
            out["version"] = list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
        return out
    finally:
        engine.dispose()


def test_a_store_stamped_0006_with_paper_embeddings_is_repaired_on_open(db_url, second_db_url):
    _old_store(db_url)
    assert _schema(db_url)["version"] == ["0006"]
    Store(second_db_url).dispose()
    store = Store(db_url)  # failed with "table paper_embeddings already exists"
    store.dispose()
    engine = make_engine(db_url)
    try:
        assert at_head(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT title, doi FROM papers")).all() == [("Graph Networks", "10.1/x")]
            assert conn.execute(sa.text("SELECT paper_id, model, dim FROM paper_embeddings")).all() == [(1, "mini", 2)]
            claimed = conn.execute(sa.text("SELECT first_claimed_at, heartbeat_at FROM deliveries")).one()
            assert all(t is not None for t in claimed)  # 0006's columns, filled from claimed_at as 0006 does
    finally:
        engine.dispose()
    assert _schema(db_url) == _schema(second_db_url) and _schema(db_url)["version"] == [HEAD_REVISION]
    store = Store(db_url)
    try:
        with store.session() as s:  # the row stored before the repair is in the full-text index 0004 built
            assert [pid for pid, _ in candidates(s, "graphs", limit=5)] == [1]
    finally:
        store.dispose()
