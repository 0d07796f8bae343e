"""Two runs of the inbox job at once (two schedulers on one database, or run --once beside one): a file one run
took is no error for the other, and a new file under a name the other took waits for the next run."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.service.ingest_jobs import run_source
from bot.settings import InboxSource
from recommender.store import Digest
from recommender.store.models import SourceRun

UTC = dt.UTC


def count(store, col) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(col))) or 0


def runs(store, name) -> list[SourceRun]:
    with store.session() as s:
        return list(s.scalars(select(SourceRun).where(SourceRun.source == name).order_by(SourceRun.id)))


@pytest.mark.parametrize("when", ["before reading", "before moving"])
def test_inbox_file_taken_by_another_run_is_no_error(store, sample_digests, tmp_path, monkeypatch, when):
    """Two schedulers on one database both run the inbox job: whichever moves a file second found it
    gone. Its papers are stored once and neither run records an error (an ops trial saw `cannot move`)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = "001_22f0a1ce284fcda3.txt"
    (inbox / name).write_bytes((sample_digests / name).read_bytes())
    spec = InboxSource(name="drop", path=inbox, settle_seconds=0)
    now = dt.datetime(2026, 3, 2, 6, tzinfo=UTC)

    def the_other_run_first(*_args, **_kwargs):
        monkeypatch.undo()  # the other run moves the file with the real filesystem calls
        other = run_source(store, spec, now=now)
        assert other.moved == {name: "done"} and other.status == "ok"

    if when == "before reading":
        monkeypatch.setattr(Path, "read_bytes", lambda self: (the_other_run_first(), self.read_bytes())[1])
    else:
        real_move = shutil.move
        monkeypatch.setattr(shutil, "move", lambda src, dst: (the_other_run_first(), real_move(src, dst))[1])
    result = run_source(store, spec, now=now)

    assert result.errors == [] and result.status in ("ok", "empty")
    assert (inbox / "done" / name).exists() and not (inbox / "failed").exists()
    assert [r.status for r in runs(store, "drop")] == ["ok", result.status]
    assert count(store, Digest.id) == 1


def test_a_new_file_under_a_name_another_run_took_is_left_for_the_next_run(store, sample_digests, tmp_path):
    """Review: run B read `today.txt`; while B stored its digest, run A took the file and a new `today.txt`
    came: B must not move the new, unread file to done/."""
    from sqlalchemy import event

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first, second = "000_c6f8620f3de3774f.txt", "001_22f0a1ce284fcda3.txt"
    (inbox / "today.txt").write_bytes((sample_digests / first).read_bytes())
    spec = InboxSource(name="drop", path=inbox, settle_seconds=0)
    now = dt.datetime(2026, 3, 2, 6, tzinfo=UTC)

    pending = [True]

    def the_other_run_then_a_new_file(_conn):  # B's digest is committed, its file not moved yet
        if pending and pending.pop():
            assert run_source(store, spec, now=now).moved == {"today.txt": "done"}
            (inbox / "today.txt").write_bytes((sample_digests / second).read_bytes())

    event.listen(store.engine, "commit", the_other_run_then_a_new_file)
    try:
        result = run_source(store, spec, now=now)
    finally:
        event.remove(store.engine, "commit", the_other_run_then_a_new_file)
    assert not pending
    assert result.errors == [] and (inbox / "today.txt").read_bytes() == (sample_digests / second).read_bytes()
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["today.txt"]
    later = run_source(store, spec, now=now + dt.timedelta(minutes=10))
    assert later.moved == {"today.txt": "done"} and later.new_papers > 0 and count(store, Digest.id) == 2
