"""The Slack side of ``paperbot run``: :class:`SlackRuntime` (a :class:`bot.runtime.ChatRuntime`).

Two ways to run, chosen by ``Settings.slack.mode``:

``socket``
    One workspace, no public URL: Socket Mode with ``SLACK_APP_TOKEN`` (``xapp-…``)
    and ``SLACK_BOT_TOKEN`` (``xoxb-…``).
``http``
    An HTTP endpoint on ``Settings.slack.port`` (``/slack/events``), every request
    verified with ``SLACK_SIGNING_SECRET``. With ``SLACK_CLIENT_ID`` and
    ``SLACK_CLIENT_SECRET`` it serves the OAuth install flow too
    (``/slack/install``, ``/slack/oauth_redirect``) for many workspaces;
    otherwise one workspace with ``SLACK_BOT_TOKEN``.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt import App

from bot.commands import Commands
from bot.delivery import Poster
from bot.slack.app import SlackConfigError, SlackHTTPServer, build_app, serve_http
from bot.slack.poster import SlackPoster, web_client
from recommender.settings import Secrets, Settings

log = logging.getLogger(__name__)


class SlackRuntime:
    """A running Slack adapter.

    Parameters
    ----------
    app : slack_bolt.App
        The app from :func:`bot.slack.app.build_app`.
    poster : SlackPoster
        Posts digests (channel and DM).
    mode : str
        ``"socket"`` or ``"http"``.
    app_token : str, optional
        Socket Mode's app-level token.
    host, port : str, int
        Where HTTP mode listens.
    """

    name = "slack"

    def __init__(self, app: App, poster: SlackPoster, *, mode: str, app_token: str | None = None,
                 host: str = "0.0.0.0", port: int = 3000):
        if mode == "socket" and not app_token:
            raise SlackConfigError("Socket Mode needs SLACK_APP_TOKEN")
        self.app = app
        self.poster = poster
        self.mode = mode
        self._app_token = app_token
        self.host, self.port = host, port
        self._socket = None
        self.server: SlackHTTPServer | None = None

    def posters(self) -> dict[str, Poster]:
        """``{"slack": SlackPoster}``."""
        return {self.poster.platform: self.poster}

    async def start(self) -> None:
        """Connect the websocket (socket mode) or start the HTTP server; returns once started.

        Raises
        ------
        OSError
            HTTP mode: the port cannot be bound.
        slack_sdk.errors.SlackApiError
            Socket mode: the app-level token is refused.
        """
        if self.mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            self._socket = SocketModeHandler(self.app, self._app_token)
            await asyncio.to_thread(self._socket.connect)
            log.info("slack socket mode connected")
        else:
            self.server = await asyncio.to_thread(serve_http, self.app, self.host, self.port)

    async def stop(self) -> None:
        """Disconnect / stop serving; requests in flight finish."""
        if self._socket is not None:
            await asyncio.to_thread(self._socket.close)
            self._socket = None
        if self.server is not None:
            await asyncio.to_thread(self.server.close)
            self.server = None


def create_runtime(commands: Commands, settings: Settings, secrets: Secrets | None = None, *, host: str = "0.0.0.0") -> SlackRuntime:
    """The Slack runtime ``paperbot run`` starts, configured from settings and the environment.

    Parameters
    ----------
    commands : Commands
        The command layer (its store also holds the OAuth installations).
    settings : Settings
        ``settings.slack``: mode (``socket``/``http``), port, api_url.
    secrets : Secrets, optional
        Read from the environment when omitted.
    host : str
        HTTP mode's interface.

    Raises
    ------
    SlackConfigError
        A secret the mode needs is missing; the message names the variables, never values.
    """
    secrets = secrets or Secrets()
    mode = settings.slack.mode
    if mode == "socket":
        missing = [n for n, v in (("SLACK_BOT_TOKEN", secrets.slack_bot_token), ("SLACK_APP_TOKEN", secrets.slack_app_token)) if not v]
        if missing:
            raise SlackConfigError("Socket Mode needs " + " and ".join(missing))
        app = build_app(commands, settings, secrets=secrets)
        poster = SlackPoster(app.client, store=commands.store)
        return SlackRuntime(app, poster, mode="socket", app_token=secrets.slack_app_token.get_secret_value())
    if not secrets.slack_signing_secret:
        raise SlackConfigError("HTTP mode needs SLACK_SIGNING_SECRET")
    if secrets.slack_client_id and secrets.slack_client_secret:
        app = build_app(commands, settings, secrets=secrets, oauth=True)
        poster = SlackPoster(installations=app.installation_store, base_url=settings.slack.api_url, store=commands.store)
    elif secrets.slack_bot_token:
        app = build_app(commands, settings, secrets=secrets)
        poster = SlackPoster(app.client, store=commands.store)
    else:
        raise SlackConfigError("HTTP mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (many workspaces) or SLACK_BOT_TOKEN (one)")
    return SlackRuntime(app, poster, mode="http", host=host, port=settings.slack.port)


__all__ = ["SlackRuntime", "create_runtime", "web_client"]
