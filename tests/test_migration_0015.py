"""A downgrade (0015's ``deliveries.told_at``, 0006's claim times, 0009's club columns) keeps a delivery's items:
a review found SQLite's batch copy of ``deliveries`` cascading to ``delivery_items`` with foreign keys on."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from recommender.store.db import alembic_config, make_engine, upgrade

T = dt.datetime(2026, 12, 1, 9, 0)


@pytest.mark.parametrize("down_to", ["0014", "0005"])  # 0006 and 0009 dropped columns of deliveries and channels too
def test_a_downgrade_keeps_deliveries_and_their_items(db_url, down_to):
    engine = make_engine(db_url)  # foreign keys on, as every paperbot engine
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO papers (id, title_key, title, abstract, authors, published, source_kind, "
                                 "is_news, first_seen, updated_at) VALUES (1, 'a', 'A', '', '[]', '2019-01-01', "
                                 "'library', false, :t, :t)"), {"t": T})
            conn.execute(sa.text("INSERT INTO deliveries (id, target_kind, target_id, day, status, attempts, claimed_at, "
                                 "told_at) VALUES (1, 'member', 1, '2026-12-01', 'posted', 1, :t, :t)"), {"t": T})
            conn.execute(sa.text("INSERT INTO delivery_items (delivery_id, paper_id, position, score, reason) "
                                 "VALUES (1, 1, 0, 0.5, '')"))
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, down_to)
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("deliveries")}
            counts = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("deliveries", "delivery_items")]
        assert "told_at" not in columns and counts == [1, 1]
        upgrade(engine)  # and up again
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT told_at FROM deliveries")).scalar() is None
    finally:
        engine.dispose()
