"""``paperbot import PERSON FILE``: a reference-manager export (BibTeX, RIS, CSL-JSON) as a local user's 👍."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.people import UserArg
from bot.cli.state import console, err, fail, state


def import_cmd(
    ctx: typer.Context,
    name: UserArg,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A BibTeX (.bib), RIS (.ris) or Zotero CSL-JSON (.json) export.")],
) -> None:
    """Import a library: each entry becomes the user's 👍 (papers not stored yet are stored, never posted as news).

    Exit status 1 when the user was never added, the file cannot be read or an entry is malformed
    (then nothing is imported).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.cli.local import existing_user
    from bot.console import print_reply

    name = name.strip()
    if not name or any(c.isspace() for c in name):
        fail("a user name is one word, e.g. 'ada'", 2)
    cmds = state(ctx).commands()
    who = existing_user(cmds, name)  # like picks and like: an unknown name is a typo, not a new user
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task("Importing", total=None)
        reply = cmds.import_library(who, data, file.name,
                                    on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    print_reply(console, reply)
    if not reply.ok:
        raise typer.Exit(1)
