"""What the stored jobs of ``paperbot run`` run with: the process's :class:`JobContext`.

APScheduler stores a job as a function reference and plain arguments, so the
store, the posters and the settings reach the job through the context
installed with :func:`set_context`. Closing the context (:meth:`JobContext.close`)
is how shutdown stops taking work: a job that starts after it returns at once,
and the context stays installed, so a job APScheduler had already handed to its
thread pool finds a closed context rather than none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.delivery import Poster
from bot.service.ingest_jobs import Fetch
from bot.settings import Settings, SourceSettings
from recommender.picks import Recommender
from recommender.store import Store

if TYPE_CHECKING:  # annotations only: the scheduler and the workers import this module
    from apscheduler.schedulers.base import BaseScheduler

    from bot.service.workers import DigestWorkers

__all__ = ["JobContext", "set_context", "get_context"]


@dataclass
class JobContext:
    """What the stored jobs of this process run with.

    Attributes
    ----------
    store : Store
    settings : Settings
    posters : dict
        Poster per platform this process serves (``"slack"``, ``"discord"``,
        ``"cli"``...); digest jobs are scheduled only for these platforms.
    sources : list of SourceSettings
        The ``[[sources]]`` models (:meth:`bot.settings.Settings.ingest_sources`).
    scheduler : BaseScheduler or None
        The running scheduler (the sync job edits its jobs).
    fetch : callable or None
        HTTP fetch override for the sources (tests).
    workers : DigestWorkers or None
        The threads that post digests (``paperbot run``); None: jobs post in their own thread.
    owner : dict or None
        This scheduler's identity as stored with the ``sync`` job it owns (host, pid, a token
        of this start; :func:`bot.service.heartbeat.new_owner`), set by ``install_jobs``.
    """

    store: Store
    settings: Settings
    posters: dict[str, Poster]
    sources: list[SourceSettings] = field(default_factory=list)
    scheduler: BaseScheduler | None = None
    fetch: Fetch | None = None
    recommender: Recommender = None  # type: ignore[assignment]  # made by __post_init__
    workers: DigestWorkers | None = None
    owner: dict | None = None
    closed: threading.Event = field(default_factory=threading.Event)
    _running: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        if self.recommender is None:
            self.recommender = Recommender(self.store, self.settings.recommender)

    def close(self) -> None:
        """Stop taking work: jobs that start from now on return at once, retry waits end."""
        self.closed.set()

    @contextmanager
    def job(self) -> Iterator[None]:
        """Count a running job, so shutdown can wait for it."""
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job runs (True) or ``timeout`` seconds pass (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    def source(self, name: str) -> SourceSettings | None:
        return next((s for s in self.sources if s.name == name), None)


_context: JobContext | None = None


def set_context(ctx: JobContext | None) -> None:
    """Install the context the stored jobs of this process run with (``None`` to clear)."""
    global _context
    _context = ctx


def get_context() -> JobContext:
    """The installed context (possibly closed: then a job returns at once).

    Raises
    ------
    RuntimeError
        When no context is installed (a job ran outside ``paperbot run``).
    """
    if _context is None:
        raise RuntimeError("no JobContext installed: call bot.service.scheduler.set_context() before starting the scheduler")
    return _context
