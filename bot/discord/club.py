"""The journal club on Discord: the poll as one message with a Vote button per paper, votes by button.

The poll's buttons carry ``paperbot:club:<poll id>:<paper id>`` as their custom
id; clicks arrive as component interactions and are handled by
:func:`handle_club_button` from the client's ``on_interaction`` (no view is
kept in memory, so buttons keep working across restarts). A vote is recorded by
the command layer, answered privately, and the poll message is edited with the
new counts; the close posts the winner and edits the poll to its final count, without buttons.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.club import ClubBallot, ballot_lines, votes_phrase, winner_text
from bot.commands import Commands
from bot.digest import clip
from bot.discord.answers import answer
from bot.discord.cog import caller_of
from bot.discord.embeds import CONTENT_MAX, REPLY_ABSTRACT_CHARS, paper_embed
from bot.discord.timely import timely

log = logging.getLogger(__name__)

#: Custom id prefix of the vote buttons.
CLUB_BUTTON_PREFIX = "paperbot:club:"


def club_button_id(poll_id: int, paper_id: int) -> str:
    """``"paperbot:club:<poll id>:<paper id>"`` (well under Discord's 100 characters)."""
    return f"{CLUB_BUTTON_PREFIX}{poll_id}:{paper_id}"


def parse_club_button_id(custom_id: str) -> tuple[int, int] | None:
    """``(poll id, paper id)`` of a vote button's custom id; None for any other id."""
    if not custom_id.startswith(CLUB_BUTTON_PREFIX):
        return None
    poll, _, paper = custom_id[len(CLUB_BUTTON_PREFIX):].partition(":")
    return (int(poll), int(paper)) if poll.isdigit() and paper.isdigit() else None


def poll_content(ballot: ClubBallot) -> str:
    """The poll's text: title, what it is and when it closes, the numbered ballot with 👍 and votes."""
    lines = [f"**{ballot.title}**", ballot.intro(), *ballot_lines(ballot)]
    return clip("\n".join(lines), CONTENT_MAX, keep_lines=True)


def poll_embeds(ballot: ClubBallot) -> list[discord.Embed]:
    return [paper_embed(o.pick, position=n, abstract_chars=REPLY_ABSTRACT_CHARS) for n, o in enumerate(ballot.options, 1)]


def poll_view(ballot: ClubBallot) -> discord.ui.View | None:
    """A ``Vote n`` button per paper (None once the poll is closed). Call on the event loop."""
    if ballot.closed:
        return None
    view = discord.ui.View(timeout=None)
    for n, option in enumerate(ballot.options, 1):
        view.add_item(discord.ui.Button(label=f"Vote {n}", style=discord.ButtonStyle.primary,
                                        custom_id=club_button_id(ballot.poll_id, option.pick.paper_id)))
    return view


def winner_content(ballot: ClubBallot) -> str:
    """The close's text: the winner with its link and who voted, then the final count."""
    return clip("\n".join([f"🏆 **{ballot.title}**", winner_text(ballot), *ballot_lines(ballot)]),
                CONTENT_MAX, keep_lines=True)


async def handle_club_button(commands: Commands, interaction: discord.Interaction, lock: asyncio.Lock) -> bool:
    """A vote button clicked: record the vote, answer privately, edit the poll's counts. False for other components.

    The poll message is edited one click at a time from a fresh read of the
    ballot, so the last edit shows every vote committed before it.
    """
    data = interaction.data or {}
    parsed = parse_club_button_id(str(data.get("custom_id", "")))
    if interaction.type != discord.InteractionType.component or parsed is None:
        return False
    poll_id, paper_id = parsed
    caller = caller_of(interaction)
    result = await timely(interaction, asyncio.to_thread(commands.club_vote_button, caller, poll_id, paper_id))
    await answer(interaction, result.reply)
    if result.ballot is not None:
        await refresh_poll(commands, interaction.channel, poll_id, lock, message=interaction.message)
    log.info("discord club vote", extra={"poll_id": poll_id, "user": caller.user_ref, "ok": result.reply.ok})
    return True


async def refresh_poll(commands: Commands, channel, poll_id: int, lock: asyncio.Lock, *,
                       message: discord.Message | None = None) -> None:
    """Edit poll ``poll_id``'s message (``message``, else fetched from ``channel`` by its reference) to its counts now.

    One edit at a time, each from a fresh read. A failure is logged: the votes are
    recorded, and the next edit or the close shows them.
    """
    async with lock:
        fresh = await asyncio.to_thread(commands.club_ballot, poll_id)
        if fresh is None or fresh.ballot is None or not fresh.message_ref:
            return
        try:
            if message is None:
                if not isinstance(channel, discord.abc.Messageable):
                    return
                message = await channel.fetch_message(int(fresh.message_ref))
            await message.edit(content=poll_content(fresh.ballot), view=poll_view(fresh.ballot))
        except discord.HTTPException as exc:
            log.warning("club poll edit failed", extra={"poll_id": poll_id, "error": str(exc)})


__all__ = ["CLUB_BUTTON_PREFIX", "club_button_id", "handle_club_button", "parse_club_button_id", "poll_content",
           "poll_embeds", "poll_view", "refresh_poll", "votes_phrase", "winner_content"]
