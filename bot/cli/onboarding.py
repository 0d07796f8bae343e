"""``paperbot start PERSON``: onboarding by rating on the console, one paper at a time.

Each paper of the round is printed and answered with ``y`` (👍), ``n`` (👎)
or ``s`` (skip the rest); each answer is stored at once through the command
layer, so a run stopped half-way continues where it was on the next
``paperbot start`` (``--again`` starts over).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.local import existing_user
from bot.cli.people import UserArg
from bot.cli.state import console, fail, state

ANSWERS = {"y": 1, "n": -1, "s": None}


def _ask() -> int | None:
    """+1, -1 or None (skip) from ``y``, ``n`` or ``s``; anything else is asked again."""
    while True:
        answer = typer.prompt("👍 y / 👎 n / skip the rest s").strip().lower()
        if not sys.stdin.isatty():  # a piped answer is not echoed: end the prompt's line, as a typed one does
            console.print(answer)
        if answer in ANSWERS:
            return ANSWERS[answer]
        console.print("Answer y (👍), n (👎) or s (skip the rest).")


def start_cmd(
    ctx: typer.Context,
    name: UserArg,
    again: Annotated[bool, typer.Option("--again", help="Start over even when a round is in progress.")] = False,
) -> None:
    """Rate recent papers 👍/👎 so a user's picks learn what they read.

    One paper at a time: y (👍), n (👎), or s, which skips the rest; then the user's first picks.
    """
    from bot.commands import onboarding
    from bot.console import print_reply, render_item

    cmds = state(ctx).commands()
    who = existing_user(cmds, name)
    reply = None if again else onboarding.current(cmds, who)
    reply = reply or cmds.start(who)
    try:
        while reply.ok and reply.rating:
            print_reply(console, type(reply)(reply.text))
            for n, item in enumerate(reply.papers, 1):
                render_item(console, n, item)
                value = _ask()
                reply = cmds.onboarding_skip(who) if value is None else cmds.onboarding_rate(who, item.paper_id, value)
                if value is None or reply.papers:
                    break
    except typer.Abort:  # Ctrl-D or Ctrl-C at the prompt: Click would say "Aborted."
        fail(f"stopped; the answers given are kept, and `paperbot start {name}` continues the round")
    print_reply(console, reply)
    if not reply.ok:
        raise typer.Exit(1)
