"""Migration 0016: ``handled_events``, the ids of chat platform events whose effect is stored
(``bot/commands/events.py``); down to 0015 and up again on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from recommender.store.db import alembic_config, make_engine, upgrade

T = dt.datetime(2026, 12, 8, 9, 0)


def test_handled_events_down_and_up_again(db_url):
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO handled_events (platform, event_id, kind, handled_at) "
                                 "VALUES ('slack', 'Ev1', 'file_shared', :t)"), {"t": T})
            duplicate = conn.begin_nested()
            try:  # one row per platform and event id: what makes a second delivery find the first
                conn.execute(sa.text("INSERT INTO handled_events (platform, event_id, kind, handled_at) "
                                     "VALUES ('slack', 'Ev1', 'file_shared', :t)"), {"t": T})
                raise AssertionError("a second row for one event was stored")
            except sa.exc.IntegrityError:
                duplicate.rollback()
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0015")
        with engine.connect() as conn:
            assert not sa.inspect(conn).has_table("handled_events")
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM handled_events")).scalar() == 0
            assert {i["name"] for i in sa.inspect(conn).get_indexes("handled_events")} == {"ix_handled_events_handled_at"}
    finally:
        engine.dispose()
