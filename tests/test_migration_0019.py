"""Migration 0019: ``incoming_events``, the chat platform events received and not yet settled
(``bot/commands/incoming.py``); one row per event, down to 0018 (the rest stays) and up again, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from recommender.store.db import alembic_config, make_engine, upgrade

T = dt.datetime(2026, 12, 8, 9, 0)
INSERT = sa.text("INSERT INTO incoming_events (platform, event_id, kind, workspace, payload, received_at, replays) "
                 "VALUES ('slack', 'Ev1', 'reaction_added', 'T1', '{}', :t, 0)")


def test_incoming_events_down_and_up_again(db_url):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(INSERT, {"t": T})
            conn.execute(sa.text("INSERT INTO handled_events (platform, event_id, kind, handled_at) "
                                 "VALUES ('slack', 'Ev0', 'file_shared', :t)"), {"t": T})
            duplicate = conn.begin_nested()
            try:  # one row per platform and event id: a retry of an event kept keeps no second one
                conn.execute(INSERT, {"t": T})
                raise AssertionError("a second row for one event was stored")
            except sa.exc.IntegrityError:
                duplicate.rollback()
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0018")
        with engine.connect() as conn:
            assert not sa.inspect(conn).has_table("incoming_events")
            assert conn.execute(sa.text("SELECT count(*) FROM handled_events")).scalar() == 1
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM incoming_events")).scalar() == 0
            assert {i["name"] for i in sa.inspect(conn).get_indexes("incoming_events")} == {"ix_incoming_events_received_at"}
    finally:
        engine.dispose()
