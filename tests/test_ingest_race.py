"""Two ingests racing on PostgreSQL over the same new paper: both succeed and the paper is stored once.

The race is forced, not hoped for: the first ingest, inside its transaction (after its papers and entries are
written, before its commit), starts the second and waits until the second is done or waits on a lock held by
the first. Only then does the first commit.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from recommender.ingest import IngestResult, ingest_bytes
from recommender.store import DigestEntry, Paper, Store

TITLE = "Racing Writers Store One Paper"
SHARED = "Both Digests List This Paper"
ABSTRACT = "An abstract long enough to be an abstract, about papers two ingests store at the same time."
DEADLINE = 60  # seconds the first ingest waits for the second to block or finish before the test fails


def item(paper_id: str, title: str) -> dict:
    return {"paper": {"id": paper_id, "title": title, "summary": ABSTRACT, "authors": [{"name": "Ada Lovelace"}],
                      "publishedAt": "2024-05-24T17:59:00.000Z", "upvotes": 3},
            "publishedAt": "2024-05-27T01:00:00.000Z"}


def with_name(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def test_two_threads_ingesting_the_same_new_paper_store_it_once(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: an ingest's BEGIN IMMEDIATE waits for the other's commit")
    # The first digest knows the paper by title alone (a DOI id), the second by its arXiv id: stored one after
    # the other, the second merges into the first's row. Both also list one paper by the same arXiv id.
    first_digest = json.dumps([item("10.1234/race.1", TITLE), item("2405.09999", SHARED)]).encode()
    second_digest = json.dumps([item("2405.01234", TITLE), item("2405.09999", SHARED)]).encode()
    second_name = f"race_{uuid.uuid4().hex[:12]}"
    first, second = Store(db_url), Store(with_name(db_url, second_name))
    watcher = create_engine(db_url)
    second_result: list[IngestResult] = []
    second_done = threading.Event()

    def run_second() -> None:
        try:
            second_result.append(ingest_bytes(second, second_digest, "second.json"))
        finally:
            second_done.set()

    thread = threading.Thread(target=run_second)

    def hold_open(done: int, total: int) -> None:
        """Inside the first ingest's transaction: let the second run until it is done or blocked on us."""
        if thread.is_alive() or second_done.is_set():
            return  # a retried attempt: the race already happened
        thread.start()
        started = time.monotonic()
        while not second_done.wait(0.01):
            with watcher.connect() as conn:
                waiting = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                                           "AND wait_event_type = 'Lock'"), {"name": second_name})
            if waiting:
                return
            assert time.monotonic() - started < DEADLINE, "the second ingest neither finished nor waited on a lock"

    try:
        first_result = ingest_bytes(first, first_digest, "first.json", on_papers=hold_open)
        thread.join(DEADLINE)
        assert not thread.is_alive()
        assert [first_result.error, second_result[0].error] == [None, None]
        with first.session() as s:
            stored = s.execute(select(Paper.title, Paper.arxiv_id).order_by(Paper.title)).all()
            entries = s.scalar(select(func.count()).select_from(DigestEntry))
        assert stored == [(SHARED, "2405.09999"), (TITLE, "2405.01234")]  # each paper once, the title learned its id
        assert entries == 4
        assert first_result.new + second_result[0].new == 2
    finally:
        thread.join(DEADLINE)
        first.dispose()
        second.dispose()
        watcher.dispose()
