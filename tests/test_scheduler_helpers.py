"""Helpers shared by the scheduler and run tests (no tests here): a recording poster and a small team."""

from __future__ import annotations

import threading

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget
from bot.digest import DigestMessage
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

    def post(self, target: DeliveryTarget, digest: DigestMessage, header_ref):
        with self.lock:
            self.calls += 1
            call = self.calls
        if header_ref is None:
            with self.lock:
                self.headers.append((target.kind, target.id, digest.day.isoformat()))
            header_ref = f"h:{target.kind}:{target.id}:{digest.day}"
            digest.header_ref = header_ref  # kept by delivery even if a later item fails
        for n, item in enumerate(digest.items):
            if item.message_ref is not None:
                continue
            if self.fail is not None:
                exc = self.fail(call, n)
                if exc is not None:
                    raise exc
            with self.lock:
                self.posts.append((target.kind, target.id, digest.day.isoformat(), item.paper_id))
            item.message_ref = f"m:{target.kind}:{target.id}:{item.paper_id}"
        return header_ref


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
