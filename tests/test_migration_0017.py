"""0017's ``paused`` columns come and go without touching the rows of ``channels`` and ``members`` or what
hangs on them (a batch copy of either table, with foreign keys on, would cascade to their change log and 👍/👎)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command

from recommender.store.db import alembic_config, make_engine, upgrade

T = dt.datetime(2026, 12, 1, 9, 0)


def test_a_downgrade_keeps_channels_members_and_theirs(db_url):
    engine = make_engine(db_url)  # foreign keys on, as every paperbot engine
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO papers (id, title_key, title, abstract, authors, published, source_kind, "
                                 "is_news, first_seen, updated_at) VALUES (1, 'a', 'A', '', '[]', '2019-01-01', "
                                 "'library', false, :t, :t)"), {"t": T})
            conn.execute(sa.text("INSERT INTO members (id, platform, workspace, user_ref, interests, subscribed, mentions, "
                                 "digest_time, timezone, digest_size, created_at, paused) VALUES (1, 'discord', '1', '2', "
                                 "'[]', true, true, '09:00', 'UTC', 5, :t, 'left')"), {"t": T})
            conn.execute(sa.text("INSERT INTO channels (id, platform, workspace, channel_ref, topic, enabled, mentions, "
                                 "digest_time, timezone, digest_size, created_at, paused) VALUES (1, 'discord', '1', '3', "
                                 "'', true, false, '09:00', 'UTC', 5, :t, 'bot removed')"), {"t": T})
            conn.execute(sa.text("INSERT INTO feedback (id, member_id, paper_id, channel_id, value, origin, created_at) "
                                 "VALUES (1, 1, 1, 1, 1, 'reaction', :t)"), {"t": T})
            conn.execute(sa.text("INSERT INTO channel_changes (id, channel_id, actor, change, at) "
                                 "VALUES (1, 1, 'discord', 'paused', :t)"), {"t": T})
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0016")
        with engine.connect() as conn:
            columns = {t: {c["name"] for c in sa.inspect(conn).get_columns(t)} for t in ("channels", "members")}
            counts = [conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in ("channels", "members", "feedback", "channel_changes")]
        assert "paused" not in columns["channels"] | columns["members"] and counts == [1, 1, 1, 1]
        upgrade(engine)  # and up again: nothing paused
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT paused FROM members")).scalar() is None
    finally:
        engine.dispose()
