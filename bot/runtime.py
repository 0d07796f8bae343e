"""What a chat adapter hands to ``paperbot run``: its posters and its lifecycle.

The contract sits here, beside the adapters that implement it (``bot/slack``,
``bot/discord``, ``bot/console.py``), not in ``bot/service/`` that consumes it:
adapters never import the service, so imports keep one direction.

Delivery calls ``Poster.post`` from a worker thread (never on the event loop),
so an asyncio-based adapter (Discord) bridges into its loop with
``asyncio.run_coroutine_threadsafe(...).result(timeout)``.
"""

from __future__ import annotations

from typing import Protocol

from bot.delivery import Poster


class ChatRuntime(Protocol):
    """A running chat adapter.

    Attributes
    ----------
    name : str
        ``"slack"``, ``"discord"`` or ``"console"``.
    """

    name: str

    def posters(self) -> dict[str, Poster]:
        """Posters by platform name (``Member.platform`` / ``Channel.platform``)."""
        ...

    async def start(self) -> None:
        """Connect and begin serving; return once started (do not block forever)."""
        ...

    async def stop(self) -> None:
        """Disconnect; in-flight requests finish."""
        ...


class AdapterStartError(RuntimeError):
    """A chat adapter could not start: its token was refused, its service cannot be reached...

    The message is one line for the person running the bot, and never holds a
    secret. Adapters raise subclasses from ``start()`` (after closing what they
    opened); :func:`bot.service.run.serve` wraps anything else an adapter raises at start, keeping
    the original as ``__cause__`` (``paperbot run --log-level DEBUG`` prints it).
    """
