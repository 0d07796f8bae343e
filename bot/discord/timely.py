"""Answering an interaction within Discord's 3 seconds, however long the work takes.

Discord drops an interaction that is neither answered nor deferred within 3 seconds of its
creation ("This interaction failed"; the late answer then fails with Unknown interaction). A
command's work runs in a worker thread and usually takes milliseconds, but it can wait on the
database (SQLite's write lock while a digest is composed or papers are ingested, a row lock on
PostgreSQL) or on a busy thread pool. :func:`timely` gives the work :data:`BUDGET` seconds, then
defers the interaction privately and keeps waiting; the answer then comes as a follow-up. Every
defer of the cog is private, because whether an answer is for the channel is known only once it
is made (a failure is private); :func:`bot.discord.cog.answer` posts a public answer after a
private note that ends the caller's "thinking…".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import discord

T = TypeVar("T")

#: Seconds a command's work may take before its interaction is deferred: Discord's 3 seconds run
#: from the interaction's creation, and part of them is spent on the network both ways.
BUDGET = 2.0


async def timely(interaction: discord.Interaction, work: Awaitable[T]) -> T:
    """``await work``, deferring ``interaction`` privately (thinking…) if it is not done within :data:`BUDGET`
    seconds and the interaction is not yet answered; the work's exception, if any, propagates."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=BUDGET)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    return await task
