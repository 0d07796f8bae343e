"""Slack's Events API callbacks kept before Bolt answers, so a process killed after its ``200`` loses none.

Bolt answers an event before its listener runs (the listener runs in Bolt's thread pool), and Slack
never sends again an event it got a ``200`` for. So :class:`Inbox` adds a global middleware, which
Bolt runs after its own (signature verification, authorization, ignoring the bot's own events) and
before any listener and any answer, over HTTP and in Socket Mode alike (Socket Mode acknowledges the
envelope once ``App.dispatch`` returned): an ``event_callback`` of a kind :meth:`Inbox.listen`
registered is stored (:func:`bot.commands.incoming.keep`) in one committed transaction before
``next()``. When it cannot be stored the middleware answers ``500``, so Slack delivers it again.

Kinds whose listener can only read about some events (a 👍 on a person's message) say which to keep,
so those need no write (on SQLite a write waits for a large import's write lock). The event is then
settled: in its effect's transaction (:func:`bot.commands.events.claim`), or when its
listener returns anything but :data:`FAILED` (done before, nothing to do, or done). A listener that
returns :data:`FAILED` (its warning logged) or raises leaves it kept.

:func:`replay_due` dispatches what is left again through the same app and listeners, once it waited
:data:`bot.commands.incoming.REPLAY_AFTER`: as Bolt's Socket Mode adapter hands it a callback (a
``BoltRequest`` of mode ``socket_mode``, whose body is JSON already verified), which is how Bolt's
request verification knows it is no HTTP request to check; requests over HTTP are verified as ever.
``paperbot run`` calls it at start and every :data:`SWEEP_SECONDS` (:func:`sweep`).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from slack_bolt import App, BoltRequest, BoltResponse

from bot.commands import incoming
from bot.commands.events import EventKey
from bot.slack.poster import PLATFORM

if TYPE_CHECKING:
    from bot.commands import Commands

log = logging.getLogger(__name__)

#: What a listener returns when handling its event failed (its warning logged): the event stays kept.
FAILED: Final = "failed"
#: The header a replayed request carries: how many times the event was dispatched again.
REPLAY_HEADER = "x-paperbot-replay"
#: Seconds between two looks for events to dispatch again while ``paperbot run`` runs.
SWEEP_SECONDS = 60.0
#: The request context's key saying its event is kept (received and stored, or dispatched again).
KEPT = "paperbot_event_kept"


def event_key(body: dict, kind: str) -> EventKey | None:
    """An Events API callback's event as the command layer records it (its ``event_id``, the same in every
    delivery); None when the body has none."""
    event_id = body.get("event_id")
    return EventKey(PLATFORM, str(event_id), kind) if event_id else None


class Inbox:
    """The events of ``app`` that :meth:`listen` registered listeners for, kept until settled.

    Parameters
    ----------
    app : slack_bolt.App
        Gets the keeping middleware at once (after Bolt's own).
    commands : Commands
        Its store holds ``incoming_events``; its clock dates them.
    """

    def __init__(self, app: App, commands: Commands):
        self.app = app
        self.commands = commands
        self.kinds: dict[str, Callable[[dict, dict], bool]] = {}
        app.middleware(self._keep)

    def listen(self, *kinds: str, keeps: Callable[[dict, dict], bool] = lambda event, context: True,
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a listener for the events ``kinds`` (``app.event``) whose deliveries are kept when
        ``keeps(event, context)`` (one the listener can only read about, a 👍 on a person's message, is not:
        keeping is a write), and then settled when it returns anything but :data:`FAILED`. The listener must
        take ``body`` and ``context`` (Bolt injects arguments by name)."""

        def register(listener: Callable[..., Any]) -> Callable[..., Any]:
            if not {"body", "context"} <= set(inspect.signature(listener).parameters):
                raise TypeError(f"{listener.__name__} must take body and context: its event is settled by its id")

            @functools.wraps(listener)  # Bolt reads the arguments to inject from the wrapped listener
            def settling(**kwargs: Any) -> None:
                if listener(**kwargs) is FAILED or not kwargs["context"].get(KEPT):
                    return
                body = kwargs["body"]
                key = event_key(body, (body.get("event") or {}).get("type") or "")
                if key is None:
                    return
                try:
                    incoming.settle(self.commands, key)
                except Exception as exc:  # dispatched again later, it finds the event done or nothing to do
                    log.warning("slack event not settled", extra={"event_id": key.event_id, "kind": key.kind,
                                                                  "error": f"{type(exc).__name__}: {exc}"})

            for kind in kinds:
                self.app.event(kind)(settling)
                self.kinds[kind] = keeps
            return listener

        return register

    def _keep(self, body: dict, request: BoltRequest, context: dict, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002 - Bolt injects it by this name
        """Bolt global middleware: store an event callback a listener of :meth:`listen` keeps, then ``next()``."""
        event = body.get("event") or {}
        kind = event.get("type") or ""
        key = event_key(body, kind)
        if request.mode == "socket_mode" and request.headers.get(REPLAY_HEADER):  # replay_due's: kept already
            context[KEPT] = True
        if (body.get("type") != "event_callback" or key is None or kind not in self.kinds or context.get(KEPT)
                or not self.kinds[kind](event, context)):
            next()
            return None
        workspace = body.get("team_id") or context.get("team_id") or body.get("enterprise_id")
        try:
            incoming.keep(self.commands, key, workspace, json.dumps(body), self.commands.clock())
        except Exception as exc:  # not stored: answered 500, so Slack delivers it again
            log.warning("slack event not kept", extra={"event_id": key.event_id, "kind": kind,
                                                       "error": f"{type(exc).__name__}: {exc}"})
            return BoltResponse(status=500, body="")
        context[KEPT] = True
        next()
        return None


def replay_due(app: App, commands: Commands) -> int:
    """Dispatch again, through ``app``'s listeners, the kept events due (:func:`bot.commands.incoming.take_due`);
    log those dropped at WARNING. Returns how many were dispatched (their listeners may still be running:
    Bolt runs them in its thread pool unless ``process_before_response``).

    Raises
    ------
    sqlalchemy.exc.SQLAlchemyError
        The kept events could not be read.
    """
    due, dropped = incoming.take_due(commands, PLATFORM, commands.clock())
    for pending in dropped:
        log.warning("slack event dropped", extra={
            "event_id": pending.event.event_id, "kind": pending.event.kind, "team": pending.workspace,
            "received_at": pending.received_at.isoformat(), "replays": pending.replays})
    for pending in due:
        log.info("slack event replayed", extra={
            "event_id": pending.event.event_id, "kind": pending.event.kind, "team": pending.workspace,
            "received_at": pending.received_at.isoformat(), "replay": pending.replays})
        app.dispatch(BoltRequest(body=json.loads(pending.payload), mode="socket_mode",
                                 headers={REPLAY_HEADER: str(pending.replays)}))
    return len(due)


def sweep(app: App, commands: Commands, stop: threading.Event, every: float = SWEEP_SECONDS) -> None:
    """:func:`replay_due` now and every ``every`` seconds until ``stop`` is set (a thread's target); an error is
    logged as a warning and the next sweep tries again."""
    while True:
        try:
            replay_due(app, commands)
        except Exception as exc:
            log.warning("slack event replay failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        if stop.wait(every):
            return


__all__ = ["FAILED", "KEPT", "REPLAY_HEADER", "SWEEP_SECONDS", "Inbox", "event_key", "replay_due", "sweep"]
