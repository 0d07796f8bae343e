"""A library import and another paper writer over the same paper on PostgreSQL: they wait, never deadlock.

The interleaving is forced: a writer (as an ingest does) takes the paper-writes lock first, then the import
starts and the test waits until the import waits on a lock; only then does the writer update the paper the
import also merges by DOI, and commit. An import that locked the paper's row before asking for the
paper-writes lock made a lock cycle, and PostgreSQL aborted it ("deadlock detected").
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, select, text, update

from bot.commands import Caller, Commands
from recommender.sources.records import title_key
from recommender.store import Feedback, Paper, Store
from recommender.store.dialects import lock_paper_writes

DEADLINE = 60  # seconds the writer waits for the import to wait on a lock before the test fails
BIB = ("@article{a,\n  title = {A Shared Paper},\n  doi = {10.1234/shared},\n"
       "  abstract = {The abstract the library brings, longer than none.},\n  year = 2020\n}\n")


def test_an_import_waits_for_a_paper_writer_holding_the_lock_instead_of_deadlocking(db_url, settings):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: the import's BEGIN IMMEDIATE waits for the other's commit")
    name = f"import_{uuid.uuid4().hex[:12]}"
    writer = Store(db_url)
    importer = Store(f"{db_url}{'&' if '?' in db_url else '?'}application_name={name}")
    watcher = create_engine(db_url)
    with writer.session() as s:
        s.add(Paper(title="A Shared Paper", title_key=title_key("A Shared Paper"), doi="10.1234/shared", abstract="",
                    authors=[], source_kind="hf_api", is_news=True))
    replies: list = []

    def run_import() -> None:
        try:
            replies.append(Commands(importer, settings).import_library(Caller("cli", "local", "ada"), BIB.encode(),
                                                                        "lib.bib"))
        except Exception as exc:  # the assertion below names it
            replies.append(exc)

    thread = threading.Thread(target=run_import)
    try:
        with writer.session() as s:
            lock_paper_writes(s)
            thread.start()
            started = time.monotonic()
            while True:
                with watcher.connect() as conn:
                    if conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                                        "AND wait_event_type = 'Lock'"), {"name": name}):
                        break
                assert thread.is_alive() and time.monotonic() - started < DEADLINE, "the import never waited"
                thread.join(0.01)  # polls the server, no timing: the import either waits or has ended
            s.execute(text("SET LOCAL lock_timeout = '20s'"))  # a deadlock is detected within 1 s; this is the bound
            s.execute(update(Paper).where(Paper.doi == "10.1234/shared").values(url="https://example.org/shared"))
        thread.join(DEADLINE)
        assert not thread.is_alive() and replies, "the import did not finish"
        reply = replies[0]
        assert not isinstance(reply, Exception), f"the import failed: {reply!r}"
        assert reply.ok and "1 paper already known" in reply.text, reply.text
        with writer.session() as s:
            paper = s.scalars(select(Paper)).one()
            assert (paper.url, paper.abstract) == ("https://example.org/shared",
                                                   "The abstract the library brings, longer than none.")
            assert s.scalar(select(Feedback.paper_id)) == paper.id
    finally:
        thread.join(DEADLINE)
        writer.dispose()
        importer.dispose()
        watcher.dispose()
