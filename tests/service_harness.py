"""Real ``paperbot run`` processes on a database of many targets due now (helpers, no tests here).

Used by ``tests/test_service_processes.py`` (small, bounded) and ``benchmarks/digest_survival.py``
(the issue's bars). Each target is a console channel ``#ch<n>`` whose digest slot passed a minute
ago, so a starting bot finds every digest due in the database; the console adapter prints each
digest's header, ``Papers for #ch<n>, <day>``, which is how a post is counted (a resumed
digest's ``(continued)`` line is not a second post). A :class:`TcpProxy`
in front of PostgreSQL drops every connection on demand (a database outage).

A bot killed mid-post leaves its claim to be taken over ``delivery.recovery_seconds`` after its
last heartbeat; the children run with a short one (``stale_seconds``) and a short ``sync``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import select as selectmod
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from recommender.ingest import ingest
from recommender.store import Channel, Delivery, Store
from recommender.store.models import utcnow

REPO = Path(__file__).resolve().parent.parent
SECRET_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
               "DISCORD_TOKEN")
#: A digest's header; a resumed digest prints "Papers for #chN, <day> (continued)" instead, not counted.
HEADER = re.compile(r"Papers for #(ch\d+), \w{3} \d{2} \w{3} \d{4}(?! \(continued\))")
#: The line a resumed digest prints above the papers it had left.
CONTINUED = re.compile(r"Papers for #(ch\d+), \w{3} \d{2} \w{3} \d{4} \(continued\)")
TOPICS = [
    "diffusion models for video generation", "large language model reasoning", "graph neural networks",
    "reinforcement learning from human feedback", "speech recognition", "vision transformers",
    "retrieval augmented generation", "robot manipulation", "protein structure prediction", "code generation",
]


def seed(url: str, n: int, samples: Path, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Papers from ``samples`` and ``n`` console channels ``ch0..`` whose 5-paper digest slot passed
    a minute ago (UTC); returns ``{name: channel id}``."""
    now = now or utcnow()
    store = Store(url)
    try:
        assert all(r.error is None for r in ingest(store, [samples]))
        slot = (now - dt.timedelta(minutes=1)).strftime("%H:%M")
        with store.session() as session:
            rows = [Channel(platform="cli", workspace="local", channel_ref=f"C{i}", name=f"ch{i}",
                            topic=TOPICS[i % len(TOPICS)], digest_time=slot, timezone="UTC", digest_size=5,
                            created_at=now - dt.timedelta(hours=1)) for i in range(n)]
            session.add_all(rows)
            session.flush()
            return {row.name: row.id for row in rows}
    finally:
        store.dispose()


def deliveries(url: str) -> dict[int, tuple[str, int]]:
    """``{channel id: (status, attempts)}`` of every channel delivery."""
    store = Store(url, migrate=False)
    try:
        with store.session() as session:
            rows = session.execute(select(Delivery.target_id, Delivery.status, Delivery.attempts)
                                   .where(Delivery.target_kind == "channel")).all()
        return {target: (status, attempts) for target, status, attempts in rows}
    finally:
        store.dispose()


def finished(url: str, n: int) -> bool:
    """Every one of the ``n`` channels has its digest posted (or empty)."""
    rows = deliveries(url)
    return len(rows) == n and all(status in ("posted", "empty") for status, _ in rows.values())


def wait_until(predicate, timeout: float, every: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


class BotProcess:
    """``paperbot run`` (or ``run --once``) in a child process; its printed headers and log lines, as they come.
    No chat secret of this environment reaches it; ``extra_env`` (secrets included) and ``args`` (after ``run``) are
    added."""

    def __init__(self, url: str, data_dir: Path, *, once: bool = False, stale_seconds: float = 2.0,
                 sync_seconds: float = 1.0, shutdown_seconds: float = 60.0, workers: int = 4,
                 extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()):
        data_dir.mkdir(parents=True, exist_ok=True)
        config = data_dir / "paperbot.toml"
        config.write_text(f'data_dir = "{data_dir.as_posix()}"\n')
        env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
        env.update(PAPERBOT_CONFIG=str(config), PYTHONUNBUFFERED="1", COLUMNS="200",
                   PAPERBOT_DELIVERY__RECOVERY_SECONDS=str(stale_seconds), PAPERBOT_SERVICE__SYNC_SECONDS=str(sync_seconds),
                   PAPERBOT_SERVICE__SHUTDOWN_SECONDS=str(shutdown_seconds), PAPERBOT_SERVICE__WORKERS=str(workers))
        env.update(extra_env or {})  # secrets too, given here only
        command = [sys.executable, "-m", "bot.cli", "--database-url", url, "run", "--no-bootstrap",
                   *(["--once"] if once else []), *args]
        self.proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.headers: list[str] = []
        self.continued: list[str] = []
        self.log: list[str] = []
        self._cond = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True),
                         threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, is_stdout: bool) -> None:
        for line in stream:
            with self._cond:
                if is_stdout:
                    self.headers.extend(HEADER.findall(line))
                    self.continued.extend(CONTINUED.findall(line))
                else:
                    self.log.append(line)
                self._cond.notify_all()

    def wait_for(self, predicate, timeout: float) -> bool:
        """Block until ``predicate(self)`` holds (True), the process ends, or ``timeout`` seconds pass."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self) or self.proc.poll() is not None, timeout) and predicate(self)

    def logged(self, text: str) -> bool:
        with self._cond:
            return any(text in line for line in self.log)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)
        self._drain()

    def terminate(self, timeout: float = 120) -> int:
        """SIGTERM, then the exit status (killed and an AssertionError when it does not exit in ``timeout`` seconds)."""
        self.proc.terminate()
        return self.wait(timeout)

    def wait(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
            self._drain()
            raise AssertionError(f"paperbot run did not exit within {timeout} s:\n{self.text()[-3000:]}") from None
        self._drain()
        return code

    def _drain(self) -> None:
        for reader in self._readers:
            reader.join(10)

    def text(self) -> str:
        with self._cond:
            return "".join(self.log)


def tally(*runs: BotProcess) -> Counter:
    """How many times each channel's header was printed across ``runs``."""
    return Counter(name for run in runs for name in run.headers)


def resumed_only(*runs: BotProcess) -> set[str]:
    """Channels whose digest printed its papers under a "(continued)" line and never its header.

    The console adapter records a header's reference before printing it, so that a lost record
    leaves the header unprinted rather than printed twice: when the connection drops after the
    server committed that record but before the client heard, the retry finds the header on
    record and prints the papers under "(continued)".
    """
    headers = {name for run in runs for name in run.headers}
    return {name for run in runs for name in run.continued} - headers


class TcpProxy:
    """A TCP proxy on 127.0.0.1 that can drop every connection and refuse new ones (:meth:`down`)."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()  # the server is "down": the connection is dropped at once
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = selectmod.select([a, b], [], [], 1.0)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with self._lock:
                    self._sockets.discard(sock)
                sock.close()

    def down(self) -> None:
        """Drop every open connection and refuse new ones until :meth:`up`."""
        self._up.clear()
        with self._lock:
            socks = list(self._sockets)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def up(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closed = True
        self.down()
        self.listener.close()
