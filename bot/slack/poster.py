"""Post digests to Slack: :class:`SlackPoster` implements :class:`bot.delivery.Poster`.

Layout (documented in docs/slack.md): one Block Kit message per channel and
day (the header ref, with 👍/👎 buttons per paper), and one thread reply per
paper under it. Reactions map to the thread replies: their refs
(``"<channel id>:<ts>"``) are stored in ``DeliveryItem.message_ref``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import NoReturn
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import InstallationStore

from bot.club import CLOSE, POLL
from bot.delivery import HEADER, DigestPost, Part, TargetUnreachable
from bot.delivery.club import ClubPost
from bot.pauses import APP_UNINSTALLED
from bot.slack.blocks import digest_message, paper_message
from bot.slack.club import poll_message, winner_message

log = logging.getLogger(__name__)

PLATFORM = "slack"
#: ``event_type`` of the metadata on every digest message.
METADATA_EVENT = "paperbot_digest"
#: Seconds subtracted from the first claim time when looking for earlier posts (our clock against Slack's).
CLOCK_SKEW_SECONDS = 300
#: Messages per page, and pages at most, read by a lookup.
LOOKUP_PAGE_SIZE = 200
LOOKUP_PAGES = 10

#: Slack error codes after which posting to the target cannot succeed without a person acting.
UNREACHABLE_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived", "cannot_dm_bot",
    "user_not_found", "user_disabled", "user_not_visible", "account_inactive", "invalid_auth",
    "not_authed", "token_revoked", "token_expired", "missing_scope", "no_permission",
    "restricted_action", "team_access_not_granted", "ekm_access_denied", "not_allowed_token_type",
    "messages_tab_disabled",  # a DM: the app's Messages tab is off; its person is told (bot.commands.dm_notice)
})
#: Of those, the errors that say the bot token itself is dead: the app was uninstalled from the workspace, or the
#: token revoked (its ``app_uninstalled`` / ``tokens_revoked`` event lost while paperbot was down), the workspace
#: deleted, or (an org-wide app) its access to the workspace withdrawn. Every channel and member of the workspace
#: pauses (:data:`bot.pauses.APP_UNINSTALLED`) until the app is installed again. Not ``not_authed`` (no token sent:
#: paperbot's own doing) nor ``token_expired`` (token rotation, which paperbot's app does not turn on).
DEAD_TOKEN_ERRORS = frozenset({"account_inactive", "invalid_auth", "token_revoked", "team_access_not_granted"})


class SlackPostError(RuntimeError):
    """A Web API call failed after its retries (rate limits, connection errors, server errors).

    The message names the method and Slack's error code only, never a token.
    """


def web_client(token: str | None = None, base_url: str | None = None, *, rate_limit_retries: int = 3,
               connection_retries: int = 2, timeout: int = 30) -> WebClient:
    """A WebClient that retries 429s (after ``Retry-After`` seconds) and connection errors.

    A ``chat.postMessage`` is retried after a connection error only when the
    connection was refused: after a reset or a lost answer Slack may have the
    message, and :class:`SlackPoster` looks it up instead of posting it twice.

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
            UnsentPostRetryHandler(max_retry_count=connection_retries),
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
    skipped and a recorded header is reused, so a retried post is never doubled;
    a message Slack accepted but nobody recorded is found by its metadata
    (:func:`find_header`, :func:`find_replies`) and adopted.
    Rate limits and connection errors are retried by the client (a
    ``chat.postMessage`` only when it never reached Slack); a call that
    still fails raises :class:`SlackPostError`, and Slack errors that mean the
    target cannot be posted to (``channel_not_found``, ``not_in_channel``,
    ``is_archived``, a revoked token…) raise
    :class:`bot.delivery.TargetUnreachable`, which pauses the workspace for a dead token (:data:`DEAD_TOKEN_ERRORS`).
    What was posted before stays recorded on the post.
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
        if bot is None or not bot.bot_token:  # uninstalled (bot.slack.app deletes its installation): nobody to post as
            raise TargetUnreachable(f"slack app not installed in workspace {workspace}", pause=APP_UNINSTALLED)
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

        Notes
        -----
        Every message carries :func:`metadata` naming the delivery and the part.
        On a resumed post, and whenever a post's answer is lost after it was sent,
        the header is looked for with ``conversations.history`` (from the first
        claim on) and the replies with ``conversations.replies``, and adopted when
        found instead of being posted again (:func:`find_posted`).

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
                method = "conversations.history"
                ts = find_header(client, post, channel) if post.resumed else None
                if ts is None:
                    method = "chat.postMessage"
                    text, blocks = digest_message(post.digest, delivery_id=post.delivery_id)
                    ts = _send(client, post, HEADER, channel=channel, text=text, blocks=blocks)
                post.posted_header(make_ref(channel, ts))
            channel, thread_ts = split_ref(post.header_ref)
            if post.resumed and post.unposted():
                method = "conversations.replies"
                for paper_id, ts in find_replies(client, post, channel, thread_ts).items():
                    post.posted_paper(paper_id, make_ref(channel, ts))
            method = "chat.postMessage"
            for n, pick in post.unposted():
                text, blocks = paper_message(pick, n, post.digest.mentions.get(pick.paper_id, ()))
                ts = _send(client, post, pick.paper_id, channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
                post.posted_paper(pick.paper_id, make_ref(channel, ts))
        except (SlackApiError, URLError, OSError) as exc:
            _raise_post_error(exc, method)

    def post_club(self, post: ClubPost) -> None:
        """Post a journal club poll (Block Kit with a vote button per paper) or its winner, once.

        The message carries :func:`metadata` like a digest header and is adopted, not
        posted again, when an earlier attempt's answer was lost (:func:`find_header`).
        A close then updates the poll message (``chat.update``) to its final count,
        without buttons.

        Raises
        ------
        TargetUnreachable, SlackPostError
            As :meth:`post`.
        """
        assert post.ballot is not None
        channel = post.target.ref
        method = "auth"
        try:
            client = self.client_for(post.target.workspace)
            if post.header_ref is None:
                method = "conversations.history"
                ts = find_header(client, post, channel) if post.resumed else None
                if ts is None:
                    method = "chat.postMessage"
                    text, blocks = poll_message(post.ballot) if post.stage == POLL else winner_message(post.ballot)
                    ts = _send(client, post, HEADER, channel=channel, text=text, blocks=blocks)
                post.posted_header(make_ref(channel, ts))
            if post.stage == CLOSE and post.poll_ref:
                method = "chat.update"
                _close_poll(client, post)
        except (SlackApiError, URLError, OSError) as exc:
            _raise_post_error(exc, method)


def _close_poll(client: WebClient, post: ClubPost) -> None:
    """Update the poll message to its final count, without buttons. A poll someone deleted
    (``message_not_found``) is left gone: the winner is posted by then, so the close is done."""
    assert post.ballot is not None and post.poll_ref is not None
    poll_channel, poll_ts = split_ref(post.poll_ref)
    text, blocks = poll_message(post.ballot)
    try:
        client.chat_update(channel=poll_channel, ts=poll_ts, text=text, blocks=blocks)
    except SlackApiError as exc:
        if exc.response is None or exc.response.get("error") != "message_not_found":
            raise
        log.info("club poll message gone", extra={"channel": poll_channel, "message_ref": post.poll_ref})


def _raise_post_error(exc: Exception, method: str) -> NoReturn:
    """Raise :class:`TargetUnreachable` or :class:`SlackPostError` for a failed Web API call (``method``)."""
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error") if exc.response is not None else None
        status = exc.response.status_code if exc.response is not None else None
        method = str(getattr(exc.response, "api_url", "") or method).rsplit("/", 1)[-1]  # the call that failed
        if error in UNREACHABLE_ERRORS:
            pause = APP_UNINSTALLED if error in DEAD_TOKEN_ERRORS else None
            raise TargetUnreachable(f"slack {method}: {error}", pause=pause) from None
        raise SlackPostError(f"slack {method} failed: {error or f'HTTP {status}'}") from None
    raise SlackPostError(f"slack {method} failed: {type(exc).__name__}") from None


# -- idempotent posts: metadata on every message, looked up before posting again ----------------------
def metadata(post: DigestPost, part: Part) -> dict:
    """The message metadata naming a digest's message: ``{event_type, event_payload: {delivery_id, part}}``,
    ``part`` being ``"header"`` or the paper id (https://docs.slack.dev/messaging/message-metadata)."""
    return {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": post.delivery_id, "part": part}}


def _is_part(message: dict, post: DigestPost, part: Part) -> bool:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return (meta.get("event_type") == METADATA_EVENT and str(payload.get("delivery_id")) == str(post.delivery_id)
            and str(payload.get("part")) == str(part))


def _send(client: WebClient, post: DigestPost, part: Part, **message) -> str:
    """``chat.postMessage`` with the part's metadata; its ts. When the answer is lost after the request
    was sent, the message is looked up (adopted if Slack has it) rather than posted again."""
    try:
        resp = client.chat_postMessage(metadata=metadata(post, part), unfurl_links=False, unfurl_media=False, **message)
    except (URLError, OSError) as exc:
        if _never_sent(exc):
            raise
        log.warning("slack answer lost after posting; looking the message up",
                    extra={"delivery_id": post.delivery_id, "part": str(part), "error": type(exc).__name__})
        channel, thread_ts = message["channel"], message.get("thread_ts")
        found = find_header(client, post, channel) if thread_ts is None else find_replies(client, post, channel, thread_ts).get(int(part))
        if found is None:
            raise
        return found
    return resp["ts"]


def find_header(client: WebClient, post: DigestPost, channel: str) -> str | None:
    """The ts of ``post``'s header in ``channel`` if Slack has it (an earlier attempt posted it unrecorded), else None.

    Reads ``conversations.history`` with ``include_all_metadata`` from
    ``post.first_claimed_at`` minus :data:`CLOCK_SKEW_SECONDS`, at most
    :data:`LOOKUP_PAGES` pages of :data:`LOOKUP_PAGE_SIZE`. A Slack error other
    than a rate limit or a server error (``missing_scope`` on an install without
    the history scopes, ``not_in_channel``) means no lookup is possible: logged, and None.
    """
    oldest = post.first_claimed_at.timestamp() - CLOCK_SKEW_SECONDS if post.first_claimed_at else 0.0
    pages = _pages(lambda: client.conversations_history(
        channel=channel, oldest=f"{oldest:.6f}", limit=LOOKUP_PAGE_SIZE, include_all_metadata=True), post, channel)
    return next((m["ts"] for m in pages if _is_part(m, post, HEADER)), None)


def find_replies(client: WebClient, post: DigestPost, channel: str, thread_ts: str) -> dict[int, str]:
    """``paper_id -> ts`` of ``post``'s unrecorded papers already in the thread ``thread_ts`` (``conversations.replies``).

    Same limits and errors as :func:`find_header`.
    """
    wanted = [pick.paper_id for _, pick in post.unposted()]
    pages = _pages(lambda: client.conversations_replies(
        channel=channel, ts=thread_ts, limit=LOOKUP_PAGE_SIZE, include_all_metadata=True), post, channel)
    found: dict[int, str] = {}
    for message in pages:
        for paper_id in wanted:
            if paper_id not in found and _is_part(message, post, paper_id):
                found[paper_id] = message["ts"]
    return found


def _pages(first_page, post: DigestPost, channel: str) -> Iterator[dict]:
    """The messages of up to :data:`LOOKUP_PAGES` pages (cursor pagination); nothing when Slack refuses the lookup."""
    try:
        for n, page in enumerate(first_page()):
            yield from page.get("messages") or []
            if n + 1 >= LOOKUP_PAGES:
                return
    except SlackApiError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status == 429 or (status or 0) >= 500:
            raise
        log.warning("slack lookup unavailable; posting without it", extra={
            "delivery_id": post.delivery_id, "channel": channel, "error": exc.response.get("error")})


def _never_sent(exc: BaseException) -> bool:
    """True when a connection error certainly happened before Slack saw the request (a refused connection)."""
    reason = exc.reason if isinstance(exc, URLError) else exc
    return isinstance(reason, ConnectionRefusedError)


class UnsentPostRetryHandler(ConnectionErrorRetryHandler):
    """Retries connection errors, but a ``chat.postMessage`` only when it never reached Slack: a reset or a
    lost answer after sending may mean Slack has the message, which :func:`_send` then looks up."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if "chat.postMessage" in request.url and error is not None and not _never_sent(error):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)
