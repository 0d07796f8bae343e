"""Inbox entries that are not plain digest files: a file named like the done/ or failed/ folder the inbox
moves files to, folders, and symbolic links to nothing. Nothing is overwritten or lost, nothing is skipped
in silence, and the other files are still ingested."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from sqlalchemy import func, select

from bot.service.ingest_jobs import run_source
from bot.settings import InboxSource
from recommender.store import Paper

NOW = dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC)


def api_digest(arxiv_id: str, title: str) -> bytes:
    return json.dumps([{"paper": {"id": arxiv_id, "title": title, "summary": "An abstract long enough to be one.",
                                  "authors": [{"name": "Ada Lovelace"}], "publishedAt": "2024-05-24T17:59:00Z"}}]).encode()


def papers(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(Paper.id)))


def inbox_run(store, inbox):
    return run_source(store, InboxSource(name="drop", path=inbox, settle_seconds=0), now=NOW)


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def test_files_named_done_and_failed_are_renamed_aside_and_ingested(store, inbox):
    (inbox / "done").write_bytes(api_digest("2405.00001", "A Digest Saved Without A Suffix"))
    (inbox / "failed").write_bytes(b'{"neither": "api nor feed"}')
    (inbox / "done_1").write_bytes(api_digest("2405.00002", "A File That Already Had The Name"))
    (inbox / "z.json").write_bytes(api_digest("2405.00003", "A Plain Digest File"))

    result = inbox_run(store, inbox)

    assert result.moved == {"done_1": "done", "done_2": "done", "failed_1": "failed", "z.json": "done"}
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["done_1", "done_2", "z.json"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == ["failed_1", "failed_1.error.txt"]
    assert (inbox / "done" / "done_1").read_bytes() == api_digest("2405.00002", "A File That Already Had The Name")
    assert (inbox / "done" / "done_2").read_bytes() == api_digest("2405.00001", "A Digest Saved Without A Suffix")
    assert papers(store) == 3 and result.status == "partial" and len(result.errors) == 1
    assert result.warnings == [
        f"{inbox / 'done'}: named like the inbox's done/ folder; renamed done_2",
        f"{inbox / 'failed'}: named like the inbox's failed/ folder; renamed failed_1",
    ]
    assert inbox_run(store, inbox).status == "empty"  # nothing left behind to break the next run


@pytest.mark.strict_logs
def test_folders_and_broken_links_are_warned_of_by_name_and_skipped(store, inbox, caplog):
    (inbox / "more papers").mkdir()
    (inbox / "more papers" / "inside.json").write_bytes(api_digest("2405.00009", "A Paper In A Subfolder"))
    os.symlink(inbox / "vanished.json", inbox / "gone.json")
    (inbox / ".hidden").mkdir()  # hidden entries stay unmentioned, as hidden files are
    (inbox / "z.json").write_bytes(api_digest("2405.00003", "A Plain Digest File"))

    result = inbox_run(store, inbox)

    assert (result.status, result.moved, result.errors) == ("ok", {"z.json": "done"}, [])
    assert result.warnings == [
        f"{inbox / 'gone.json'}: a symbolic link to nothing ({inbox / 'vanished.json'}); skipped",
        f"{inbox / 'more papers'}: a folder; skipped (folders in the inbox are not searched)",
    ]
    logged = [r for r in caplog.records if r.getMessage() == "inbox entry skipped"]
    assert [(r.levelname, r.entry) for r in logged] == [("WARNING", "gone.json"), ("WARNING", "more papers")]
    assert (inbox / "more papers" / "inside.json").exists() and os.path.islink(inbox / "gone.json")  # left as they were
    assert papers(store) == 1


@pytest.mark.strict_logs
def test_a_failed_file_is_named_where_it_was_moved_to(store, tmp_path, caplog):
    """The error of a file moved to ``failed/`` named its inbox path, where nothing is any more: the run's
    error, the log line and ``<name>.error.txt`` now name ``failed/<name>``, and the name it was given there
    when a failed file of that name is already kept (``bad.1.json``)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    spec = InboxSource(name="drop", path=inbox, settle_seconds=0)
    for kept in ("bad.json", "bad.1.json"):
        (inbox / "bad.json").write_text("{bad")
        caplog.clear()
        result = run_source(store, spec, now=NOW)
        now_at = inbox / "failed" / kept
        assert result.moved == {"bad.json": "failed"} and now_at.exists()
        assert result.errors == [f"bad.json: {now_at}:1: not valid JSON: Expecting property name enclosed in "
                                 "double quotes"]
        [logged] = [r for r in caplog.records if r.getMessage() == "inbox file failed"]
        assert (logged.file, logged.moved_to) == ("bad.json", f"failed/{kept}")
        assert logged.error.startswith(f"{now_at}:1: not valid JSON")
        assert now_at.with_name(kept + ".error.txt").read_text().startswith(f"{now_at}:1: not valid JSON")
        assert str(inbox / "bad.json") not in " ".join([*result.errors, logged.error])
