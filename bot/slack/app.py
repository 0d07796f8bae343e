"""The Bolt app: Slack requests in, :class:`bot.commands.Commands` calls out.

Listeners only translate. ``/papers <text>`` goes to ``Commands.handle``; the
👍/👎 buttons to ``Commands.feedback``; 👍/👎 reactions to
``Commands.reaction``; journal club vote buttons to
``Commands.club_vote_button`` (then the poll message is updated); a file shared in the bot's DM to
``Commands.import_library``. Answers are ephemeral (only the asker sees them) unless
the command layer says otherwise or the asker presses "Share in channel".

Every HTTP request is verified with the signing secret (Bolt's
RequestVerification middleware: a bad or stale signature gets 401 and reaches
no listener); :mod:`bot.slack.http` serves the app. Socket Mode requests
arrive over an authenticated websocket.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands, Reply
from bot.settings import Secrets, Settings
from bot.slack.blocks import ACTION_DOWN, ACTION_SHARE, ACTION_UP, escape, parse_vote_value, reply_message
from bot.slack.club import ACTION_CLUB_VOTE, parse_club_vote_value, poll_message
from bot.slack.install import SlackStores, open_stores
from bot.slack.poster import PLATFORM, split_ref, web_client
from bot.slack.uploads import UploadError, fetch_upload

log = logging.getLogger(__name__)

#: Bot scopes the app asks for (same as config/slack-manifest.yaml).
BOT_SCOPES = ["channels:history", "chat:write", "chat:write.public", "commands", "files:read", "groups:history",
              "im:history", "im:write", "reactions:read"]
# *:history: find a digest message whose answer was lost (poster.find_header); files:read: library uploads in DMs
COMMAND = "/papers"

#: Reaction names (without skin tone) that count as feedback.
REACTION_VALUES = {"+1": POSITIVE, "thumbsup": POSITIVE, "-1": NEGATIVE, "thumbsdown": NEGATIVE}
#: Commands whose private answer may be shared in the channel (they only read).
SHAREABLE = ("search", "picks")

SORRY = "Sorry, something went wrong on paperbot's side; nothing was changed. Please try again in a minute."


class SlackConfigError(ValueError):
    """A required Slack setting or secret is missing; the message names the variable, never a value."""


def reaction_value(name: str) -> int | None:
    """+1/-1 for 👍/👎 reactions (``+1``, ``thumbsup``, ``+1::skin-tone-3``…), None for any other."""
    return REACTION_VALUES.get(name.split("::", 1)[0])


def _workspace(body: dict, context) -> str:
    team = body.get("team")
    return (
        context.get("team_id")
        or body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or context.get("enterprise_id")
        or ""
    )


def _channel_ref(channel_id: str | None, channel_name: str | None) -> str | None:
    """The channel a command counts for: None in a direct message."""
    if not channel_id or channel_name == "directmessage" or channel_id.startswith("D"):
        return None
    return channel_id


def caller_from_command(body: dict, context) -> Caller:
    """The :class:`Caller` of a slash command payload (form fields ``team_id``, ``user_id``, ``channel_id``…)."""
    name = body.get("channel_name")
    return Caller(
        platform=PLATFORM,
        workspace=_workspace(body, context),
        user_ref=body["user_id"],
        display_name=body.get("user_name") or None,
        channel_ref=_channel_ref(body.get("channel_id"), name),
        channel_name=None if name in (None, "directmessage", "privategroup") else name,
    )


def caller_from_action(body: dict, context) -> Caller:
    """The :class:`Caller` of a ``block_actions`` payload (a button press)."""
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    name = channel.get("name")
    return Caller(
        platform=PLATFORM,
        workspace=_workspace(body, context),
        user_ref=user["id"],
        display_name=user.get("name") or user.get("username") or None,
        channel_ref=_channel_ref(channel.get("id"), name),
        channel_name=None if name in (None, "directmessage", "privategroup") else name,
    )


def _respond(respond, reply: Reply, *, share_command: str | None = None) -> None:
    text, blocks = reply_message(reply, share_command=share_command)
    respond(text=text, blocks=blocks, response_type="ephemeral" if reply.ephemeral else "in_channel")


def _say_privately(respond, text: str) -> None:
    """A one-line private answer that leaves the message it answers as it was."""
    respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: App, commands: Commands) -> None:
    """Attach paperbot's listeners (slash command, buttons, reactions) to ``app``."""

    @app.command(COMMAND)
    def on_papers(ack, body, respond, context, client):
        ack()  # within Slack's 3 s; the answer follows through response_url
        text = body.get("text") or ""
        caller = caller_from_command(body, context)
        try:
            reply = commands.handle(caller, text)
        except Exception:
            log.exception("slash command failed", extra={"team": body.get("team_id"), "user": body.get("user_id")})
            reply = Reply(SORRY, ok=False)
        words = text.lower().split()
        verb = words[0] if words else ""
        _respond(respond, reply, share_command=text if verb in SHAREABLE else None)
        if reply.ok and words[:2] == ["club", "vote"]:  # a text vote: the poll message shows it too
            try:
                poll_id = commands.club_poll_id(caller)
            except Exception as exc:  # the vote is recorded; the counts show at the next update
                log.warning("club poll lookup failed", extra={"error": f"{type(exc).__name__}: {exc}"})
                return
            if poll_id is not None:
                refresh_poll(client, poll_id)

    def on_vote(ack, body, action, respond, context, value: int):
        ack()
        try:
            paper_id, delivery_id = parse_vote_value(action.get("value", ""))
        except ValueError:
            log.warning("unknown button value", extra={"action": action.get("action_id")})
            return _say_privately(respond, "That paper is no longer available for feedback.")
        try:
            reply = commands.feedback(caller_from_action(body, context), paper_id, value, origin="button", delivery_id=delivery_id)
        except Exception:
            log.exception("button feedback failed", extra={"team": _workspace(body, context)})
            return _say_privately(respond, SORRY)
        hint = " Press the other button to change it." if reply.ok else ""
        _say_privately(respond, escape(reply.text) + hint)

    @app.action(ACTION_UP)
    def on_up(ack, body, action, respond, context):
        on_vote(ack, body, action, respond, context, POSITIVE)

    @app.action(ACTION_DOWN)
    def on_down(ack, body, action, respond, context):
        on_vote(ack, body, action, respond, context, NEGATIVE)

    club_updates = threading.Lock()  # one poll message update at a time, each from a fresh read

    def refresh_poll(client, poll_id: int) -> None:
        """Show poll ``poll_id``'s current counts in its message (chat.update)."""
        with club_updates:
            fresh = commands.club_ballot(poll_id)
            if fresh is None or fresh.ballot is None or not fresh.message_ref:
                return
            channel, ts = split_ref(fresh.message_ref)
            text, blocks = poll_message(fresh.ballot)
            try:
                client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except SlackApiError as exc:  # the vote is recorded; the counts show at the next update
                log.warning("club poll update failed", extra={"poll_id": poll_id, "error": exc.response.get("error")})

    @app.action(ACTION_CLUB_VOTE)
    def on_club_vote(ack, body, action, respond, context, client):
        """A journal club vote button: record (or change) the vote, then update the poll's counts (chat.update)."""
        ack()
        try:
            poll_id, paper_id = parse_club_vote_value(action.get("value", ""))
            result = commands.club_vote_button(caller_from_action(body, context), poll_id, paper_id)
        except ValueError:
            log.warning("unknown club button value", extra={"action": action.get("action_id")})
            return _say_privately(respond, "That poll is no longer open for votes.")
        except Exception:
            log.exception("club vote failed", extra={"team": _workspace(body, context)})
            return _say_privately(respond, SORRY)
        if result.ballot is not None:
            refresh_poll(client, poll_id)
        _say_privately(respond, escape(result.reply.text))

    @app.action(ACTION_SHARE)
    def on_share(ack, body, action, respond, context):
        ack()
        command = action.get("value") or ""
        if not command.split() or command.split()[0].lower() not in SHAREABLE:
            return
        caller = caller_from_action(body, context)
        try:
            reply = commands.handle(caller, command)
        except Exception:
            log.exception("share failed", extra={"team": caller.workspace})
            return _say_privately(respond, SORRY)
        if not reply.ok:
            return _say_privately(respond, escape(reply.text))
        text, blocks = reply_message(reply, share_command=command, shared_by=caller.user_ref)
        respond(text=text, blocks=blocks, response_type="in_channel", replace_original=False)

    def on_reaction(event, body, context, added: bool):
        value = reaction_value(event.get("reaction", ""))
        item = event.get("item") or {}
        if value is None or item.get("type") != "message" or not event.get("user"):
            return
        caller = Caller(PLATFORM, _workspace(body, context), event["user"], channel_ref=item.get("channel"))
        ref = f"{item.get('channel')}:{item.get('ts')}"
        if not commands.reaction(caller, ref, value, added=added):
            log.debug("reaction on a message the bot did not post", extra={"ref": ref})

    @app.event("reaction_added")
    def on_reaction_added(event, body, context):
        on_reaction(event, body, context, True)

    @app.event("reaction_removed")
    def on_reaction_removed(event, body, context):
        on_reaction(event, body, context, False)

    @app.event("file_shared")
    def on_file_shared(event, body, context, client):
        """A file shared in the bot's DM is a library export to import; files in channels are not ours."""
        channel = event.get("channel_id") or ""
        user = event.get("user_id")
        if not channel.startswith("D") or not user or user == context.get("bot_user_id"):
            return
        try:
            name, data = fetch_upload(client, event.get("file_id") or (event.get("file") or {}).get("id", ""))
            reply = commands.import_library(Caller(PLATFORM, _workspace(body, context), user), data, name)
        except UploadError as exc:
            reply = Reply(str(exc), ok=False)
        except Exception:
            log.exception("library import failed", extra={"team": _workspace(body, context), "user": user})
            reply = Reply(SORRY, ok=False)
        text, blocks = reply_message(reply)
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)

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
