"""Render neutral digests and replies as Discord messages, within Discord's limits.

Limits (characters unless noted), from the Discord API documentation:
message content 2000; embed title 256, description 4096, field name 256,
field value 1024, footer 2048, author name 256, at most 25 fields per embed;
at most 10 embeds and 6000 embed characters in total per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

import discord
from discord import app_commands

from bot.commands import Reply, reply_text
from bot.digest import DigestMessage, Mention, authors_line, clip, date_label, mention_line, rating_note, source_name
from bot.discord.usage import usage_text
from recommender.pick import Pick

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_MAX = 6000

#: The reactions the bot adds under every digest paper, in order.
THUMBS_UP, THUMBS_DOWN = "👍", "👎"
FEEDBACK_EMOJI = (THUMBS_UP, THUMBS_DOWN)

#: Embed colour (a muted blue).
COLOUR = discord.Colour(0x3B6EA5)

#: Abstract characters shown in a digest embed / a command reply embed.
DIGEST_ABSTRACT_CHARS = 600
REPLY_ABSTRACT_CHARS = 300


def paper_embed(item: Pick, *, position: int | None = None, abstract_chars: int = DIGEST_ABSTRACT_CHARS) -> discord.Embed:
    """One paper as an embed: linked title, abstract excerpt, authors, source, date and reason.

    Parameters
    ----------
    item : Pick
        The paper to show.
    position : int, optional
        1-based rank shown before the title.
    abstract_chars : int
        At most this many characters of the abstract (0 leaves it out).

    Returns
    -------
    discord.Embed
        Every part clipped to Discord's limits; ``len(embed)`` is at most
        about 3,600 characters, so one embed always fits a message.
    """
    prefix = f"{position}. " if position is not None else ""
    embed = discord.Embed(
        title=clip(prefix + item.title, TITLE_MAX) or "(untitled)",
        url=item.url or None,
        description=clip(item.abstract, min(abstract_chars, DESCRIPTION_MAX)) if abstract_chars and item.abstract else None,
        colour=COLOUR,
    )
    if rating_note(item):
        embed.add_field(name="Your rating", value=rating_note(item), inline=False)
    if item.authors:
        embed.add_field(name="Authors", value=clip(authors_line(item), FIELD_VALUE_MAX), inline=False)
    if source_name(item):
        embed.add_field(name="Source", value=clip(source_name(item), FIELD_VALUE_MAX), inline=True)
    embed.add_field(name="Date", value=date_label(item), inline=True)
    if item.reason:
        embed.add_field(name="Why this paper", value=clip(item.reason, FIELD_VALUE_MAX), inline=False)
    embed.set_footer(text=clip(f"{item.ref} · /papers like {item.ref}", FOOTER_MAX))
    return embed


def discord_mention(mention: Mention) -> str:
    """``<@id>``: a real mention (allowed per message by the poster, for these users only)."""
    return f"<@{mention.user_ref}>"


def paper_content(mentions: Sequence[Mention]) -> str | None:
    """The content above a digest paper's embed: who it fits best (None when it names nobody)."""
    return mention_line(mentions, discord_mention) or None


def header_content(digest: DigestMessage) -> str:
    """The short text message posted before a digest's papers (title, intro, how to react)."""
    lines = [f"**{digest.title}**"]
    if digest.intro:
        lines.append(digest.intro)
    if digest.papers:
        lines.append(f"React {THUMBS_UP} or {THUMBS_DOWN} on a paper to tune the next picks.")
    return clip("\n".join(lines), CONTENT_MAX, keep_lines=True)


def reply_content(reply: Reply, commands: Sequence[app_commands.Command | app_commands.Group] = ()) -> str:
    """A command reply's text (and usage) as Discord markdown, within the 2000 characters of a message.

    With ``commands`` (the ``/papers`` app commands), the usage lists them as Discord shows them
    (``/papers club set weekday time``: sub-commands and named options) rather than the typed syntax
    of the neutral usage (``club <weekday> <HH:MM>``), which Discord has no command for; a mistake
    tied to none of them gets a one-line pointer (:func:`bot.discord.usage.usage_text`).
    """
    body = reply_text(replace(reply, usage=False), heading=str, mention=discord_mention)  # people as <@id>
    if reply.usage and commands:
        usage = usage_text(reply, commands)
        text = f"{body}\n\n{usage}" if body else usage
    else:
        text = reply_text(reply, heading=lambda words: f"**{words}**", mention=discord_mention)
    return clip(text, CONTENT_MAX, keep_lines=True)


def chunk_embeds(embeds: Iterable[discord.Embed]) -> list[list[discord.Embed]]:
    """Split embeds into messages of at most 10 embeds and 6000 embed characters each.

    Raises
    ------
    ValueError
        When a single embed is over 6000 characters (it can never be sent).
    """
    chunks: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        n = len(embed)
        if n > EMBED_TOTAL_MAX:
            raise ValueError(f"embed of {n} characters is over Discord's {EMBED_TOTAL_MAX}")
        if current and (len(current) == EMBEDS_PER_MESSAGE or size + n > EMBED_TOTAL_MAX):
            chunks.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        chunks.append(current)
    return chunks


def reply_embeds(items: Sequence[Pick]) -> list[list[discord.Embed]]:
    """Command-reply papers (search, picks) as embeds, grouped into sendable messages."""
    return chunk_embeds(paper_embed(item, position=n, abstract_chars=REPLY_ABSTRACT_CHARS) for n, item in enumerate(items, 1))
