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

