"""Migrations: the migrated schema is exactly the models, and the frozen DDL matches the libraries."""

from __future__ import annotations

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
