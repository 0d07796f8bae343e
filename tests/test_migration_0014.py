"""Migration 0014: a store made at 0013 gets ``papers.published_precision`` (NULL: the day, as before) and its
Slack people's interests and Slack channels' topics, stored with Slack's ``&amp;`` by older versions, decoded."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from recommender.store import Store
from recommender.store.db import make_engine, upgrade

T = dt.datetime(2026, 12, 1, 9, 0)
MEMBERS = sa.table("members", *(sa.column(c) for c in ("id", "platform", "workspace", "user_ref", "digest_time", "timezone",
                                                        "digest_size", "created_at", "subscribed")),
                   sa.column("interests", sa.JSON))
CHANNELS = sa.table("channels", *(sa.column(c) for c in ("id", "platform", "workspace", "channel_ref", "topic", "enabled",
                                                          "digest_time", "timezone", "digest_size", "created_at")))
TARGET = {"workspace": "T1", "digest_time": "09:00", "timezone": "UTC", "digest_size": 5, "created_at": T}
SLACK_INTERESTS = ["R&amp;D for graphs", "x &lt; y &amp;&amp; y &gt; z", "plain", "&amp;lt; typed as text"]
DISCORD_INTERESTS = ["R&amp;D for graphs"]  # on Discord (and the command line) this is what was typed


def test_0014_adds_date_precision_and_decodes_slacks_entities_in_slack_rows_only(db_url):
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0013")
        with engine.begin() as conn:
            conn.execute(MEMBERS.insert(), [
                {"id": 1, "platform": "slack", "user_ref": "U1", "interests": SLACK_INTERESTS, "subscribed": False, **TARGET},
                {"id": 2, "platform": "discord", "user_ref": "D1", "interests": DISCORD_INTERESTS, "subscribed": False, **TARGET},
                {"id": 3, "platform": "cli", "user_ref": "mia", "interests": ["Q&amp;A"], "subscribed": False, **TARGET},
                {"id": 4, "platform": "slack", "user_ref": "U2", "interests": [], "subscribed": False, **TARGET},
            ])
            conn.execute(CHANNELS.insert(), [
                {"id": 1, "platform": "slack", "channel_ref": "C1", "topic": "vision &amp; language; a &lt;b&gt;", "enabled": True, **TARGET},
                {"id": 2, "platform": "discord", "channel_ref": "G1", "topic": "vision &amp; language", "enabled": True, **TARGET},
                {"id": 3, "platform": "slack", "channel_ref": "C2", "topic": "", "enabled": True, **TARGET},
            ])
            conn.execute(sa.text("INSERT INTO papers (id, title_key, title, abstract, authors, published, source_kind, "
                                 "is_news, first_seen, updated_at) VALUES (1, 'a', 'A', '', '[]', '2019-01-01', "
                                 "'library', false, :t, :t)"), {"t": T})
    finally:
        engine.dispose()
    Store(db_url).dispose()  # opening it migrates to the head
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            interests = dict(conn.execute(sa.select(MEMBERS.c.user_ref, MEMBERS.c.interests)).all())
            topics = dict(conn.execute(sa.select(CHANNELS.c.channel_ref, CHANNELS.c.topic)).all())
            paper = conn.execute(sa.text("SELECT published, published_precision FROM papers")).one()
    finally:
        engine.dispose()
    assert interests == {"U1": ["R&D for graphs", "x < y && y > z", "plain", "&lt; typed as text"],  # decoded once
                         "D1": DISCORD_INTERESTS, "mia": ["Q&amp;A"], "U2": []}
    assert topics == {"C1": "vision & language; a <b>", "G1": "vision &amp; language", "C2": ""}
    assert str(paper[0]) == "2019-01-01" and paper[1] is None  # a row stored before: a day, as it meant
