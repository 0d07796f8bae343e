"""Slack's HTTP mode served by Bolt's own WSGI adapter on waitress, in a background thread.

Routes: ``POST /slack/events`` (slash commands, buttons, events: every request
verified with the signing secret by Bolt), ``GET /slack/install`` and
``GET /slack/oauth_redirect`` (OAuth mode), all through
``slack_bolt.adapter.wsgi.SlackRequestHandler``; and ``GET /healthz``.

waitress accepts up to :data:`CONNECTION_LIMIT` connections at once with a
listen backlog of :data:`BACKLOG`, and answers from :data:`THREADS` worker
threads; Bolt acknowledges a command at once and runs its listener in its own
thread pool, so a burst of slash commands is acknowledged within Slack's 3 s
(``benchmarks/slack_burst.py`` measures it).
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import create_server, wasyncore

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
#: Worker threads answering requests.
THREADS = 16
#: Connections held open at once (waitress stops accepting beyond it; the backlog waits).
CONNECTION_LIMIT = 500
#: The listen backlog: connections the kernel queues before waitress accepts them.
BACKLOG = 1024
#: A request body larger than this (bytes) is refused with 413.
MAX_BODY_BYTES = 1 << 20
#: Seconds :meth:`SlackHTTPServer.close` lets requests in flight finish.
SHUTDOWN_SECONDS = 10


def wsgi_app(app: App):
    """The WSGI application: Bolt's adapter, plus ``GET /healthz`` answering ``ok``."""
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
            return [b"ok"]
        return bolt(environ, start_response)

    return application


class SlackHTTPServer:
    """A running HTTP endpoint for a Bolt app (waitress in a daemon thread); :meth:`close` stops it.

    Parameters
    ----------
    app : slack_bolt.App
    host : str
        Interface to bind (``127.0.0.1`` for local only, ``0.0.0.0`` for all).
    port : int
        TCP port; 0 binds a free one (see :attr:`port`).

    Raises
    ------
    OSError
        The address cannot be bound.
    """

    def __init__(self, app: App, host: str, port: int):
        self._map: dict = {}
        self._server = create_server(
            wsgi_app(app), map=self._map, host=host, port=port, threads=THREADS,
            connection_limit=CONNECTION_LIMIT, backlog=BACKLOG, max_request_body_size=MAX_BODY_BYTES,
            ident="paperbot", clear_untrusted_proxy_headers=True,
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="slack-http", daemon=True)

    @property
    def port(self) -> int:
        """The bound port (the one the kernel chose when asked for port 0)."""
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self._server.effective_host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=1.0, map=self._map, count=1)

    def close(self) -> None:
        """Stop accepting, let requests in flight finish (up to 10 s), then stop the thread."""
        accepting = threading.Event()
        self._server.trigger.pull_trigger(lambda: (wasyncore.dispatcher.close(self._server), accepting.set()))
        accepting.wait(SHUTDOWN_SECONDS)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=SHUTDOWN_SECONDS)
        self._stopping.set()
        self._server.pull_trigger()
        self._thread.join(SHUTDOWN_SECONDS)
        for channel in list(self._map.values()):
            channel.close()


def serve_http(app: App, host: str = "0.0.0.0", port: int = 3000) -> SlackHTTPServer:
    """Serve ``app`` over HTTP in a background thread and return the running server.

    Parameters
    ----------
    app : slack_bolt.App
        The app from :func:`bot.slack.app.build_app`.
    host : str
        Interface to bind.
    port : int
        TCP port; 0 picks a free one, logged and given by ``server.port``.

    Returns
    -------
    SlackHTTPServer
        Call ``close()`` to stop it.

    Raises
    ------
    OSError
        The address cannot be bound.
    """
    server = SlackHTTPServer(app, host, port)
    server.start()
    log.info("slack http endpoint listening", extra={"host": host, "port": server.port, "url": server.url})
    return server
