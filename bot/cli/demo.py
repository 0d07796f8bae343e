"""``paperbot demo``: a fresh database in its own folder, the sample digests, the demo team, today's digests.

The demo owns its folder: it writes a marker file (:data:`MARKER`) there and,
on the next run, deletes its own files only when that marker is present and
nothing else is there. It refuses any other non-empty folder and a folder
holding the database in force, so it never deletes a user's files or data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.ingest import ingest_with_progress, results_table
from bot.cli.local import caller
from bot.cli.state import CliState, console, fail, state

MARKER = ".paperbot-demo"
DEMO_FILES = {MARKER, "paperbot.db", "paperbot.db-journal", "paperbot.db-wal", "paperbot.db-shm", "paperbot.db.schema.lock"}


def demo_cmd(
    ctx: typer.Context,
    data_dir: Annotated[Path, typer.Option(
        metavar="DIR", help=f"Folder for the demo database: new, empty, or made by an earlier demo (holds {MARKER}); "
                            "emptied first.")] = Path("data/demo"),
    digests: Annotated[Path | None, typer.Option(
        metavar="FILE|DIR", help="Digests to ingest (default: the bundled samples/digests).")] = None,
    config: Annotated[Path | None, typer.Option(
        metavar="FILE", help="Demo users and channel, TOML (default: the bundled config/demo.toml).")] = None,
) -> None:
    """Try paperbot: the bundled digests, a demo team, today's digests.

    From an empty data directory: ingest the bundled digests, create the demo team, print today's digests.

    Exit status 1, after the ingest summary, when a digest does not ingest (or none is found).
    """
    import tomllib

    from pydantic import ValidationError
    from rich.text import Text
    from sqlalchemy import select

    from bot.commands import POSITIVE
    from bot.console import ConsolePoster, print_reply, print_wrapped
    from bot.delivery import DeliveryTarget, deliver
    from bot.demo import DEMO_CONFIG, SAMPLE_DIGESTS, add_demo_team, load_demo_team
    from recommender.store import Channel, Member, Paper, Store

    cli = state(ctx)
    settings = cli.settings  # loads the config and sets up logging first (WARNING: the output is the digests)
    config = config or DEMO_CONFIG
    try:
        team = load_demo_team(config)
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as exc:
        fail(f"cannot read the demo team from {config}: {str(exc).splitlines()[0]}", 2)
    prepare_data_dir(data_dir, _database_in_force(cli))
    st = Store(f"sqlite:///{data_dir.resolve() / 'paperbot.db'}")
    console.rule("[bold]1. Ingest the sample digests[/bold]")
    results, skipped = ingest_with_progress(st, [str(digests or SAMPLE_DIGESTS)], embed=cli.settings.recommender.semantic)
    console.print(results_table(results))
    problems = [r.error for r in results if r.error] or ([] if results else [f"{s.source}: {s.reason}" for s in skipped])
    if problems or not results:
        st.dispose()  # the rest would print empty digests
        fail("\n".join([*problems, "the demo stops here: it needs digests that ingest without an error"]))
    cmds = cli.commands(st)
    console.rule("[bold]2. The team[/bold]")
    add_demo_team(cmds, team)
    for user in team.users:  # a long line goes on under the interests, not at column 0
        print_wrapped(console, Text("; ".join(user.interests)), f"@{user.name}: ")
    for ch in team.channels:
        print_wrapped(console, Text(ch.topic or ""), f"#{ch.name}: ")
    console.rule("[bold]3. Today's digests[/bold]")
    poster = ConsolePoster(console)
    with st.session() as session:
        targets = [DeliveryTarget.of(c) for c in session.scalars(select(Channel).order_by(Channel.id))]
        targets += [DeliveryTarget.of(m) for m in
                    session.scalars(select(Member).where(Member.subscribed.is_(True)).order_by(Member.id))]
    for target in targets:
        deliver(st, cmds.recommender, settings, poster, target)
    if team.users:
        first = team.users[0].name
        console.rule(f"[bold]4. Feedback retunes at once: @{first} likes a paper[/bold]")
        with st.session() as session:
            liked = session.scalars(
                select(Paper).where(Paper.title.ilike("%knowledge graph%")).order_by(Paper.id).limit(1)
            ).first()
        if liked is not None:
            cmds.feedback(caller(first), liked.id, POSITIVE, origin="cli")
            print_wrapped(console, Text(f"“{liked.title}”"), "👍 ")
            console.print(f"[dim](the papers of @{first}'s digest above are never picked again)[/dim]")
            print_reply(console, cmds.picks(caller(first), 3))
    st.dispose()
    console.print(f"\nDemo data is in {data_dir}/ (SQLite). Try:")
    # one line however narrow the terminal, so that it can be copied and run
    console.print(f"paperbot --database-url sqlite:///{data_dir.resolve() / 'paperbot.db'} search \"zero-shot\"",
                  soft_wrap=True, markup=False, highlight=False)


def _database_in_force(cli: CliState) -> Path | None:
    """The SQLite file other commands would open (``--database-url``, else the configured one), if any."""
    from sqlalchemy.engine import make_url

    url = make_url(cli.database_url or cli.settings.resolved_database_url())
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser()


def prepare_data_dir(data_dir: Path, protected_db: Path | None = None) -> None:
    """Make ``data_dir`` an empty folder owned by the demo, or exit with status 2 leaving everything as it was.

    A missing or empty folder is used as is. A folder an earlier demo made
    (it holds :data:`MARKER`) is emptied only when it holds nothing but the
    demo's own files (:data:`DEMO_FILES`); those files are deleted one by one,
    never the folder tree. A file, a symbolic link, a folder with anything else
    in it, or a folder holding ``protected_db`` is refused.
    """
    if data_dir.is_symlink() or (data_dir.exists() and not data_dir.is_dir()):
        fail(f"--data-dir {data_dir} is not a plain folder", 2)
    if protected_db is not None and protected_db.resolve().is_relative_to(data_dir.resolve()):
        fail(f"--data-dir {data_dir} holds the database other commands use ({protected_db}): "
             "choose another folder for the demo", 2)
    found = {p.name for p in data_dir.iterdir()} if data_dir.is_dir() else set()
    if found and MARKER not in found:
        fail(f"--data-dir {data_dir} is not empty and was not made by paperbot demo (no {MARKER} in it): "
             "choose a new or empty folder (a demo folder from before the marker: delete it yourself)", 2)
    if found - DEMO_FILES:
        fail(f"--data-dir {data_dir} holds files the demo did not make ({', '.join(sorted(found - DEMO_FILES))}): "
             "move them or choose another folder", 2)
    for name in found:
        (data_dir / name).unlink()
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("Made by `paperbot demo`, which empties this folder when run again with it.\n")
