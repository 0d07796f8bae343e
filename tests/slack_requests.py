"""Requests as Slack sends them to the bot: slash commands, button presses and Events API callbacks, signed.

Each builder returns ``(body, content type)``; :func:`bolt_request` signs one
for ``App.dispatch`` and :func:`signed_headers` for a real HTTP post to the
running app (v0 HMAC-SHA256, as Slack signs, with ``SIGNING_SECRET``).
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
#: The bot token of the workspace the ``slack_fake`` fixture serves (T1, bot user UBOT).
BOT_TOKEN = "xoxb-test-workspace"

def signed_headers(body: str, content_type: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None,
                   retry: int | None = None, reason: str = "http_timeout") -> dict:
    """Headers of a request Slack signed (v0 HMAC-SHA256 of ``v0:<timestamp>:<body>``); with ``retry``, those of
    Slack's ``retry``-th redelivery of an event it thinks was lost (``X-Slack-Retry-Num``, ``X-Slack-Retry-Reason``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    headers = {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": signature}
    if retry is not None:
        headers |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": reason}
    return headers


def slash_command(text: str, *, team: str = "T1", user: str = "U1", user_name: str = "ada", channel: str = "C1",
                  channel_name: str = "papers", response_url: str = "http://127.0.0.1:9/hooks/x") -> tuple[str, str]:
    """A ``/papers`` slash command as Slack posts it: (form body, content type)."""
    body = urlencode({
        "token": "deprecated-verification-token", "team_id": team, "team_domain": "lab", "channel_id": channel,
        "channel_name": channel_name, "user_id": user, "user_name": user_name, "command": "/papers", "text": text,
        "api_app_id": "A0PAPERBOT", "response_url": response_url, "trigger_id": "1.2.3",
    })
    return body, "application/x-www-form-urlencoded"


def block_action(action_id: str, value: str, *, team: str = "T1", user: str = "U1", user_name: str = "ada",
                 channel: str = "C1", message: dict | None = None, response_url: str = "http://127.0.0.1:9/hooks/x") -> tuple[str, str]:
    """A ``block_actions`` payload (a button press) as Slack posts it: (form body, content type)."""
    payload = {
        "type": "block_actions", "team": {"id": team, "domain": "lab"}, "user": {"id": user, "username": user_name, "name": user_name, "team_id": team},
        "api_app_id": "A0PAPERBOT", "token": "deprecated", "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": (message or {}).get("ts", "1.1"), "channel_id": channel, "is_ephemeral": message is None},
        "channel": {"id": channel, "name": "papers"}, "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value, "action_ts": "1.2"}],
    }
    if message is not None:
        payload["message"] = message
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def reaction_event(kind: str, reaction: str, ref: str, *, team: str = "T1", user: str = "U1", item_user: str = "UBOT",
                   event_id: str | None = None) -> tuple[str, str]:
    """A ``reaction_added`` / ``reaction_removed`` Events API callback: (JSON body, content type). Its ``event_id``
    is made from the other arguments unless given (Slack gives each event its own; a retry repeats it)."""
    channel, ts = ref.split(":", 1)
    body = {
        "token": "deprecated", "team_id": team, "api_app_id": "A0PAPERBOT", "type": "event_callback",
        "event_id": event_id or f"Ev{abs(hash((kind, reaction, ref, user))) % 10**8}", "event_time": 1700000000,
        "event": {"type": kind, "user": user, "reaction": reaction, "item_user": item_user,
                  "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": "1700000000.9"},
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }
    return json.dumps(body), "application/json"


def file_shared_event(file_id: str, *, channel: str = "DU1", team: str = "T1", user: str = "U1",
                      event_id: str | None = None) -> tuple[str, str]:
    """A ``file_shared`` Events API callback (someone shared ``file_id`` in ``channel``): (JSON body, content type);
    ``event_id`` as :func:`reaction_event`'s."""
    body = {
        "token": "deprecated", "team_id": team, "api_app_id": "A0PAPERBOT", "type": "event_callback",
        "event_id": event_id or f"Ev{abs(hash((file_id, channel, user))) % 10**8}", "event_time": 1700000000,
        "event": {"type": "file_shared", "channel_id": channel, "file_id": file_id, "user_id": user,
                  "file": {"id": file_id}, "event_ts": "1700000000.5"},
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }
    return json.dumps(body), "application/json"


def channel_rename_event(channel: str, name: str, *, kind: str = "channel_rename", team: str = "T1",
                         event_id: str | None = None) -> tuple[str, str]:
    """A ``channel_rename`` (or ``group_rename``, a private channel) Events API callback: (JSON body, content type);
    ``event_id`` as :func:`reaction_event`'s."""
    body = {
        "token": "deprecated", "team_id": team, "api_app_id": "A0PAPERBOT", "type": "event_callback",
        "event_id": event_id or f"Ev{abs(hash((kind, channel, name, team))) % 10**8}", "event_time": 1700000000,
        "event": {"type": kind, "channel": {"id": channel, "name": name, "name_normalized": name, "created": 1360782804,
                                            "is_channel": kind == "channel_rename", "is_mpim": False},
                  "event_ts": "1700000000.7"},
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }
    return json.dumps(body), "application/json"


def app_gone_event(kind: str = "app_uninstalled", *, team: str = "T1", bot: tuple[str, ...] = ("UBOT",),
                   oauth: tuple[str, ...] = (), event_id: str | None = None) -> tuple[str, str]:
    """An ``app_uninstalled`` callback (the app removed from ``team``) or a ``tokens_revoked`` one, whose ``tokens``
    list the user ids of the revoked ``bot`` and user (``oauth``) tokens: (JSON body, content type); ``event_id``
    as :func:`reaction_event`'s. As Slack documents them, with no ``authorizations`` (the app is gone)."""
    event: dict = {"type": kind}
    if kind == "tokens_revoked":
        event["tokens"] = {"oauth": list(oauth), "bot": list(bot)}
    body = {
        "token": "deprecated", "team_id": team, "api_app_id": "A0PAPERBOT", "type": "event_callback",
        "event_id": event_id or f"Ev{abs(hash((kind, team, bot, oauth))) % 10**8}", "event_time": 1700000000,
        "event": event,
    }
    return json.dumps(body), "application/json"


def bolt_request(body_and_type: tuple[str, str], **sign_kwargs) -> BoltRequest:
    """A signed :class:`BoltRequest` for ``App.dispatch`` (``retry=1``: Slack's first redelivery of the event)."""
    body, ctype = body_and_type
    return BoltRequest(body=body, headers=signed_headers(body, ctype, **sign_kwargs))


def papers_command(app, fake, text: str, **kw) -> dict:
    """Dispatch a signed ``/papers`` command to ``app`` (it must answer 200); what it sent to the fake's response_url."""
    before = len(fake.of("response_url"))
    assert app.dispatch(bolt_request(slash_command(text, response_url=fake.response_url(), **kw))).status == 200
    return fake.of("response_url")[before:][-1].params
