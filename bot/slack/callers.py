"""Slack requests into :class:`~bot.commands.Caller`, and the ways of answering one.

Shared by the listeners of :mod:`bot.slack.app` (slash command, events) and
:mod:`bot.slack.actions` (buttons).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import Caller, Reply
from bot.slack.blocks import escape, reply_message
from bot.slack.poster import PLATFORM

if TYPE_CHECKING:
    from bot.commands.dm_notice import DmNotice  # its module reads the store; adapters only pass it on

log = logging.getLogger("bot.slack.app")

SORRY = "Sorry, something went wrong on paperbot's side; nothing was changed. Please try again in a minute."

#: The private note after an onboarding round went by DM.
DM_SENT = "I sent you a direct message: {papers} to rate with 👍 or 👎."


_MARKUP = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def _unescape(text: str) -> str:
    return re.sub(r"&(amp|lt|gt);", lambda m: _ENTITIES[m.group(1)], text)


def command_text(text: str) -> str:
    """A slash command's text as the person typed it, from Slack's markup.

    Slack sends ``&``, ``<`` and ``>`` typed in a slash command as ``&amp;``, ``&lt;`` and
    ``&gt;``; a raw ``<…>`` is Slack's own token. Entities are decoded (``R&amp;D`` → ``R&D``);
    user, channel and special mentions (``<@U123|name>``, ``<#C123|name>``, ``<!here>``) are
    kept whole; a link (``<https://arxiv.org/abs/2401.01234|arxiv.org/abs/2401.01234>``,
    sent when the command escapes links) becomes its URL.
    """
    def plain(match: re.Match) -> str:
        token, entity = match.group(1), match.group(2)
        if entity is not None:
            return _ENTITIES[entity]
        if token[:1] in ("@", "#", "!"):
            return match.group(0)
        return _unescape(token.split("|", 1)[0])

    return _MARKUP.sub(plain, text)


def workspace_of(body: dict, context) -> str:
    """The workspace (team id, else enterprise id) a request comes from."""
    team = body.get("team")
    return (
        context.get("team_id")
        or body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or context.get("enterprise_id")
        or ""
    )


def channel_ref_of(channel_id: str | None, channel_name: str | None) -> str | None:
    """The channel a command counts for: None in a direct message."""
    if not channel_id or channel_name == "directmessage" or channel_id.startswith("D"):
        return None
    return channel_id


def caller_from_command(body: dict, context) -> Caller:
    """The :class:`Caller` of a slash command payload (form fields ``team_id``, ``user_id``, ``channel_id``…)."""
    name = body.get("channel_name")
    return Caller(
        platform=PLATFORM,
        workspace=workspace_of(body, context),
        user_ref=body["user_id"],
        display_name=body.get("user_name") or None,
        channel_ref=channel_ref_of(body.get("channel_id"), name),
        channel_name=None if name in (None, "directmessage", "privategroup") else name,
    )


def caller_from_action(body: dict, context) -> Caller:
    """The :class:`Caller` of a ``block_actions`` payload (a button press)."""
    user = body.get("user") or {}
    channel = body.get("channel") or {}
    name = channel.get("name")
    return Caller(
        platform=PLATFORM,
        workspace=workspace_of(body, context),
        user_ref=user["id"],
        display_name=user.get("name") or user.get("username") or None,
        channel_ref=channel_ref_of(channel.get("id"), name),
        channel_name=None if name in (None, "directmessage", "privategroup") else name,
    )


def respond_with(respond, reply: Reply, *, share_command: str | None = None) -> None:
    """Answer through ``response_url``: privately unless the reply is public (a refused answer is logged)."""
    text, blocks = reply_message(reply, share_command=share_command)
    answered(respond(text=text, blocks=blocks, response_type="ephemeral" if reply.ephemeral else "in_channel"))


def say_privately(respond, text: str) -> None:
    """A one-line private answer that leaves the message it answers as it was (a refused answer is logged)."""
    answered(respond(text=text, response_type="ephemeral", replace_original=False))


def answered(sent) -> None:
    """Log an answer ``response_url`` refused: it answers with a status (500, 404 once expired) and does not raise."""
    status = getattr(sent, "status_code", 200)
    if status != 200:
        log.warning("slack answer not delivered", extra={"status": status, "body": str(getattr(sent, "body", ""))[:200]})


def say_notice(respond, notice: DmNotice | None) -> bool:
    """Tell the caller ``notice`` privately (a message of its own after the answer), then record it told.

    Whether it was said; a failure to say it or to record it is logged (the notice comes again with
    the caller's next command).
    """
    if notice is None:
        return False
    try:
        sent = respond(text=escape(notice.text), response_type="ephemeral", replace_original=False)
    except (SlackApiError, OSError) as exc:
        sent, why = None, dm_failure(exc)
    else:
        why = f"HTTP {getattr(sent, 'status_code', None)}"
    if getattr(sent, "status_code", None) != 200:  # response_url answers with a status, it does not raise
        log.warning("dm notice not sent", extra={"error": why})
        return False
    try:
        notice.mark_told()
    except Exception as exc:  # told, not recorded: told again next time, which beats never
        log.warning("dm notice not recorded", extra={"error": f"{type(exc).__name__}: {exc}"})
    return True


def send_dm(client: WebClient, user: str, reply: Reply) -> None:
    """Post ``reply`` in the bot's direct messages with ``user`` (``conversations.open`` first)."""
    channel = client.conversations_open(users=user)["channel"]["id"]
    text, blocks = reply_message(reply)
    client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def dm_failure(exc: Exception) -> str:
    """What Slack (or the connection) answered when a DM could not be sent: ``internal_error``, ``URLError``."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return str(data.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


def send_dm_or_say(client: WebClient, respond, user: str, reply: Reply, *, then: str | None = None) -> bool:
    """Send ``reply`` by DM, then say ``then`` privately; when the DM fails, say so privately instead.

    A DM Slack refuses (``internal_error``, rate limits past the retries, ``messages_tab_disabled``)
    or cannot be reached for is logged as a warning and answered through ``respond``, so the
    person learns nothing arrived rather than waiting for a message that never comes.
    Returns whether the DM went out.
    """
    try:
        send_dm(client, user, reply)
    except (SlackApiError, OSError) as exc:
        why = dm_failure(exc)
        log.warning("direct message failed", extra={"user": user, "error": why})
        say_privately(respond, f"I could not send you a direct message (Slack answered `{why}`), so nothing arrived "
                               "there. What you did is saved; try the same again in a minute.")
        return False
    if then:
        say_privately(respond, then)
    return True
