"""What the console adapter prints when ``paperbot run``'s posting threads post many digests at once:
each digest (its header, then its papers) as one block, which paper is whose read from the block."""

from __future__ import annotations

import io
import re
import threading

import pytest
from rich.console import Console
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.console import ConsoleRuntime
from bot.service.context import JobContext
from bot.service.workers import DigestWorkers
from recommender.store import Channel, Delivery, Paper

CHANNELS = 20
SIZE = 3
TOPICS = ["diffusion models for video generation", "large language model reasoning", "graph neural networks",
          "reinforcement learning from human feedback", "speech recognition", "vision transformers",
          "retrieval augmented generation", "robot manipulation", "protein structure prediction", "code generation"]
HEADER = re.compile(r"Papers for #(ch\d+), ")
PAPER = re.compile(r"^(\d+)\. (.*)$")


class SharedTerminal(io.StringIO):
    """A terminal several posting threads write to. The first write of each thread waits (up to
    ``meet_seconds``, once) for a second thread to write too: two digests printing at the same time
    meet here, as they do at a slot many channels share; a digest printing alone goes on after the wait."""

    def __init__(self, meet_seconds: float):
        super().__init__()
        self.meeting = threading.Barrier(2, timeout=meet_seconds)
        self.met: set[int] = set()
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        if text and threading.get_ident() not in self.met:
            self.met.add(threading.get_ident())
            try:
                self.meeting.wait()
            except threading.BrokenBarrierError:  # nobody else was writing: the wait is over, for every thread
                pass
        with self.lock:
            return super().write(text)


def blocks(printed: str) -> dict[str, list[tuple[int, str]]]:
    """``{channel: [(position, title), ...]}``: the numbered lines printed under each channel's header, until
    the next header (a channel printed twice, or a line before the first header, fails the read)."""
    out: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for line in printed.splitlines():
        if header := HEADER.search(line):
            assert header[1] not in out, f"{header[1]} printed twice"
            current = out[header[1]] = []
        elif paper := PAPER.match(line):
            assert current is not None, f"a paper before any header: {line}"
            current.append((int(paper[1]), paper[2]))
    return out


@pytest.mark.strict_logs
def test_digests_printed_at_the_same_time_each_come_out_whole(papers_store, settings):
    """20 channels due at one slot, 4 posting threads: each header is followed by that channel's own papers,
    1..3 in order, and by nothing of another digest."""
    commands = Commands(papers_store, settings)
    for n in range(CHANNELS):
        commands.channel_setup(Caller("cli", "local", "ada", channel_ref=f"ch{n}", channel_name=f"ch{n}"),
                               time="00:00", timezone="UTC", size=SIZE, topic=TOPICS[n % len(TOPICS)])
    terminal = SharedTerminal(meet_seconds=3)
    runtime = ConsoleRuntime(Console(file=terminal, width=400, color_system=None))
    ctx = JobContext(papers_store, settings, runtime.posters(), [], recommender=commands.recommender)
    workers = DigestWorkers(ctx, threads=4)
    with papers_store.session() as s:
        ids = {c.name: c.id for c in s.scalars(select(Channel))}
    workers.submit([("channel", target_id, None) for target_id in ids.values()])
    workers.start()
    try:
        assert workers.wait_idle(120)
    finally:
        workers.close(10)

    printed = blocks(terminal.getvalue())
    with papers_store.session() as s:  # what each channel was sent, as recorded
        chosen = {name: [(item.position + 1, s.get_one(Paper, item.paper_id).title)
                         for item in s.scalar(select(Delivery).where(Delivery.target_kind == "channel",
                                                                    Delivery.target_id == target_id)).items]
                  for name, target_id in ids.items()}
        assert {d.status for d in s.scalars(select(Delivery))} == {"posted"}
    assert sorted(printed) == sorted(ids)
    for name in ids:
        assert [n for n, _ in printed[name]] == list(range(1, SIZE + 1)), f"#{name}: {printed[name]}"
        assert printed[name] == chosen[name], f"#{name}"
