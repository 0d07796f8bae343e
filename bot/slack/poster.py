"""Post digests to Slack: :class:`SlackPoster` implements :class:`bot.delivery.Poster`.

Layout (documented in docs/slack.md): one Block Kit message per channel and
day (the header ref, with 👍/👎 buttons per paper), and one thread reply per
paper under it. Reactions map to the thread replies: their refs
(``"<channel id>:<ts>"``) are stored in ``DeliveryItem.message_ref``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import InstallationStore

from bot.delivery import DigestPost, TargetUnreachable
from bot.slack.blocks import digest_message, paper_message

log = logging.getLogger(__name__)

PLATFORM = "slack"

#: Slack error codes after which posting to the target cannot succeed without a person acting.
UNREACHABLE_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "cannot_dm_bot",
    "user_not_found", "user_disabled", "user_not_visible", "account_inactive", "invalid_auth",
    "not_authed", "token_revoked", "token_expired", "missing_scope", "no_permission",
    "restricted_action", "team_access_not_granted", "ekm_access_denied", "not_allowed_token_type",
})


class SlackPostError(RuntimeError):
    """A Web API call failed after its retries (rate limits, connection errors, server errors).

    The message names the method and Slack's error code only, never a token.
    """


def web_client(token: str | None = None, base_url: str | None = None, *, rate_limit_retries: int = 3,
               connection_retries: int = 2, timeout: int = 30) -> WebClient:
    """A WebClient that retries 429s (after ``Retry-After`` seconds) and connection errors.

    Parameters
    ----------
    token : str, optional
        Bot token (``xoxb-…``); None for calls that pass their own (OAuth).
    base_url : str, optional
        Web API base URL, e.g. ``http://127.0.0.1:8080/api/`` for a local fake; Slack's by default.
        A trailing slash is added when missing.
    rate_limit_retries, connection_retries : int
        How many times a call is retried on HTTP 429 and on connection errors.
    timeout : int
        Per-request timeout, seconds.
    """
    kwargs = {}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return WebClient(
        token=token,
        timeout=timeout,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
            ConnectionErrorRetryHandler(max_retry_count=connection_retries),
        ],
        **kwargs,
    )


def make_ref(channel: str, ts: str) -> str:
    """A Slack message reference, ``"<channel id>:<ts>"``."""
    return f"{channel}:{ts}"


def split_ref(ref: str) -> tuple[str, str]:
    """``"C123:1700000000.000100"`` → ``("C123", "1700000000.000100")``; raises ValueError otherwise."""
    channel, sep, ts = ref.partition(":")
    if not sep or not channel or not ts:
        raise ValueError(f"not a Slack message ref: {ref!r}")
    return channel, ts


class SlackPoster:
    """Posts digests with chat.postMessage (DMs via conversations.open first).

    Parameters
    ----------
    client : WebClient, optional
        Single-workspace mode: a client holding the bot token (see :func:`web_client`).
    installations : InstallationStore, optional
        OAuth mode: each target's workspace bot token is looked up here.
    base_url : str, optional
        Web API base URL for the per-workspace clients of OAuth mode.
    client_factory : callable, optional
        OAuth mode: makes the client for a bot token (default :func:`web_client`).

    Notes
    -----
    ``post`` is idempotent per paper: papers with a recorded reference are
    skipped and a recorded header is reused, so a retried post is never doubled.
    Rate limits and connection errors are retried by the client; a call that
    still fails raises :class:`SlackPostError`, and Slack errors that mean the
    target cannot be posted to (``channel_not_found``, ``not_in_channel``,
    ``is_archived``, a revoked token…) raise
    :class:`bot.delivery.TargetUnreachable`. What was posted before stays recorded on the post.
    """

    platform = PLATFORM

    def __init__(self, client: WebClient | None = None, *, installations: InstallationStore | None = None,
                 base_url: str | None = None,
                 client_factory: Callable[[str], WebClient] | None = None):
        if client is None and installations is None:
            raise ValueError("SlackPoster needs a client (single workspace) or an installation store (OAuth)")
        self._client = client
        self._installations = installations
        self._factory = client_factory or (lambda token: web_client(token, base_url))
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def client_for(self, workspace: str) -> WebClient:
        """The client posting into ``workspace`` (team id).

        Raises
        ------
        TargetUnreachable
            In OAuth mode, when the app is not installed in that workspace.
        """
        if self._installations is None:
            assert self._client is not None
            return self._client
        bot = self._installations.find_bot(enterprise_id=None, team_id=workspace)
        if bot is None or not bot.bot_token:
            raise TargetUnreachable(f"slack app not installed in workspace {workspace}")
        with self._lock:
            client = self._clients.get(bot.bot_token)
            if client is None:
                client = self._clients[bot.bot_token] = self._factory(bot.bot_token)
        return client

    def post(self, post: DigestPost) -> None:
        """Post a digest: the header message, then a thread reply per paper not yet posted.

        Parameters
        ----------
        post : DigestPost
            A channel target (``ref`` is the channel id) or a member (``ref`` is the
            user id: a DM). References (``"<channel id>:<ts>"``) are recorded on it
            as soon as each message is accepted; a recorded header is reused.

        Raises
        ------
        TargetUnreachable
            The channel or user cannot be posted to.
        SlackPostError
            Any other failure after retries; references recorded so far are kept.
        """
        target = post.target
        method = "auth"
        try:
            client = self.client_for(target.workspace)
            if post.header_ref is None:
                if target.kind == "member":
                    method = "conversations.open"
                    channel = client.conversations_open(users=target.ref)["channel"]["id"]
                else:
                    channel = target.ref
                text, blocks = digest_message(post.digest, delivery_id=post.delivery_id)
                method = "chat.postMessage"
                resp = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
                post.posted_header(make_ref(resp["channel"], resp["ts"]))
            channel, thread_ts = split_ref(post.header_ref)
            method = "chat.postMessage"
            for n, pick in post.unposted():
                text, blocks = paper_message(pick, n)
                resp = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                               unfurl_links=False, unfurl_media=False)
                post.posted_paper(pick.paper_id, make_ref(resp["channel"], resp["ts"]))
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            status = exc.response.status_code if exc.response is not None else None
            if error in UNREACHABLE_ERRORS:
                raise TargetUnreachable(f"slack {method}: {error}") from None
            raise SlackPostError(f"slack {method} failed: {error or f'HTTP {status}'}") from None
        except (URLError, OSError) as exc:
            raise SlackPostError(f"slack {method} failed: {type(exc).__name__}") from None
