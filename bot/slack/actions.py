"""Button listeners: 👍/👎 on posted picks, onboarding ratings, journal club votes, sharing a result.

Each callback acknowledges at once, turns the press into a :class:`~bot.commands.Caller`
and one :class:`~bot.commands.Commands` call, and answers privately; a presser whose daily DM
could not be delivered is then told so, privately and once (:func:`~bot.slack.callers.say_notice`).
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.commands import NEGATIVE, POSITIVE, Commands
from bot.digest import counted
from bot.slack.blocks import (
    ACTION_DOWN,
    ACTION_RATE_DOWN,
    ACTION_RATE_SKIP,
    ACTION_RATE_UP,
    ACTION_SHARE,
    ACTION_UP,
    escape,
    parse_share_value,
    parse_vote_value,
    reply_message,
)
from bot.slack.callers import (
    DM_SENT,
    SORRY,
    answered,
    caller_from_action,
    command_text,
    say_notice,
    say_privately,
    send_dm_or_say,
    workspace_of,
)
from bot.slack.club import ACTION_CLUB_VOTE, parse_club_vote_value, poll_message
from bot.slack.poster import split_ref

log = logging.getLogger("bot.slack.app")

#: The ``/papers`` verbs whose answer has a "share in channel" button.
SHAREABLE = ("search", "picks")


def register_actions(app: App, commands: Commands):
    """Attach the button listeners to ``app``; returns ``refresh_poll(client, poll_id)`` (a poll's counts, re-read and shown)."""
    def on_rating(ack, body, action, respond, context, client, value: int | None):
        """An onboarding button (``value`` None: skip); the next round or the first picks come by DM."""
        ack()
        paper = action.get("value", "")
        if value is not None and not paper.isdigit():
            log.warning("unknown button value", extra={"action": action.get("action_id")})
            return say_privately(respond, "That paper is no longer available for feedback.")
        caller = caller_from_action(body, context)
        try:
            if value is None:
                reply = commands.onboarding_skip(caller)
            else:
                reply = commands.onboarding_rate(caller, int(paper), value)
        except Exception:
            log.exception("onboarding button failed", extra={"team": caller.workspace})
            return say_privately(respond, SORRY)
        if reply.dm:
            send_dm_or_say(client, respond, caller.user_ref, reply)
        else:
            say_privately(respond, escape(reply.text))
        say_notice(respond, reply.notice)

    @app.action(ACTION_RATE_UP)
    def on_rate_up(ack, body, action, respond, context, client):
        on_rating(ack, body, action, respond, context, client, POSITIVE)

    @app.action(ACTION_RATE_DOWN)
    def on_rate_down(ack, body, action, respond, context, client):
        on_rating(ack, body, action, respond, context, client, NEGATIVE)

    @app.action(ACTION_RATE_SKIP)
    def on_rate_skip(ack, body, action, respond, context, client):
        on_rating(ack, body, action, respond, context, client, None)

    def on_vote(ack, body, action, respond, context, value: int):
        ack()
        try:
            paper_id, delivery_id = parse_vote_value(action.get("value", ""))
        except ValueError:
            log.warning("unknown button value", extra={"action": action.get("action_id")})
            return say_privately(respond, "That paper is no longer available for feedback.")
        try:
            reply = commands.feedback(caller_from_action(body, context), paper_id, value, origin="button", delivery_id=delivery_id)
        except Exception:
            log.exception("button feedback failed", extra={"team": workspace_of(body, context)})
            return say_privately(respond, SORRY)
        hint = " Press the other button to change it." if reply.ok else ""
        say_privately(respond, escape(reply.text) + hint)
        say_notice(respond, reply.notice)

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
            return say_privately(respond, "That poll is no longer open for votes.")
        except Exception:
            log.exception("club vote failed", extra={"team": workspace_of(body, context)})
            return say_privately(respond, SORRY)
        if result.ballot is not None:
            refresh_poll(client, poll_id)
        say_privately(respond, escape(result.reply.text))
        say_notice(respond, result.reply.notice)

    @app.action(ACTION_SHARE)
    def on_share(ack, body, action, respond, context, client):
        """Post for everyone the papers the presser was shown (their ids are in the value), through ``Commands.share``."""
        ack()
        value = action.get("value") or ""
        try:
            shown = parse_share_value(value)
        except ValueError:
            log.warning("unknown button value", extra={"action": action.get("action_id")})
            return say_privately(respond, "That answer can no longer be shared.")
        words = value.split()
        if shown is None and (not words or words[0].lower() not in SHAREABLE):
            return
        caller = caller_from_action(body, context)
        try:
            if shown is None:  # a button posted before the ids were carried: its command (as Slack sent it) says which papers
                command = command_text(value)
                answer = commands.handle(caller, command)
                if answer.dm and answer.ok:  # a newcomer's picks are onboarding: the round goes by DM, the channel sees nothing
                    send_dm_or_say(client, respond, caller.user_ref, answer,
                                   then=DM_SENT.format(papers=counted(len(answer.papers), "paper")))
                    return
                if answer.dm or answer.rating or not answer.ok or not answer.papers:
                    return say_privately(respond, escape(answer.text))
                shown = [p.paper_id for p in answer.papers], command
            reply = commands.share(shown[0])
        except Exception:
            log.exception("share failed", extra={"team": caller.workspace})
            return say_privately(respond, SORRY)
        if not reply.ok:
            return say_privately(respond, escape(reply.text))
        text, blocks = reply_message(reply, share_command=shown[1], shared_by=caller.user_ref)
        answered(respond(text=text, blocks=blocks, response_type="in_channel", replace_original=False))

    return refresh_poll
