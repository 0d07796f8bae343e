"""Migrations: the migrated schema is exactly the models, and the frozen DDL matches the libraries."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from recommender.store import Store
from recommender.store.external import EXTERNAL_TABLES, include_object
from recommender.store.models import Base


def test_models_and_migrated_database_agree(db_url):
    store = Store(db_url)
    try:
        with store.engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_object, "target_metadata": Base.metadata}
            )
            assert compare_metadata(ctx, Base.metadata) == []
    finally:
        store.dispose()


def test_frozen_slack_tables_match_slack_sdk(db_url):
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore as Installations
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore as States

    md = sa.MetaData()
    expected = [
        Installations.build_installations_table(md, Installations.default_installations_table_name),
        Installations.build_bots_table(md, Installations.default_bots_table_name),
        States.build_oauth_states_table(md, States.default_table_name),
    ]
    store = Store(db_url)
    try:
        inspector = sa.inspect(store.engine)
        for table in expected:
            assert table.name in EXTERNAL_TABLES
            got = {c["name"]: (c["nullable"], type(c["type"]).__name__) for c in inspector.get_columns(table.name)}
            want = {c.name: c.nullable for c in table.columns}
            assert {name: nullable for name, (nullable, _) in got.items()} == want
    finally:
        store.dispose()


def test_the_head_a_store_checks_for_is_alembics_and_an_older_store_is_upgraded(db_url):
    from alembic.script import ScriptDirectory

    from recommender.store.db import HEAD_REVISION, alembic_config, at_head, make_engine, upgrade

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION
    engine = make_engine(db_url)
    try:
        assert not at_head(engine)  # an empty database: no version table
        upgrade(engine, "0010")
        assert not at_head(engine)
        store = Store(db_url)  # opening it migrates the rest
        store.dispose()
        assert at_head(engine)
        with engine.connect() as conn:
            assert sa.inspect(conn).has_table("tfidf_rows")
    finally:
        engine.dispose()


def test_a_database_a_newer_version_migrated_is_refused_in_one_line_and_left_as_is(db_url, cli, caplog):
    """An upgrade trial: the older paperbot on the upgraded store printed a 300-line traceback
    (Can't locate revision identified by '0015'). And an upgrade says it happened, once."""
    import logging

    from recommender.store import NewerSchemaError
    from recommender.store.db import HEAD_REVISION, make_engine, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0010")
        with caplog.at_level(logging.WARNING, logger="recommender.store.db"):
            Store(db_url).dispose()
        [line] = [r for r in caplog.records if r.getMessage().startswith("database schema upgraded")]
        assert (line.from_revision, line.to_revision) == ("0010", HEAD_REVISION)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
        try:
            Store(db_url)
            raise AssertionError("opened")
        except NewerSchemaError as exc:
            assert str(exc).startswith(f"the database was migrated by a newer paperbot (schema 0099; "
                                       f"this version knows up to {HEAD_REVISION})")
        out = cli("status")
        assert out.exit_code == 2 and "Traceback" not in out.output  # as a read-only database file
        assert "migrated by a newer paperbot (schema 0099" in " ".join(out.output.split())
        as_json = cli("status", "--json")  # a script gets JSON, as when the database is unreachable (ops trial)
        assert as_json.exit_code == 2 and json.loads(as_json.stdout)["error"].startswith(
            "the database was migrated by a newer paperbot (schema 0099")
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0099"
    finally:
        engine.dispose()
