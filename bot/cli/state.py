"""What every ``paperbot`` command shares: the global options in ``ctx.obj``, error and JSON output.

:class:`CliState` is built by the app callback (:mod:`bot.cli.main`) from the
global options. Settings and the store are opened on first use, so ``--help``
and the commands that need neither never load pydantic-settings or SQLAlchemy.
"""

from __future__ import annotations

import enum
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress, ProgressColumn

    from bot.commands import Commands
    from bot.settings import Settings
    from recommender.picks import Recommender
    from recommender.store import Store

console = Console()
err = Console(stderr=True)
log = logging.getLogger(__name__)

E = TypeVar("E", bound=enum.Enum)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]

#: The commands that run the bot: they log at the configured level (``log_level``, INFO as shipped).
SERVICE_COMMANDS = frozenset({"run"})
#: The least a one-shot command logs without ``--log-level``: it prints what it did, so the
#: INFO records of the same change (the running bot's log) would say it twice; problems still show.
ONE_SHOT_LEVEL = "WARNING"


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` on stderr, each of its lines as one error line, and exit with status ``code``.

    Raises
    ------
    typer.Exit
        Always, with ``code`` (1: the command failed; 2: bad input or configuration).
    """
    for line in message.splitlines() or [""]:  # the message is text: a "[discord]" in it is no markup
        err.print(f"[red]error[/red] {escape(line)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def choice(kind: type[E]) -> Callable[[str], E]:
    """The ``parser`` of an option or argument taking one of the enum ``kind``'s values, in any case.

    A value that is none of them is a usage error (exit status 2) saying so plainly,
    ``Invalid value for '--format': 'docx' is not one of bibtex, ris or csl-json``: typer's own coercion
    words it through pydantic, as ``Value error, 'docx' is not one of 'bibtex', 'ris', 'csl-json'.``
    The choices still show in the help (typer reads them from the annotation).
    """
    names = [str(member.value) for member in kind]
    listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]

    def parse(value: str) -> E:
        if isinstance(value, kind):  # a default
            return value
        typed = str(value).strip().casefold()
        found = next((member for member in kind if str(member.value).casefold() == typed), None)
        if found is None:
            raise typer.BadParameter(f"{value!r} is not one of {listed}")
        return found

    return parse


def progress_bar(*columns: ProgressColumn, disable: bool = False) -> Progress:
    """A progress bar on standard error (what it does, a bar, done/total, then ``columns``), erased when done.

    Shown on a terminal only: on anything else (a pipe, a log file, a test runner) rich draws nothing while it
    runs and ends a transient bar with an empty line, which put a blank line before the command's answer
    wherever both streams are read together (``2>&1``). ``disable``: not even on a terminal.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    *columns, console=err, transient=True, disable=disable or not err.is_terminal)


def emit_json(data: object) -> None:
    """Write ``data`` to stdout as indented JSON (dates and paths as strings)."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@dataclass
class CliState:
    """The global options of one ``paperbot`` invocation (``ctx.obj``).

    Attributes
    ----------
    database_url : str or None
        ``--database-url``; overrides ``PAPERBOT_DATABASE_URL`` and the config file.
    log_level : str or None
        ``--log-level``, set up at once; ``None``: :meth:`default_log_level`, set up when the settings load.
    service : bool
        The command runs the bot (:data:`SERVICE_COMMANDS`); False for a one-shot command.
    json : bool
        The command was given ``--json`` (set by :func:`state`): errors about the database are JSON too.
    """

    database_url: str | None = None
    log_level: str | None = None
    service: bool = False
    json: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.log_level is not None:
            _setup_logging(self.log_level)

    @property
    def settings(self) -> Settings:
        """The loaded settings; logging is set up at the configured level on first use.

        Exits with status 2 and one line naming the file and key when the
        configuration file or a ``PAPERBOT_*`` variable is invalid.
        """
        if self._settings is None:
            from bot.settings import config_path

            self._settings = _load_settings()
            if self.log_level is None:
                _setup_logging(self.default_log_level(self._settings.log_level))
            path = config_path()
            log.debug("settings loaded", extra={"config": path if path.is_file() else f"{path} (none: the defaults)",
                                                "data_dir": self._settings.data_dir})
        return self._settings

    def default_log_level(self, configured: str) -> str:
        """The level without ``--log-level``: ``configured`` for the bot, at least :data:`ONE_SHOT_LEVEL` otherwise."""
        return configured if self.service else max(configured, ONE_SHOT_LEVEL, key=logging.getLevelName)

    def store(self) -> Store:
        """Open the database in force, or exit with one clear line when it cannot be opened.

        An explicit URL (``--database-url``, ``PAPERBOT_DATABASE_URL``,
        ``database_url`` in the config) must name an existing folder for a
        SQLite file: nothing is created on a typo. The default database's folder
        (``data_dir``) is created when missing.

        Raises
        ------
        typer.Exit
            Status 2 when the URL is malformed, its driver is missing or its folder
            does not exist; status 1 when the server cannot be reached or refuses the
            connection (:meth:`database_unavailable`). The password is never shown.
        """
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

        from recommender.store import Store, StoreError

        explicit = self.database_url or self.settings.database_url
        url = explicit or self.settings.resolved_database_url()
        shown = url
        try:
            parsed = make_url(url)
            shown = parsed.render_as_string(hide_password=True)
            if explicit:
                _check_sqlite_folder(parsed)
            # each posting thread holds a connection while it posts, and briefly one more or two (bot.delivery.claim);
            # at most 40 (+ SQLAlchemy's 10 overflow): half of PostgreSQL's default max_connections
            started = time.monotonic()
            store = Store(url, connect_timeout=self.settings.database_connect_timeout,
                          pool_size=min(3 * self.settings.service.workers + 5, 40))
            log.debug("database opened", extra={"database": shown, "seconds": round(time.monotonic() - started, 3)})
            return store
        except StoreError as exc:  # e.g. a read-only SQLite file: the message says what to do
            if self.json:
                emit_json({"error": str(exc), "database": shown})
                raise typer.Exit(2) from None
            fail(str(exc), 2)
        except OperationalError as exc:
            self.database_unavailable(exc, shown)
        except (NoSuchModuleError, ArgumentError, ModuleNotFoundError, FileNotFoundError) as exc:
            reason = str(exc).strip().splitlines()[0]
            fail(f"cannot open the database {shown}: {reason}", 2)

    def database_unavailable(self, exc: BaseException, shown: str) -> NoReturn:
        """Report that the database ``shown`` (its URL, password hidden) cannot be used, then exit with status 1.

        One line with the whole error (:func:`recommender.store.describe_db_error`): for ``paperbot run``
        the log line ``event="database unavailable at start"``; with ``--json`` the object
        ``{"error": ..., "database": ...}`` on stdout; otherwise an error line on stderr. No traceback.

        Raises
        ------
        typer.Exit
            Always, with status 1.
        """
        from recommender.store import describe_db_error

        error = describe_db_error(exc)
        if self.service:
            logging.getLogger("bot.service.run").error(
                "database unavailable at start", extra={"error": error, "database": shown})
            raise typer.Exit(1)
        if self.json:
            emit_json({"error": f"cannot open the database: {error}", "database": shown})
            raise typer.Exit(1)
        fail(f"cannot open the database {shown}: {error}", 1)

    def recommender(self, store: Store | None = None) -> Recommender:
        """The recommender alone on ``store`` (default: :meth:`store`), for a command that needs no chat
        rows: ``paperbot search`` without ``--user`` does not load the command layer's modules."""
        from recommender.picks import Recommender

        return Recommender(store or self.store(), self.settings.recommender)

    def commands(self, store: Store | None = None) -> Commands:
        """The platform-neutral command layer on ``store`` (default: :meth:`store`)."""
        from bot.commands import Commands

        return Commands(store or self.store(), self.settings)


def _setup_logging(level: str) -> None:
    from bot.logs import setup_logging

    setup_logging(level)


def _check_sqlite_folder(parsed) -> None:
    """Raise FileNotFoundError when a SQLite URL names a file in a folder that does not exist."""
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    folder = Path(parsed.database).expanduser().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {folder} does not exist (create it first)")


def _load_settings() -> Settings:
    """The settings read now from the config file and environment; a bad config exits with status 2.

    Read afresh on each invocation (tests run many in one process), through
    :func:`bot.settings.get_settings` so the rest of the process sees the same.
    Each bad key is one error line naming the file and the key.
    """
    import tomllib

    from bot.settings import ConfigError, config_path, get_settings

    get_settings.cache_clear()
    try:
        return get_settings()
    except tomllib.TOMLDecodeError as exc:
        fail(f"{config_path()}: not valid TOML: {exc}", 2)
    except ConfigError as exc:
        fail(str(exc), 2)


def state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` the app callback stored in ``ctx.obj`` (a fresh one when run bare).

    Notes whether the command ``ctx`` was given ``--json`` (its ``as_json`` parameter).
    """
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    root.obj.json = bool(ctx.params.get("as_json"))
    return root.obj
