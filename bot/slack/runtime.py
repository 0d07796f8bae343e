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
import socket
import threading
from collections.abc import Callable
from urllib.error import URLError
from urllib.parse import urlsplit

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler

from bot.commands import Commands
from bot.delivery import Poster
from bot.runtime import AdapterStartError
from bot.settings import Secrets, Settings
from bot.slack.app import SlackConfigError, build_app
from bot.slack.http import SlackHTTPServer, serve_http
from bot.slack.inbox import sweep
from bot.slack.poster import PLATFORM, SlackPoster, web_client

log = logging.getLogger(__name__)

#: How long the start-up ``auth.test`` waits for Slack, seconds (no retry on connection errors).
AUTH_CHECK_TIMEOUT = 10
#: The start-up check's own client logs nothing: its failure is reported as one error line.
_check_log = logging.getLogger("bot.slack.auth_check")
_check_log.setLevel(logging.CRITICAL)
_check_log.propagate = False

#: auth.test / apps.connections.open errors meaning the token itself is wrong.
REFUSED = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
                     "not_allowed_token_type", "invalid_token"})


class SlackStartError(AdapterStartError):
    """Slack could not start: token refused, slack.com unreachable, port taken. No secret in the message."""


def _unreachable(base_url: str, exc: BaseException) -> str:
    """``cannot reach slack.com (Name or service not known)`` from a urllib/socket error."""
    host = urlsplit(base_url).netloc or base_url
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, (TimeoutError, socket.timeout)):
        why = "timed out"
    elif isinstance(reason, OSError) and reason.strerror:
        why = reason.strerror
    else:
        why = str(reason) or type(reason).__name__
    return f"cannot reach {host} ({why})"


def _refused(exc: SlackApiError, variable: str) -> str:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    code = data.get("error") or f"HTTP {exc.response.status_code}"
    if code in REFUSED:
        return f"the token was refused ({code}): check {variable}"
    return f"Slack answered {code}"


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
        Where HTTP mode listens; port 0 binds a free port, given by ``server.port`` once started.
    listen : bool
        False for ``paperbot run --once``: the token is checked and digests are posted, but no HTTP
        port is bound and no Socket Mode connection opened (the running service beside it has them).
    present : callable, optional
        Called with the workspace (team id) the bot token's ``auth.test`` names (``Commands.bot_present``):
        a token that works shows the app installed there, so what its uninstall paused resumes, as a new
        installation does with OAuth (:mod:`bot.pauses`).
    commands : Commands, optional
        Listening, the events a killed or failed delivery left kept are dispatched again from its store, once
        started and every minute (thread ``slack-inbox``, :func:`bot.slack.inbox.sweep`).
    """

    name = "slack"

    def __init__(self, app: App, poster: SlackPoster, *, mode: str, app_token: str | None = None,
                 host: str = "0.0.0.0", port: int = 3000, listen: bool = True,
                 present: Callable[[str], object] | None = None, commands: Commands | None = None):
        if mode == "socket" and not app_token:
            raise SlackConfigError("Socket Mode needs SLACK_APP_TOKEN")
        self.app = app
        self.poster = poster
        self.mode = mode
        self._app_token = app_token
        self.host, self.port = host, port
        self.listen = listen
        self._present = present
        self._socket = None
        self.server: SlackHTTPServer | None = None
        self._commands = commands
        self._stop_sweep = threading.Event()
        self._sweeper: threading.Thread | None = None

    def posters(self) -> dict[str, Poster]:
        """``{"slack": SlackPoster}``."""
        return {self.poster.platform: self.poster}

    async def start(self) -> None:
        """Check the bot token, then connect the websocket (socket mode) or start the HTTP server.

        Returns once started. The bot token (single workspace) is checked with one
        ``auth.test`` call, without the connection retries digests get, so a wrong
        token or an unreachable Slack fails at once with a one-line error. On
        failure nothing is left open.

        Raises
        ------
        SlackStartError
            The bot or app-level token was refused, Slack cannot be reached, or
            (HTTP mode) the port cannot be bound.
        """
        if self.app.client.token:
            team = await asyncio.to_thread(self._check_token)
            if team and self._present is not None:
                try:
                    await asyncio.to_thread(self._present, team)
                except Exception as exc:  # a database error: the service's own start says so
                    log.warning("app return failed", extra={"team": team, "error": f"{type(exc).__name__}: {exc}"})
        if not self.listen:
            log.info("slack posting only: not listening", extra={"mode": self.mode})
            return
        if self.mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(self.app, self._app_token)
            try:
                await asyncio.to_thread(handler.connect)
            except Exception as exc:
                await asyncio.to_thread(handler.close)
                if isinstance(exc, SlackApiError):
                    why = _refused(exc, "SLACK_APP_TOKEN (the app-level xapp-… token, scope connections:write)")
                elif isinstance(exc, (URLError, OSError)):
                    why = _unreachable(self.app.client.base_url, exc)
                else:
                    why = f"{type(exc).__name__}: {exc}"
                raise SlackStartError(f"Slack Socket Mode connection failed: {why}") from exc
            self._socket = handler
            log.info("slack socket mode connected")
        else:
            try:
                self.server = await asyncio.to_thread(serve_http, self.app, self.host, self.port)
                self.port = self.server.port  # the one bound, when asked for port 0
            except OSError as exc:
                raise SlackStartError(
                    f"Slack HTTP mode cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from exc
        if self._commands is not None:  # events a killed process left, dispatched again beside live ones
            self._stop_sweep.clear()
            self._sweeper = threading.Thread(target=sweep, args=(self.app, self._commands, self._stop_sweep),
                                             name="slack-inbox", daemon=True)
            self._sweeper.start()

    def _check_token(self) -> str | None:
        """One ``auth.test`` with the bot token (rate limits retried once, connection errors not); its team id."""
        client = self.app.client
        checker = WebClient(token=client.token, base_url=client.base_url, timeout=AUTH_CHECK_TIMEOUT,
                            logger=_check_log, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
        try:
            answer = checker.auth_test()
        except SlackApiError as exc:
            raise SlackStartError(
                f"Slack auth.test failed: {_refused(exc, 'SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-…)')}"
            ) from exc
        except (URLError, OSError) as exc:
            raise SlackStartError(f"Slack auth.test failed: {_unreachable(client.base_url, exc)}") from exc
        log.info("slack token ok", extra={"team": answer.get("team_id"), "bot_user": answer.get("user_id")})
        return answer.get("team_id")

    async def stop(self) -> None:
        """Disconnect / stop serving; requests in flight finish."""
        if self._sweeper is not None:
            self._stop_sweep.set()
            await asyncio.to_thread(self._sweeper.join, 10)
            self._sweeper = None
        if self._socket is not None:
            await asyncio.to_thread(self._socket.close)
            self._socket = None
        if self.server is not None:
            await asyncio.to_thread(self.server.close)
            self.server = None


def create_runtime(commands: Commands, settings: Settings, secrets: Secrets | None = None, *, host: str = "0.0.0.0",
                   listen: bool = True) -> SlackRuntime:
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
    listen : bool
        False: post only (``run --once``), see :class:`SlackRuntime`.

    Raises
    ------
    SlackConfigError
        A secret the mode needs is missing; the message names the variables, never values.
    """
    secrets = secrets or Secrets()
    mode = settings.slack.mode

    def present(team: str) -> None:
        commands.bot_present(PLATFORM, team)

    if mode == "socket":
        missing = [n for n, v in (("SLACK_BOT_TOKEN", secrets.slack_bot_token), ("SLACK_APP_TOKEN", secrets.slack_app_token)) if not v]
        if missing:
            raise SlackConfigError("Socket Mode needs " + " and ".join(missing))
        app = build_app(commands, settings, secrets=secrets, token_verification=False)  # checked by start()
        poster = SlackPoster(app.client)
        return SlackRuntime(app, poster, mode="socket", app_token=secrets.slack_app_token.get_secret_value(), listen=listen,
                            present=present, commands=commands)
    if not secrets.slack_signing_secret:
        raise SlackConfigError("HTTP mode needs SLACK_SIGNING_SECRET")
    if secrets.slack_client_id and secrets.slack_client_secret:
        app = build_app(commands, settings, secrets=secrets, oauth=True)
        poster = SlackPoster(installations=app.installation_store, base_url=settings.slack.api_url)
    elif secrets.slack_bot_token:
        app = build_app(commands, settings, secrets=secrets, token_verification=False)  # checked by start()
        poster = SlackPoster(app.client)
    else:
        raise SlackConfigError("HTTP mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (many workspaces) or SLACK_BOT_TOKEN (one)")
    return SlackRuntime(app, poster, mode="http", host=host, port=settings.slack.port, listen=listen, present=present,
                        commands=commands)


__all__ = ["SlackRuntime", "SlackStartError", "create_runtime", "web_client"]
