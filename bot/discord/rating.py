"""Onboarding by rating on Discord: the DM with a round of papers, the buttons under it and what their ids say.

A round goes by direct message as embeds (numbered like the papers) with a
view of buttons: 👍 n and 👎 n per paper, then one that skips the rest. A
button's custom id carries the guild the person started in (a DM names no
guild) and the paper: ``paperbot:rate:<guild>:<up|down|skip>:<paper id>``.
The cog answers presses through its ``on_interaction`` listener, not through
view callbacks, so buttons sent before a restart keep working.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.commands import NEGATIVE, POSITIVE, Reply
from bot.discord.embeds import reply_content, reply_embeds

PREFIX = "paperbot:rate:"
_VALUES = {"up": POSITIVE, "down": NEGATIVE}
#: Discord allows 5 buttons per row and 5 rows: two papers' buttons per row, the skip button last.
_PAPERS_PER_ROW = 2


def custom_id(workspace: str, what: str, paper_id: int = 0) -> str:
    """``paperbot:rate:<workspace>:<what>:<paper id>`` (``what``: up, down or skip); at most 100 characters."""
    return f"{PREFIX}{workspace}:{what}:{paper_id}"


def parse_custom_id(value: str) -> tuple[str, int | None, int] | None:
    """``(workspace, +1 / -1 / None for skip, paper id)`` of a rating button's id; None for any other id."""
    if not value.startswith(PREFIX):
        return None
    parts = value[len(PREFIX):].split(":")
    if len(parts) != 3 or not parts[0] or not parts[2].isdigit() or parts[1] not in (*_VALUES, "skip"):
        return None
    return parts[0], _VALUES.get(parts[1]), int(parts[2])


def rating_view(reply: Reply, workspace: str) -> discord.ui.View:
    """👍 n / 👎 n buttons for each paper of ``reply`` (n = its position) and a skip button; no timeout."""
    view = discord.ui.View(timeout=None)
    for n, item in enumerate(reply.papers, 1):
        row = min((n - 1) // _PAPERS_PER_ROW, 3)
        for what, emoji, style in (("up", "👍", discord.ButtonStyle.success), ("down", "👎", discord.ButtonStyle.secondary)):
            view.add_item(discord.ui.Button(label=f"{emoji} {n}", style=style, row=row,
                                            custom_id=custom_id(workspace, what, item.paper_id)))
    view.add_item(discord.ui.Button(label="Skip the rest: my picks now", style=discord.ButtonStyle.primary,
                                    custom_id=custom_id(workspace, "skip"), row=4))
    return view


DM_SENT = "I sent you a direct message: {papers} to rate with 👍 or 👎."
DM_CLOSED = ("I could not send you a direct message, where the papers to rate go: allow direct messages from "
             "this server's members (the server's name → Privacy Settings), then run `/papers start` again.")


async def send_dm(user: discord.abc.User, reply: Reply, workspace: str) -> None:
    """Send ``reply`` to ``user``'s direct messages: text, papers as embeds, rating buttons when it asks for ratings.

    Papers beyond one message's embed limits (10 embeds, 6000 characters) follow in more messages;
    the rating buttons go under the last, below every paper they name.
    """
    await send_round(user.send, reply, workspace)


async def send_round(send: Callable[..., Awaitable[Any]], reply: Reply, workspace: str) -> None:
    """:func:`send_dm` through ``send`` (``user.send``, or an interaction's ``followup.send``)."""
    chunks = reply_embeds(reply.papers) or [[]]
    view = rating_view(reply, workspace) if reply.rating else None
    extra: dict[str, Any] = {"view": view} if view is not None else {}
    for n, chunk in enumerate(chunks):  # papers over one message's embed limits go on in more; the buttons under the last
        last = n == len(chunks) - 1
        await send(reply_content(reply) if n == 0 else None, embeds=chunk, **(extra if last else {}))
    if view is not None:
        view.stop()  # presses reach PapersCog.on_interaction, before and after a restart alike; keep no view in memory
