"""The Bolt app: Slack requests in, :class:`bot.commands.Commands` calls out.

Listeners only translate. ``/papers <text>`` goes to ``Commands.handle``; the
👍/👎 buttons to ``Commands.feedback``; 👍/👎 reactions to
``Commands.reaction``; journal club vote buttons to
``Commands.club_vote_button`` (then the poll message is updated); a file shared in the bot's DM to
``Commands.import_library``; a channel renamed (``channel_rename``, ``group_rename``) to
``Commands.channel_renamed``; the app uninstalled (``app_uninstalled``, ``tokens_revoked`` naming the bot) to
``Commands.app_removed`` (with OAuth, Bolt's own listeners then delete the workspace's installation), and a
slash command, proof the app is installed in its workspace, to ``Commands.bot_present``. Answers are
ephemeral (only the asker sees them) unless the command layer says otherwise or the asker presses "Share in
channel".

An Events API callback Slack delivers again (the same ``event_id``; ``X-Slack-Retry-Num`` when it
missed the answer) does its effect once: the listeners hand the command layer the event's id
(:func:`event_key`), which records it in the effect's transaction (:mod:`bot.commands.events`) and
raises ``AlreadyHandled`` for a delivery of an event done, logged at INFO and answered by nothing. Each
event is stored before Bolt answers and settled with its effect, or when its listener returns anything
but ``FAILED``; one a killed process left is dispatched again (:mod:`bot.slack.inbox`).

Every HTTP request is verified with the signing secret (Bolt's
RequestVerification middleware: a bad or stale signature gets 401 and reaches
no listener); :mod:`bot.slack.http` serves the app. Socket Mode requests
arrive over an authenticated websocket.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App, BoltRequest
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands, Reply
from bot.commands.events import AlreadyHandled, EventKey
from bot.digest import counted
from bot.settings import Secrets, Settings
from bot.slack.actions import SHAREABLE, register_actions
from bot.slack.blocks import (
    reply_message,
)
from bot.slack.callers import (
    DM_SENT,
    SORRY,
    caller_from_command,
    command_text,
    dm_failure,
    respond_with,
    say_notice,
    send_dm_or_say,
    workspace_of,
)
from bot.slack.inbox import FAILED, REPLAY_HEADER, Inbox, event_key
from bot.slack.install import SlackStores, installed_since, open_stores, resuming_callbacks
from bot.slack.poster import PLATFORM, web_client
from bot.slack.uploads import UploadError, fetch_upload

log = logging.getLogger(__name__)

#: Bot scopes the app asks for (same as config/slack-manifest.yaml).
BOT_SCOPES = ["channels:history", "channels:read", "chat:write", "chat:write.public", "commands", "files:read",
              "groups:history", "groups:read", "im:history", "im:write", "reactions:read"]
# *:history: find a digest message whose answer was lost (poster.find_header); files:read: library uploads in DMs;
# channels:read, groups:read: the channel_rename and group_rename events (a renamed channel's stored name follows)
COMMAND = "/papers"

#: Reaction names (without skin tone) that count as feedback.
REACTION_VALUES = {"+1": POSITIVE, "thumbsup": POSITIVE, "-1": NEGATIVE, "thumbsdown": NEGATIVE}



class SlackConfigError(ValueError):
    """A required Slack setting or secret is missing; the message names the variable, never a value."""


def reaction_value(name: str) -> int | None:
    """+1/-1 for 👍/👎 reactions (``+1``, ``thumbsup``, ``+1::skin-tone-3``…), None for any other."""
    return REACTION_VALUES.get(name.split("::", 1)[0])


def rates(event: dict, context) -> bool:
    """Whether a reaction event may rate a paper or be on a digest's header: a person's 👍/👎 on a message the
    bot posted (Slack's ``item_user``; a reaction on another's message is only read about, never kept)."""
    item, bot = event.get("item") or {}, context.get("bot_user_id")
    return (reaction_value(event.get("reaction", "")) is not None and item.get("type") == "message"
            and bool(event.get("user")) and (not bot or event.get("item_user") in (None, bot)))


def in_bot_dm(event: dict, context) -> bool:
    """Whether a ``file_shared`` event is a person's file in the bot's DM (a library to import)."""
    user = event.get("user_id")
    return (event.get("channel_id") or "").startswith("D") and bool(user) and user != context.get("bot_user_id")


#: The private answer to a 👍/👎 on a digest's header, which holds several papers.
HEADER_HINT = ("That reaction is on the digest message, which holds several papers, so it rates none of them. "
               "React 👍 or 👎 on a paper's own message in the thread (or use its buttons) to rate that paper.")


def log_handled(request: BoltRequest, event: EventKey) -> None:
    """Say at INFO that a delivery of an event done before did nothing, with Slack's retry number and reason."""
    retry = (request.headers.get("x-slack-retry-num") or [None])[0]
    log.info("slack event already handled", extra={
        "event_id": event.event_id, "kind": event.kind,
        "retry": int(retry) if retry and retry.isdigit() else None,
        "reason": (request.headers.get("x-slack-retry-reason") or [None])[0]})


def register(app: App, commands: Commands) -> None:
    """Attach paperbot's listeners (slash command, buttons, events kept until settled: :mod:`bot.slack.inbox`) to ``app``."""
    refresh_poll = register_actions(app, commands)
    inbox = Inbox(app, commands)

    @app.command(COMMAND)
    def on_papers(ack, body, respond, context, client):
        ack()  # within Slack's 3 s; the answer follows through response_url
        text = command_text(body.get("text") or "")  # Slack sends & < > as entities
        caller = caller_from_command(body, context)
        try:  # Slack sends a command only from a workspace the app is installed in: what its uninstall paused resumes
            commands.bot_present(PLATFORM, caller.workspace)
        except Exception as exc:  # a database error: the command says so itself
            log.warning("app return failed", extra={"team": caller.workspace, "error": f"{type(exc).__name__}: {exc}"})
        try:
            reply = commands.handle(caller, text)
        except Exception:
            log.exception("slash command failed", extra={"team": body.get("team_id"), "user": body.get("user_id")})
            reply = Reply(SORRY, ok=False)
        words = text.lower().split()
        if reply.dm and reply.ok:
            send_dm_or_say(client, respond, body["user_id"], reply,
                           then=DM_SENT.format(papers=counted(len(reply.papers), "paper")))
        else:
            respond_with(respond, reply, share_command=text if words[:1] and words[0] in SHAREABLE else None)
        say_notice(respond, reply.notice)  # privately, also after an answer for the channel
        if reply.ok and not reply.dm and words[:2] == ["club", "vote"]:  # a text vote: the poll message shows it too
            try:
                poll_id = commands.club_poll_id(caller)
            except Exception as exc:  # the vote is recorded; the counts show at the next update
                log.warning("club poll lookup failed", extra={"error": f"{type(exc).__name__}: {exc}"})
                return
            if poll_id is not None:
                refresh_poll(client, poll_id)

    hinted: set[tuple[str, str, str]] = set()  # (workspace, user, header) told where to react, in this process
    hinting = threading.Lock()

    def on_reaction(event, body, context, client, request, added: bool):
        value = reaction_value(event.get("reaction", ""))
        item = event.get("item") or {}
        if value is None or item.get("type") != "message" or not event.get("user"):
            return
        caller = Caller(PLATFORM, workspace_of(body, context), event["user"], channel_ref=item.get("channel"))
        ref = f"{item.get('channel')}:{item.get('ts')}"
        bot = context.get("bot_user_id")
        key = event_key(body, event.get("type") or "reaction")
        try:
            if commands.reaction(caller, ref, value, added=added, event=key):
                return
            header = added and (not bot or event.get("item_user") in (None, bot)) and commands.digest_header(caller, ref)
            if header:
                commands.record_event(key)  # the hint is the event's effect: a retry after a restart says nothing more
        except AlreadyHandled as handled:
            log_handled(request, handled.event)
            return
        except Exception as exc:  # a database error: kept, dispatched again later (bot.slack.inbox)
            log.warning("reaction failed", extra={"ref": ref, "error": f"{type(exc).__name__}: {exc}"})
            return FAILED
        if header and hint_due(caller, ref):
            try:
                client.chat_postEphemeral(channel=item["channel"], user=caller.user_ref, text=HEADER_HINT)
            except (SlackApiError, OSError) as exc:  # only a hint is lost
                log.warning("header reaction hint failed", extra={"user": caller.user_ref, "error": dm_failure(exc)})
        elif not header:
            log.debug("reaction on a message the bot did not post", extra={"ref": ref})
        return None

    def hint_due(caller: Caller, ref: str) -> bool:
        """Whether a person who reacted on a digest's header is still to be told where a reaction counts
        (once per header while this process runs); marks them told."""
        key = (caller.workspace, caller.user_ref, ref)
        with hinting:  # two reactions handled at once are still answered once
            if key in hinted:
                return False
            if len(hinted) >= 10_000:
                hinted.clear()
            hinted.add(key)
        return True

    @inbox.listen("reaction_added", keeps=rates)
    def on_reaction_added(event, body, context, client, request):
        return on_reaction(event, body, context, client, request, True)

    @inbox.listen("reaction_removed", keeps=rates)
    def on_reaction_removed(event, body, context, client, request):
        return on_reaction(event, body, context, client, request, False)


    @inbox.listen("channel_rename", "group_rename")
    def on_rename(event, body, context, request):
        """``channel_rename`` (public) or ``group_rename`` (private): the stored channel name follows."""
        channel = event.get("channel") or {}
        if not (channel.get("id") and channel.get("name")):
            return None
        try:
            commands.channel_renamed(PLATFORM, workspace_of(body, context), channel["id"], channel["name"],
                                     event=event_key(body, event.get("type") or "channel_rename"))
        except AlreadyHandled as handled:
            log_handled(request, handled.event)
        except Exception as exc:  # a database error: kept, dispatched again later
            log.warning("channel rename failed", extra={"channel": channel["id"], "error": f"{type(exc).__name__}: {exc}"})
            return FAILED
        return None

    @inbox.listen("app_uninstalled", "tokens_revoked")
    def on_app_gone(event, body, context, request):
        """``app_uninstalled``, or ``tokens_revoked`` naming the bot's token: the workspace's channels and members
        pause, once per event; then, with OAuth, Bolt's own listener deletes the workspace's installation (its dead
        bot token). A ``tokens_revoked`` of user tokens alone changes nothing: paperbot installs hold none."""
        kind = event.get("type") or "app_uninstalled"
        if kind == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
            return None
        team = workspace_of(body, context)
        if request.headers.get(REPLAY_HEADER) and installed_since(app, body):  # a replay after a reinstall
            log.info("slack uninstall not replayed: installed again", extra={"team": team, "event_id": body.get("event_id")})
            return None
        try:
            commands.app_removed(PLATFORM, team, event=event_key(body, kind))
            if app.installation_store is not None:  # not on a retry: it would delete the installation made since
                if kind == "app_uninstalled":
                    app.default_app_uninstalled_event_listener()(context=context)
                else:
                    app.default_tokens_revoked_event_listener()(event=event, context=context)
        except AlreadyHandled as handled:
            log_handled(request, handled.event)
        except Exception as exc:  # a database error: kept, dispatched again later
            log.warning("app removal failed", extra={"team": team, "error": f"{type(exc).__name__}: {exc}"})
            return FAILED
        return None

    @inbox.listen("file_shared", keeps=in_bot_dm)
    def on_file_shared(event, body, context, client, request):
        """A file shared in the bot's DM is a library export to import, once per event; files in channels are not ours."""
        channel, user = event.get("channel_id") or "", event.get("user_id")
        if not in_bot_dm(event, context):
            return None
        key, outcome = event_key(body, "file_shared"), None
        try:
            if key is not None and commands.event_handled(key):  # a retry of an upload imported: not downloaded again
                raise AlreadyHandled(key)
            try:
                name, data = fetch_upload(client, event.get("file_id") or (event.get("file") or {}).get("id", ""))
            except UploadError as exc:
                commands.record_event(key)
                reply = Reply(str(exc), ok=False)
            else:
                reply = commands.import_library(Caller(PLATFORM, workspace_of(body, context), user), data, name,
                                                event=key)
        except AlreadyHandled as handled:  # imported (or refused) and answered by an earlier delivery
            log_handled(request, handled.event)
            return
        except Exception:  # answered "Sorry…", kept, dispatched again later
            log.exception("library import failed", extra={"team": workspace_of(body, context), "user": user})
            reply, outcome = Reply(SORRY, ok=False), FAILED
        text, blocks = reply_message(reply)
        try:
            client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except (SlackApiError, OSError) as exc:  # the import is done; only its answer is lost
            log.warning("library import answer failed", extra={"user": user, "error": dm_failure(exc)})
        return outcome

    @app.event("message")
    def on_message(ack):  # message events are not subscribed; acknowledge quietly if Slack sends one
        ack()


#: Loggers whose DEBUG output holds request and response bodies (an OAuth exchange
#: answers with the new bot token): kept at INFO or above so tokens never reach a log.
QUIET_LOGGERS = ("slack_sdk", "slack_bolt", "bot.slack.bolt")


def quiet_token_logs() -> None:
    """Keep slack_sdk's and Bolt's loggers at INFO or above (their DEBUG logs print bodies with tokens)."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # NOTSET (inherit) included: the root may be set to DEBUG later
            logger.setLevel(logging.INFO)


def _adopt_settings(client: WebClient, model: WebClient) -> None:
    """Give ``client`` the base URL, timeout and retry handlers of ``model`` (both hold the same token)."""
    client.base_url = model.base_url
    client.timeout = model.timeout
    client.retry_handlers = model.retry_handlers


def build_app(
    commands: Commands,
    settings: Settings,
    *,
    secrets: Secrets | None = None,
    client: WebClient | None = None,
    oauth: bool = False,
    stores: SlackStores | None = None,
    process_before_response: bool = False,
    token_verification: bool = True,
) -> App:
    """The Bolt app for paperbot.

    Parameters
    ----------
    commands : Commands
        The command layer the listeners call.
    settings : Settings
        ``settings.slack.api_url`` overrides the Web API base URL (tests, compatible servers).
    secrets : Secrets, optional
        Tokens and secrets; read from the environment when omitted.
    client : WebClient, optional
        The Web API client (then leave ``SLACK_BOT_TOKEN`` out of the environment,
        which Bolt would also read); by default Bolt's own, holding the bot token in
        single-workspace mode, with 429 and connection-error retries.
    oauth : bool
        Many workspaces over HTTP: installations and OAuth states are kept in the
        store's database, and each request is authorized with its workspace's bot
        token. Otherwise one workspace with ``SLACK_BOT_TOKEN``.
    stores : SlackStores, optional
        OAuth stores; opened on ``commands.store.engine`` when omitted.
    process_before_response : bool
        Run listeners before the HTTP response is returned (tests, FaaS).
    token_verification : bool
        Single-workspace mode: call ``auth.test`` once at build time. ``paperbot run``
        turns it off and checks the token when the runtime starts instead
        (:meth:`bot.slack.runtime.SlackRuntime.start`), with a clear error.

    Returns
    -------
    slack_bolt.App

    Raises
    ------
    SlackConfigError
        A required secret is missing (the message names the variable).
    """
    quiet_token_logs()
    secrets = secrets or Secrets()
    signing_secret = secrets.slack_signing_secret.get_secret_value() if secrets.slack_signing_secret else None
    api_url = settings.slack.api_url
    common = dict(
        signing_secret=signing_secret or "",
        process_before_response=process_before_response,
        request_verification_enabled=True,
        logger=logging.getLogger("bot.slack.bolt"),
    )
    if oauth:
        if not (secrets.slack_client_id and secrets.slack_client_secret):
            raise SlackConfigError("OAuth mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        if not signing_secret:
            raise SlackConfigError("HTTP mode needs SLACK_SIGNING_SECRET")
        stores = stores or open_stores(commands.store.engine, secrets.slack_client_id)
        oauth_settings = OAuthSettings(
            client_id=secrets.slack_client_id,
            client_secret=secrets.slack_client_secret.get_secret_value(),
            scopes=BOT_SCOPES,
            installation_store=stores.installations,
            state_store=stores.states,
            installation_store_bot_only=True,
            callback_options=resuming_callbacks(lambda team: commands.bot_present(PLATFORM, team)),
        )
        app = App(client=client or web_client(base_url=api_url), oauth_settings=oauth_settings,
                  installation_store_bot_only=True, **common)
    elif client is not None:
        app = App(client=client, token_verification_enabled=token_verification, **common)
    else:
        if not secrets.slack_bot_token:
            raise SlackConfigError("single-workspace mode needs SLACK_BOT_TOKEN")
        # Bolt gets the token, not also a client: given no token it reads SLACK_BOT_TOKEN
        # from the environment itself, and with a client as well it warns that the token is
        # unused. Its own client then gets paperbot's base URL, timeout and retry handlers.
        token = secrets.slack_bot_token.get_secret_value()
        app = App(token=token, token_verification_enabled=False, **common)
        _adopt_settings(app.client, web_client(token, api_url))
        if token_verification:
            try:
                app.client.auth_test()
            except SlackApiError as exc:
                raise BoltError(f"auth.test failed: {exc.response.get('error')}") from exc
    register(app, commands)
    return app


__all__ = ["BOT_SCOPES", "COMMAND", "SlackConfigError", "build_app", "reaction_value", "register"]
