"""The shutdown line counts each digest left once: a post cut off by the shutdown limit before its claim
was written is still due in the database too (a trial's line said "2 digests left" for one digest)."""

from __future__ import annotations

import datetime as dt
import io
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from service_harness import wait_until
from sqlalchemy import create_engine, text

from bot.console import ConsoleRuntime
from bot.service.context import JobContext
from bot.service.run import finish_posts
from bot.service.workers import DigestWorkers
from recommender.store import Channel
from recommender.store.models import utcnow


@contextmanager
def deliveries_locked(url: str) -> Iterator[None]:
    """Another connection holds the lock that writing a ``deliveries`` row (a claim) needs; reads go on."""
    if url.startswith("sqlite:///"):
        held = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        held.execute("BEGIN IMMEDIATE")  # the write lock: a claim waits for it (WAL readers do not)
        try:
            yield
        finally:
            held.execute("ROLLBACK")
            held.close()
        return
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE deliveries IN EXCLUSIVE MODE"))  # SELECT still allowed
            yield
            conn.rollback()
    finally:
        engine.dispose()


def test_a_digest_cut_off_before_its_claim_is_counted_once(papers_store, settings, caplog):
    now = utcnow()
    with papers_store.session() as session:
        channel = Channel(platform="cli", workspace="local", channel_ref="C0", name="ch0", topic="graph neural networks",
                          digest_time=(now - dt.timedelta(minutes=1)).strftime("%H:%M"), timezone="UTC",
                          digest_size=3, created_at=now - dt.timedelta(hours=2))
        session.add(channel)
        session.flush()
        target_id = channel.id
    runtime = ConsoleRuntime(Console(file=io.StringIO(), width=200, color_system=None))
    ctx = JobContext(papers_store, settings, runtime.posters(), [])
    workers = DigestWorkers(ctx, threads=1)
    caplog.set_level(logging.INFO)
    url = papers_store.engine.url.render_as_string(hide_password=False)
    workers.start()
    try:
        with deliveries_locked(url):
            workers.submit([("channel", target_id, None)])
            assert wait_until(lambda: workers.under_way == [("channel", target_id)], 30)
            left = finish_posts(ctx, workers, 0.5)  # its claim waits for the lock: cut off, still due
    finally:
        workers.close(0)
        workers.wait_idle(60)
    assert left == 1
    [line] = [r for r in caplog.records if r.getMessage().endswith("digests left; the next start posts them")]
    assert line.getMessage() == "1 digests left; the next start posts them"
    assert (line.unfinished, line.due_left, line.queued_dropped) == (1, 0, 0)
