"""Helpers shared by the scheduler and run tests (no tests here): a recording poster and a small team."""

from __future__ import annotations

import threading

from bot.commands import Caller, Commands
from bot.delivery import DigestPost
from recommender.ingest import ingest


class RecordingPoster:
    """A Poster that records every item it posts (thread-safe); ``fail`` can raise mid-digest."""

    def __init__(self, platform: str = "cli", fail=None):
        self.platform = platform
        self.posts: list[tuple[str, int, str, int]] = []  # (kind, id, day, paper_id)
        self.headers: list[tuple[str, int, str]] = []
        self.calls = 0
        self.fail = fail  # callable(call number, items posted so far) -> exception or None
        self.lock = threading.Lock()

    def post(self, post: DigestPost) -> None:
        target, day = post.target, post.digest.day
        with self.lock:
            self.calls += 1
            call = self.calls
        if post.header_ref is None:
            with self.lock:
                self.headers.append((target.kind, target.id, day.isoformat()))
            post.posted_header(f"h:{target.kind}:{target.id}:{day}")  # kept by delivery even if a later item fails
        for position, pick in post.unposted():
            if self.fail is not None:
                exc = self.fail(call, position - 1)
                if exc is not None:
                    raise exc
            with self.lock:
                self.posts.append((target.kind, target.id, day.isoformat(), pick.paper_id))
            post.posted_paper(pick.paper_id, f"m:{target.kind}:{target.id}:{pick.paper_id}")


def who(name: str, channel: str | None = None) -> Caller:
    return Caller("cli", "local", name, display_name=name, channel_ref=channel, channel_name=channel)


def make_team(store, settings, sample_digests, *, ingest_papers: bool = True) -> dict:
    """#reading (Europe/Berlin 09:00) and @ada (America/New_York 08:00, subscribed); returns their ids."""
    if ingest_papers:
        ingest(store, [sample_digests / "000_c6f8620f3de3774f.txt"])
    cmds = Commands(store, settings)
    cmds.interests_add(who("ada"), "zero-shot learning with knowledge graphs")
    cmds.subscribe(who("ada"), "08:00", "America/New_York")
    cmds.channel_setup(who("ada", "reading"), time="09:00", timezone="Europe/Berlin", topic="graph neural networks")
    from sqlalchemy import select

    from recommender.store import Channel, Member

    with store.session() as s:
        return {"channel": s.scalar(select(Channel.id)), "member": s.scalar(select(Member.id)), "commands": cmds}
