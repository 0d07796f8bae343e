"""``paperbot import PERSON FILE`` and ``paperbot export PERSON``: a reference-manager library (BibTeX, RIS,
CSL-JSON) as a local user's 👍, and their 👍 as one."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.people import UserArg
from bot.cli.state import choice, console, err, fail, progress_bar, state


def import_cmd(
    ctx: typer.Context,
    name: UserArg,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A BibTeX (.bib), RIS (.ris) or Zotero CSL-JSON (.json) export.")],
) -> None:
    """Import a library: each entry becomes the user's 👍.

    Papers not stored yet are stored, never posted as news. Exit status 1 when the user was never added, the file cannot be read or an entry is malformed
    (then nothing is imported).
    """
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
    with progress_bar() as progress:
        task = progress.add_task("Importing", total=None)
        reply = cmds.import_library(who, data, file.name,
                                    on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    print_reply(console, reply)
    if not reply.ok:
        raise typer.Exit(1)


class LibraryFormat(enum.StrEnum):
    """The formats ``paperbot export`` writes (and ``paperbot import`` reads)."""

    bibtex = "bibtex"
    ris = "ris"
    csl_json = "csl-json"


#: Other names ``--format`` takes, as the file suffixes say them (a trial's ``--format json`` was refused).
_FORMAT_ALIASES = {"json": "csl-json", "bib": "bibtex", "csl": "csl-json"}


def _library_format(value: str) -> LibraryFormat:
    text = str(value).strip()
    return choice(LibraryFormat)(_FORMAT_ALIASES.get(text.casefold(), text))


def export_cmd(
    ctx: typer.Context,
    name: UserArg,
    fmt: Annotated[LibraryFormat | None, typer.Option(
        "--format", parser=_library_format,
        help="Library format (default: what -o's name says, .bib or .bibtex, .ris, .json; else bibtex).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write here instead of standard output.")] = None,
) -> None:
    """Export a user's 👍 papers (newest 👍 first) as a library for a reference manager.

    The format is --format's, else what FILE's name says (.bib or .bibtex: BibTeX, .ris: RIS, .json: CSL-JSON),
    else BibTeX on standard output. Exit status 2, writing nothing, for a FILE whose name says no format without
    --format, or one that says another format than --format; 1 when the user was never added or FILE cannot be
    written. A user with no 👍 gets an empty library and a note on standard error.
    """
    from sqlalchemy import select

    from bot.cli.local import existing_user
    from bot.commands.rows import find_member
    from recommender.imports.export import write_library
    from recommender.store import Feedback, Paper

    kind = _export_format(fmt, output)  # before the database: a wrong name is a usage error
    cmds = state(ctx).commands()
    who = existing_user(cmds, name)
    with cmds.store.session() as session:
        member = find_member(session, who)
        rows = session.execute(
            select(Paper, Feedback.created_at, Feedback.citation_key).join(Feedback, Feedback.paper_id == Paper.id)
            .where(Feedback.member_id == member.id, Feedback.value > 0)
            .order_by(Feedback.created_at.desc(), Feedback.id)).all()  # a tie: in the order stored (a file's)
        papers = [paper for paper, _, _ in rows]  # each 👍's date, and the key its library gave the paper
        text = write_library(papers, kind, added=[liked for _, liked, _ in rows], keys=[key for _, _, key in rows])
    if not papers:
        err.print(f"{who.user_ref} has no 👍 yet: the library is empty.")
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"{len(papers)} papers written to {output}.")


#: How a message names each format.
_FORMAT_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON"}


def _export_format(given: LibraryFormat | None, output: Path | None) -> str:
    """The format to write: ``given`` (``--format``), else the one ``output``'s name says, else ``bibtex``.

    Exits with status 2 when ``output``'s name says no format and none is given (``lib.txt``), or says another
    one than ``given`` (``-o lib.ris --format bibtex``): a reference manager reads a file by its name, so a
    BibTeX file called ``.ris`` would not import.
    """
    from recommender.imports.formats import SUFFIXES, format_of_name

    named = format_of_name(output.name) if output is not None else None
    if given is None and output is not None and named is None:
        *others, last = SUFFIXES
        fail(f"cannot tell the format from the name {output.name!r}: give --format bibtex, ris or csl-json, "
             f"or name the file {', '.join(others)} or {last}", 2)
    if given is not None and named is not None and named != given.value:
        suffixes = " or ".join(s for s, f in SUFFIXES.items() if f == given.value)
        fail(f"--format {given.value} writes {_FORMAT_NAMES[given.value]}, but {output.name!r} names a "
             f"{_FORMAT_NAMES[named]} file: drop --format, or name the file {suffixes}", 2)
    return given.value if given is not None else named or LibraryFormat.bibtex.value
