"""``paperbot papers PERSON [TEXT…]``: the ``/papers`` slash command typed on the command line, no chat account needed.

The same command layer the Slack, Discord and console adapters call (:meth:`bot.commands.Commands.handle`),
as local user ``PERSON``, in local channel ``--channel`` when given (``channel setup``, ``mentions``,
``club``), which ``paperbot channels add`` or a ``channel setup`` typed there added. With no ``TEXT`` it reads one command per line from standard input until its end, so a
terminal is a chat: ``/papers picks``, ``/papers interests add speech recognition``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.local import caller, existing_user
from bot.cli.people import UserArg, channel_name, refuse_channel_case_twin
from bot.cli.state import console, state

if TYPE_CHECKING:
    from bot.commands import Caller, Commands, Reply

PROMPT = "/papers "


def papers_cmd(
    ctx: typer.Context,
    name: UserArg,
    text: Annotated[list[str] | None, typer.Argument(
        metavar="[TEXT]…", help="One /papers command, e.g. picks, or: interests add graph learning. "
                                "None: one per line from standard input.")] = None,
    channel: Annotated[str | None, typer.Option(
        metavar="NAME", help="The local channel it is typed in (channel setup, mentions, club): one added with "
                             "paperbot channels add, or by channel setup typed here.")] = None,
) -> None:
    """Type /papers commands as a local user, without a chat.

    All of the slash command: channel setup, mentions, club…

    Exit status 1 when a command was refused or malformed (its usage is printed); the others still ran.
    A ``TEXT`` with no command (``""``, ``/papers``) prints the usage with exit status 1 too.
    Exit status 2 for a ``--channel`` that is not one word, 1 for one differing from a channel's only in case
    (as ``paperbot channels add``); no command runs then. A command typed in a ``--channel`` never added is
    refused (exit status 1, nothing changed; the others still run), except ``channel setup``, which adds it.
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
        if not (text or line.strip()):  # a blank line typed at the prompt
            continue
        line = line.strip().removeprefix("/papers").strip()
        reply = _outside_channel(line, who) if channel is None else _unknown_channel(cmds, line, who)
        reply = reply or _on_terminal(cmds.handle(who, line), who)  # nothing after /papers: the usage, as in a chat
        if text and not line:  # `paperbot papers ada ""` (an unset shell variable): no command ran, a usage error
            reply = replace(reply, text=f"No command given: type one after the person, e.g. "
                                        f"`paperbot papers {who.user_ref} picks`.")
            refused = True
        print_reply(console, reply)
        refused |= not reply.ok
    if refused:
        raise typer.Exit(1)


#: The command-layer methods that act on the channel they are typed in (a chat's DM refuses them).
CHANNEL_METHODS = frozenset({"channel_setup", "channel_off", "channel_status", "club_set", "club_off", "club_status",
                             "club_vote", "mentions_channel"})


def _outside_channel(line: str, who: Caller) -> Reply | None:
    """The refusal of a channel command typed without ``--channel``, in the command line's terms, with the
    command's usage (the command layer would say "not in a direct message", which a terminal has not); None
    for any other line, malformed ones included (the command layer answers those with their usage)."""
    from bot.commands import Reply, UsageError
    from bot.commands.parse import parse

    try:
        method = parse(line).method
    except UsageError:
        return None
    if method not in CHANNEL_METHODS:
        return None
    return Reply(f"`{line}` acts on a local channel: say which with --channel NAME, e.g. "
                 f"`paperbot papers {who.user_ref} --channel NAME {line}`", usage=line.split()[0].lower(), ok=False)


def _unknown_channel(cmds: Commands, line: str, who: Caller) -> Reply | None:
    """The refusal of a line typed in a ``--channel`` never added (``paperbot channels add``), changing nothing, as
    ``paperbot who --channel`` and ``channels remove`` refuse one: a typo'd channel would otherwise get a journal
    club of its own (``club``) or a 👍 tied to nothing. None when the channel exists, for ``channel setup`` (which
    adds it, as ``channels add`` does), ``help`` and a malformed line (the command layer answers its usage)."""
    from bot.cli.local import unknown_channel
    from bot.commands import Reply, UsageError
    from bot.commands.parse import parse

    try:
        method = parse(line).method
    except UsageError:
        return None
    if method in ("channel_setup", "help"):
        return None
    name = who.channel_ref or ""
    missing = unknown_channel(cmds, name, f"paperbot papers {who.user_ref} --channel {name} channel setup")
    return Reply(f"{missing}. Nothing changed.", ok=False) if missing else None


def _on_terminal(reply: Reply, who: Caller) -> Reply:
    """``reply`` as a terminal can act on it: a round of papers to rate for onboarding (``/papers start``, a
    newcomer's first ``picks``) comes with 👍/👎 buttons in a chat, which a terminal has not, so it points to
    ``paperbot start PERSON``, which asks about each paper (the round is kept: that command continues it)."""
    from bot.commands import Reply
    from bot.digest import counted

    if not (reply.ok and reply.rating):
        return reply
    return Reply(f"Rate {counted(len(reply.papers), 'recent paper')} one at a time with {who.command('start')} "
                 "(y 👍, n 👎, s skips the rest): they teach me what you read. Three ratings already change your picks.",
                 notice=reply.notice)


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
