"""``paperbot papers PERSON [TEXT…]``: the ``/papers`` slash command typed on the command line, no chat account needed.

The same command layer the Slack, Discord and console adapters call (:meth:`bot.commands.Commands.handle`),
as local user ``PERSON``, in local channel ``--channel`` when given (``channel setup``, ``mentions``,
``club``). With no ``TEXT`` it reads one command per line from standard input until its end, so a
terminal is a chat: ``/papers picks``, ``/papers interests add speech recognition``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.local import caller, existing_user
from bot.cli.people import UserArg, channel_name, refuse_channel_case_twin
from bot.cli.state import console, state

PROMPT = "/papers "


def papers_cmd(
    ctx: typer.Context,
    name: UserArg,
    text: Annotated[list[str] | None, typer.Argument(
        metavar="[TEXT]…", help="One /papers command, e.g. picks, or: interests add graph learning. "
                                "None: one per line from standard input.")] = None,
    channel: Annotated[str | None, typer.Option(
        metavar="NAME", help="The local channel it is typed in (channel setup, mentions, club).")] = None,
) -> None:
    """Type /papers commands as a local user: all of the slash command (channel setup, mentions, club…) without a chat.

    Exit status 1 when a command was refused or malformed (its usage is printed); the others still ran.
    Exit status 2 for a ``--channel`` that is not one word, 1 for one differing from a channel's only in case
    (as ``paperbot channels add``); no command runs then.
    """
    from bot.console import print_reply

    cmds = state(ctx).commands()
    existing_user(cmds, name)
    if channel is not None:  # as `paperbot channels add` reads it: one word, no case twin of another channel
        channel = channel_name(channel)
        refuse_channel_case_twin(cmds, channel)
    who = caller(name, channel)
    lines = [" ".join(text)] if text else _typed()
    refused = False
    for line in lines:
        line = line.strip().removeprefix("/papers").strip()
        if not line:
            continue
        reply = cmds.handle(who, line)
        print_reply(console, reply)
        refused |= not reply.ok
    if refused:
        raise typer.Exit(1)


def _typed():
    """Lines of standard input, with a prompt on a terminal."""
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            console.print(PROMPT, end="")
        line = sys.stdin.readline()
        if not line:
            return
        yield line
