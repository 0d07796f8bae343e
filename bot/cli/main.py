"""``paperbot``: the Typer app, its global options and the console-script entry point.

Each command group lives in its own module (:mod:`bot.cli.ingest`,
:mod:`bot.cli.people`, :mod:`bot.cli.library`, :mod:`bot.cli.picks`, :mod:`bot.cli.mentions`, :mod:`bot.cli.refit`, :mod:`bot.cli.stats`,
:mod:`bot.cli.demo`, :mod:`bot.cli.eval`, :mod:`bot.cli.run`); this module adds
them to the app. Those modules import scikit-learn, SQLAlchemy, Bolt and
discord.py only inside the commands, so ``paperbot --help`` stays fast.
"""

from __future__ import annotations

import atexit
import enum
import gc
from typing import Annotated

import typer

from bot.cli.demo import demo_cmd
from bot.cli.enrich import enrich_cmd
from bot.cli.eval import eval_cmd
from bot.cli.help import HelpCommand, HelpGroup
from bot.cli.ingest import embed_cmd, ingest_cmd
from bot.cli.library import export_cmd, import_cmd
from bot.cli.mentions import channel_mentions_cmd, user_mentions_cmd, who_cmd
from bot.cli.onboarding import start_cmd
from bot.cli.papers import papers_cmd
from bot.cli.people import channels_app, users_app
from bot.cli.picks import dislike_cmd, like_cmd, picks_cmd, search_cmd, unrate_cmd
from bot.cli.refit import refit_cmd
from bot.cli.run import run_cmd, status_cmd
from bot.cli.state import SERVICE_COMMANDS, CliState, choice
from bot.cli.stats import stats_cmd

app = typer.Typer(rich_markup_mode="markdown", cls=HelpGroup,
    name="paperbot",
    help="paperbot: paper picks for research teams.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,  # locals may hold tokens or database passwords
)


class LogLevel(enum.StrEnum):
    """Levels ``--log-level`` accepts (any case)."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("paperbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"paperbot {_version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: Annotated[str | None, typer.Option(
        metavar="URL", help="SQLAlchemy URL; overrides PAPERBOT_DATABASE_URL and the config.")] = None,
    log_level: Annotated[LogLevel | None, typer.Option(
        metavar="LEVEL", parser=choice(LogLevel),
        help="DEBUG, INFO, WARNING or ERROR (default: the config's for run; WARNING or above for other commands).")] = None,
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version, help="Print the version and exit.")] = False,
) -> None:
    """paperbot: paper picks for research teams."""
    ctx.obj = CliState(database_url=database_url, log_level=log_level.value if log_level else None,
                       service=ctx.invoked_subcommand in SERVICE_COMMANDS)


#: The commands, in the order ``paperbot --help`` lists them.
COMMANDS = {
    "ingest": ingest_cmd, "enrich": enrich_cmd, "import": import_cmd, "export": export_cmd, "start": start_cmd, "picks": picks_cmd, "like": like_cmd,
    "dislike": dislike_cmd, "unrate": unrate_cmd, "search": search_cmd, "papers": papers_cmd, "who": who_cmd, "refit": refit_cmd, "embed": embed_cmd, "stats": stats_cmd, "demo": demo_cmd, "eval": eval_cmd,
    "run": run_cmd, "status": status_cmd,
}
#: A command list line for a command whose docstring's first paragraph is longer than one line at 80 columns.
SHORT_HELP = {"export": "Export a user's 👍 papers as a library for a reference manager.",
              "embed": "Compute the sentence vectors stored papers lack."}
for _name, _command in COMMANDS.items():
    app.command(_name, short_help=SHORT_HELP.get(_name), cls=HelpCommand)(_command)
users_app.command("mentions", cls=HelpCommand)(user_mentions_cmd)
channels_app.command("mentions", cls=HelpCommand)(channel_mentions_cmd)
app.add_typer(users_app, name="users")
app.add_typer(channels_app, name="channels")


def main() -> None:
    """Console-script entry point (``paperbot``).

    At exit, every object left is frozen out of the garbage collector
    (:func:`gc.freeze`): the interpreter's final collections otherwise traverse
    the objects of every imported library (SQLAlchemy, pydantic, numpy), a
    noticeable share of a short command's wall time. The process is ending; only
    unreachable reference cycles go unfreed, as the operating system reclaims them.
    """
    atexit.register(gc.freeze)
    app(prog_name="paperbot")
