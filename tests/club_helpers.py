"""Helpers for the journal club tests (no tests here): an injected clock, and 👍 given in a channel at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.store import Paper, Store

#: A Monday; the clubs of these tests meet on Mondays at 09:00 UTC.
MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A settable clock: ``clock()`` is the aware time now, ``clock.now = …`` moves it."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()


def paper_refs(store: Store, n: int) -> list[str]:
    """``#<id>`` references of the first ``n`` stored papers, each given a link (the samples carry none)."""
    with store.session() as s:
        papers = s.scalars(select(Paper).order_by(Paper.id).limit(n)).all()
        for paper in papers:
            paper.url = paper.url or f"https://papers.example/{paper.id}"
        return [f"#{p.id}" for p in papers]


def paper_id(store: Store, ref: str) -> int:
    """The id of a ``#<id>`` reference."""
    return int(ref.removeprefix("#"))


def paper_link(store: Store, ref: str) -> str:
    with store.session() as s:
        return s.get_one(Paper, paper_id(store, ref)).link


def like(commands: Commands, clock: Clock, user: str, ref: str, at: dt.datetime, *, platform: str = "console",
         workspace: str = "local", channel: str | None = "C1", value: int = 1) -> None:
    """``user`` 👍s (or 👎s) paper ``ref`` in ``channel`` at ``at`` (through the command layer)."""
    before = clock.now
    clock.now = at
    try:
        caller = Caller(platform, workspace, user, display_name=user, channel_ref=channel, channel_name="reading")
        assert commands.rate(caller, ref, value).ok
    finally:
        clock.now = before
