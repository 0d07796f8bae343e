"""0018's ``reactions`` table: its rows go with their member and with the delivered paper whose message they are
on, and a downgrade drops the table alone (feedback, deliveries and their items stay)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from recommender.store.db import alembic_config, make_engine, upgrade

T = dt.datetime(2026, 12, 1, 9, 0)


def _count(conn, table: str) -> int:
    return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def test_reactions_go_with_their_member_and_message_and_a_downgrade_keeps_the_rest(db_url):
    engine = make_engine(db_url)  # foreign keys on, as every paperbot engine
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO papers (id, title_key, title, abstract, authors, published, source_kind, "
                                 "is_news, first_seen, updated_at) VALUES (1, 'a', 'A', '', '[]', '2019-01-01', "
                                 "'library', false, :t, :t)"), {"t": T})
            for member in (1, 2):
                conn.execute(sa.text("INSERT INTO members (id, platform, workspace, user_ref, interests, subscribed, "
                                     "mentions, digest_time, timezone, digest_size, created_at) VALUES (:m, 'slack', 'T1', "
                                     ":u, '[]', true, true, '09:00', 'UTC', 5, :t)"), {"m": member, "u": f"U{member}", "t": T})
                conn.execute(sa.text("INSERT INTO feedback (member_id, paper_id, value, origin, created_at) "
                                     "VALUES (:m, 1, -1, 'reaction', :t)"), {"m": member, "t": T})
            for delivery in (1, 2):
                conn.execute(sa.text("INSERT INTO deliveries (id, target_kind, target_id, day, status, attempts, "
                                     "claimed_at) VALUES (:d, 'member', :d, :day, 'posted', 1, :t)"),
                             {"d": delivery, "day": dt.date(2026, 12, delivery), "t": T})
                conn.execute(sa.text("INSERT INTO delivery_items (delivery_id, paper_id, position, score, reason) "
                                     "VALUES (:d, 1, 0, 0.5, '')"), {"d": delivery})
            conn.execute(sa.text("INSERT INTO reactions (member_id, delivery_id, paper_id, value) VALUES "
                                 "(1, 1, 1, 1), (1, 1, 1, -1), (2, 2, 1, 1), (1, 2, 1, 1)"))
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM deliveries WHERE id = 1"))  # its items' reactions go with them
            assert _count(conn, "reactions") == 2
            conn.execute(sa.text("DELETE FROM members WHERE id = 1"))
            assert conn.execute(sa.text("SELECT member_id, delivery_id, value FROM reactions")).all() == [(2, 2, 1)]
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0017")
        with engine.connect() as conn:
            assert "reactions" not in sa.inspect(conn).get_table_names()
            assert [_count(conn, t) for t in ("members", "feedback", "deliveries", "delivery_items")] == [1, 1, 1, 1]
        upgrade(engine)  # and up again: no reaction stands
        with engine.connect() as conn:
            assert _count(conn, "reactions") == 0
    finally:
        engine.dispose()
