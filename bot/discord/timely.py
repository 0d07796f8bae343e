"""Answering an interaction within Discord's 3 seconds, however long the work takes.

Discord drops an interaction that is neither answered nor deferred within 3 seconds of its
creation ("This interaction failed"; the late answer then fails with Unknown interaction). A
command's work runs in a worker thread and usually takes milliseconds, but it can wait on the
database (SQLite's write lock while a digest is composed or papers are ingested, a row lock on
PostgreSQL) or on a busy thread pool. :func:`timely` gives the work what is left of
:data:`DEADLINE` seconds since the interaction was created (time spent on the gateway and in
this process's event loop before the callback ran is already gone), then defers the interaction
privately and keeps waiting; the answer then comes as a follow-up. Every defer of the cog is
private, because whether an answer is for the channel is known only once it is made (a failure
is private); :func:`bot.discord.cog.answer` posts a public answer after a private note that ends
the caller's "thinking…".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import discord

T = TypeVar("T")

#: Seconds after an interaction's creation by which it is answered or deferred: Discord's 3 seconds,
#: less the network both ways.
DEADLINE = 2.5


def time_left(interaction: discord.Interaction) -> float:
    """Seconds until :data:`DEADLINE` counted from ``interaction.created_at`` (Discord's clock, in its id),
    between 0 and :data:`DEADLINE` (a clock behind Discord's would otherwise give more)."""
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    return min(DEADLINE, max(0.0, DEADLINE - age))


async def timely(interaction: discord.Interaction, work: Awaitable[T]) -> T:
    """``await work``, deferring ``interaction`` privately (thinking…) if it is not done by :func:`time_left`
    and the interaction is not yet answered; the work's exception, if any, propagates."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=time_left(interaction))
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    return await task
