"""Process wiring of ``paperbot run``: store, commands, chat runtimes, scheduler, signals.

Which chat adapters start depends on the secrets present in the environment:

* ``SLACK_BOT_TOKEN`` + ``SLACK_APP_TOKEN``: Slack in Socket Mode;
* ``SLACK_SIGNING_SECRET`` + ``SLACK_CLIENT_ID`` (+ ``SLACK_CLIENT_SECRET``), or
  ``SLACK_SIGNING_SECRET`` + ``SLACK_BOT_TOKEN``: Slack over HTTP (OAuth for many workspaces);
* ``DISCORD_TOKEN``: Discord;
* none of them: the console adapter, which prints each digest as it is posted.

The Slack and Discord adapters are imported only when configured
(``bot.slack.runtime.create_runtime`` / ``bot.discord.runtime.create_runtime``), so
a missing adapter or dependency is an error only for the platform that needs it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from sqlalchemy import literal, select

from bot.commands import Commands
from bot.console import ConsoleRuntime
from bot.delivery import Poster
from bot.demo import DEMO_CONFIG, SAMPLE_DIGESTS, add_demo_team, load_demo_team
from bot.digest import counted
from bot.runtime import AdapterStartError, ChatRuntime
from bot.service.context import JobContext, set_context
from bot.service.due import DueDigest, due_digests
from bot.service.ingest_jobs import Fetch
from bot.service.once import OnceReport, run_once
from bot.service.outage import transient
from bot.service.scheduler import install_jobs, make_scheduler, stop_scheduler
from bot.service.workers import DigestWorkers
from bot.settings import Secrets, Settings
from recommender.ingest import ingest
from recommender.store import Channel, Digest, Member, Paper, Store
from recommender.store.errors import describe_db_error
from recommender.store.models import SourceRun, utcnow

log = logging.getLogger(__name__)


class RuntimeUnavailable(RuntimeError):
    """A platform is configured (its secrets are set) but its adapter cannot be loaded."""


# -- chat runtimes ------------------------------------------------------------------------------------
def slack_mode(settings: Settings, secrets: Secrets) -> str | None:
    """``"socket"``, ``"http"`` or ``None`` (Slack not configured), from which secrets are set.

    When both sets are present, ``[slack] mode`` in the config decides.
    """
    modes = slack_mode_of(secrets)
    return settings.slack.mode if modes == "both" else modes


def slack_missing(secrets: Secrets) -> str | None:
    """Why Slack does not start although some of its secrets are set (None when none or enough are set)."""
    given = [name for name in ("slack_bot_token", "slack_app_token", "slack_signing_secret", "slack_client_id",
                               "slack_client_secret") if getattr(secrets, name)]
    if not given or slack_mode_of(secrets) is not None:
        return None
    shown = " and ".join(n.upper() for n in given)
    socket = " and ".join(n.upper() for n in ("slack_bot_token", "slack_app_token") if not getattr(secrets, n))
    http = [] if secrets.slack_signing_secret else ["SLACK_SIGNING_SECRET"]
    if not (secrets.slack_bot_token or secrets.slack_client_id):
        http.append("SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth)")
    return (f"Slack not started (running without it): {shown} {'is' if len(given) == 1 else 'are'} set, but Socket "
            f"Mode still needs {socket}; HTTP mode still needs {' with '.join(http)}")


def slack_mode_of(secrets: Secrets) -> str | None:
    """``"socket"``, ``"http"``, ``"both"`` or None: which Slack modes the secrets allow."""
    socket = bool(secrets.slack_bot_token and secrets.slack_app_token)
    http = bool(secrets.slack_signing_secret and (secrets.slack_client_id or secrets.slack_bot_token))
    return "both" if socket and http else "socket" if socket else "http" if http else None


def _import_adapter(platform: str, hint: str):
    module = f"bot.{platform}.runtime"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name in (f"bot.{platform}", module):
            raise RuntimeUnavailable(
                f"{platform} is configured ({hint} set) but this build has no {module} module"
            ) from None
        raise RuntimeUnavailable(
            f"{platform} is configured ({hint} set) but its adapter needs the missing package {exc.name!r}"
        ) from None


def create_runtimes(
    commands: Commands, settings: Settings, secrets: Secrets, *, sync_commands: bool = False,
    port: int | None = None, host: str = "0.0.0.0", console: Console | None = None, once: bool = False,
) -> list[ChatRuntime]:
    """The chat runtimes to run: Slack and/or Discord as configured, else the console.

    With ``once`` (``paperbot run --once``) Slack posts without listening: no HTTP port or Socket
    Mode connection, which the service running beside it holds.

    Which adapters start, and why, is logged; so is the secret a half-configured Slack lacks.

    Raises
    ------
    RuntimeUnavailable
        A configured platform's adapter module or dependency is missing.
    """
    runtimes: list[ChatRuntime] = []
    mode = slack_mode(settings, secrets)
    if mode:
        slack = settings.slack.model_copy(update={"mode": mode, **({"port": port} if port is not None else {})})
        slack_settings = settings.model_copy(update={"slack": slack})
        hint = "SLACK_BOT_TOKEN and SLACK_APP_TOKEN" if mode == "socket" else "SLACK_SIGNING_SECRET"
        runtimes.append(_import_adapter("slack", hint).create_runtime(commands, slack_settings, secrets, host=host,
                                                                      listen=not once))
        log.debug("adapter selected", extra={"adapter": "slack", "mode": mode, "why": f"{hint} set"})
    elif (missing := slack_missing(secrets)) is not None:
        log.warning(missing)
    if secrets.discord_token:
        adapter = _import_adapter("discord", "DISCORD_TOKEN")
        runtimes.append(adapter.create_runtime(
            commands, settings, secrets, sync_commands=sync_commands or settings.discord.sync_commands))
    if secrets.discord_token:
        log.debug("adapter selected", extra={"adapter": "discord", "why": "DISCORD_TOKEN set"})
    if not runtimes:
        runtimes.append(ConsoleRuntime(console))
        log.debug("adapter selected", extra={"adapter": "console", "why": "no complete Slack or Discord secrets"})
    return runtimes


# -- console bootstrap --------------------------------------------------------------------------------
#: What makes a database a team's: any row here, and the console bootstrap adds nothing.
SETUP_TABLES = {"papers": Paper, "digests": Digest, "users": Member, "channels": Channel, "source runs": SourceRun}


def bootstrap_console(store: Store, commands: Commands, *, digests: Path = SAMPLE_DIGESTS,
                      demo: Path = DEMO_CONFIG) -> list[str]:
    """Make a fresh console-only bot show something: sample papers and the demo team, on an empty database only.

    Empty means no paper, no ingested digest, no user, no channel and no source run on record
    (:data:`SETUP_TABLES`): a database where a team has set anything up, or where a bot ran,
    is never given sample papers or demo people. On an empty one, ingests the bundled
    ``samples/digests`` (read in place, never moved) and sets up the demo team of
    ``config/demo.toml`` (:func:`bot.demo.add_demo_team`), then logs one line saying what
    it added and that ``paperbot run --no-bootstrap`` skips it. Returns what it did, one line each.

    Raises
    ------
    OSError, tomllib.TOMLDecodeError, pydantic.ValidationError
        The demo team file cannot be read or is not valid (:func:`bot.demo.load_demo_team`).
    """
    with store.session() as session:
        held = [name for name, model in SETUP_TABLES.items()
                if session.scalar(select(literal(1)).select_from(model).limit(1)) is not None]
    if held:
        log.debug("console bootstrap skipped", extra={"why": f"the database is not empty ({', '.join(held)})"})
        return []
    notes = []
    if digests.is_dir():
        results = ingest(store, [digests])
        notes.append(f"ingested the bundled sample digests: {counted(sum(r.new for r in results), 'paper')} "
                     f"from {counted(len(results), 'file')}")
    if demo.is_file():
        team = load_demo_team(demo)
        add_demo_team(commands, team)
        notes.append(f"set up the demo team from {demo.name}: {counted(len(team.users), 'user')}, "
                     f"{counted(len(team.channels), 'channel')}")
    if notes:
        log.info("console bootstrap: the database was empty, so the sample papers and the demo team were added "
                 "(paperbot run --no-bootstrap keeps an empty database empty)", extra={"did": "; ".join(notes)})
    return notes


# -- the process --------------------------------------------------------------------------------------
@dataclass
class RunOptions:
    """Options of ``paperbot run``.

    Attributes
    ----------
    once : bool
        Run every source and every digest once, now, then exit.
    sync_commands : bool
        Discord: sync the app commands at start.
    port : int or None
        Slack HTTP mode: port to listen on (default ``[slack] port``; 0 = any free port, logged).
    host : str
        Slack HTTP mode: address to bind (default all interfaces).
    bootstrap : bool
        Console mode: the sample digests and demo team into an empty database (no paper, digest,
        user, channel or source run: :func:`bootstrap_console`) when the config declares no ``[[sources]]``.
    """

    once: bool = False
    sync_commands: bool = False
    port: int | None = None
    host: str = "0.0.0.0"
    bootstrap: bool = True
    fetch: Fetch | None = None
    console: Console | None = None
    stop: asyncio.Event | None = None
    report: OnceReport | None = field(default=None)


async def serve(store: Store, settings: Settings, secrets: Secrets, options: RunOptions) -> int:
    """Run the bot until SIGINT/SIGTERM (or ``options.stop`` is set), or once with ``options.once``.

    What is due is read from the database at start and at every ``sync``
    (:mod:`bot.service.due`), and posted by :class:`bot.service.workers.DigestWorkers`.
    Shutdown stops taking work (the context closes: jobs and retry waits end,
    queued digests are dropped), gives the posts under way
    ``[service] shutdown_seconds`` to finish, logs how many digests were left (the
    next start posts them: they are still due in the database, or their claims
    go stale), then stops the chat adapters. ``--once`` honours the same signals:
    the digest being posted finishes, the rest is left for the next start.

    Returns
    -------
    int
        Exit status: 0; 1 when ``--once`` saw a source run with errors (status
        ``error`` or ``partial``), a digest fail, or was stopped by a signal before
        the end (:attr:`OnceReport.failed`); 1 when the database was unreachable at start
        (one log line with the whole error).

    Raises
    ------
    RuntimeUnavailable
        A configured chat platform's adapter cannot be loaded.
    AdapterStartError
        A chat adapter could not start (token refused, service unreachable); the
        adapters already started are stopped first.
    """
    sources = settings.ingest_sources()
    commands = Commands(store, settings)
    runtimes = create_runtimes(commands, settings, secrets, sync_commands=options.sync_commands,
                               port=options.port, host=options.host, console=options.console, once=options.once)
    posters: dict[str, Poster] = {}
    for rt in runtimes:
        posters.update(rt.posters())
    if options.bootstrap and [rt.name for rt in runtimes] == ["console"] and not settings.sources:
        bootstrap_console(store, commands)  # a config declaring [[sources]] is a team's own: never the demo team
    ctx = JobContext(store, settings, posters, sources, fetch=options.fetch, recommender=commands.recommender)
    log.info("paperbot starting", extra={
        "adapters": ",".join(rt.name for rt in runtimes), "platforms": ",".join(sorted(posters)),
        "sources": ",".join(s.name for s in sources), "once": options.once,
        "database": store.engine.url.render_as_string(hide_password=True),
    })
    loop = asyncio.get_running_loop()
    stop = options.stop or asyncio.Event()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, _on_signal, stop, sig)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
            pass
    started: list[ChatRuntime] = []
    scheduler = None
    workers = None
    try:
        for rt in runtimes:
            await _start(rt)
            started.append(rt)
        set_context(ctx)
        if options.once:
            return await _serve_once(ctx, stop, options)
        commands.recommender.warm_up()  # the TF-IDF rows load beside the first requests
        workers = ctx.workers = DigestWorkers(ctx, settings.service.workers)
        workers.start()
        scheduler = make_scheduler(store)
        try:
            with store.schema_lock():  # APScheduler creates its job-store table here: one process at a time
                scheduler.start(paused=True)
            sync = install_jobs(scheduler, ctx)
        except Exception as exc:
            if not transient(exc):
                raise
            log.error("database unavailable at start", extra={"error": describe_db_error(exc)})
            return 1
        scheduler.resume()
        log.info("scheduler running", extra={"jobs": len(scheduler.get_jobs(jobstore="default")), "added": len(sync.added),
                                             "updated": len(sync.updated), "removed": len(sync.removed),
                                             "workers": settings.service.workers})
        await stop.wait()
        log.info("shutting down", extra={"waiting_seconds": settings.service.shutdown_seconds})
        ctx.close()
        stop_scheduler(scheduler, ctx.owner)
        await asyncio.to_thread(finish_posts, ctx, workers, settings.service.shutdown_seconds)
        return 0
    finally:
        ctx.close()
        if scheduler is not None:
            stop_scheduler(scheduler, ctx.owner)
        if workers is not None:
            workers.close(0)
        for rt in reversed(started):
            try:
                await rt.stop()
            except Exception:
                log.exception("adapter stop failed", extra={"adapter": rt.name})
        for sig in handled:
            loop.remove_signal_handler(sig)
        log.info("paperbot stopped")


def finish_posts(ctx: JobContext, workers: DigestWorkers, timeout: float) -> int | None:
    """Let the posts under way finish (at most ``timeout`` seconds), then log what is left for the next start.

    A digest is counted once by its target and day, whether it is still due in the database
    (:func:`left_due`: queued and dropped, or never queued) or was cut off under way (a post cut off
    before its claim was written is also still due). Returns how many were left (None: the database
    could not say, and only the posts cut off are counted in the line).
    """
    deadline = time.monotonic() + timeout
    dropped, _ = workers.close(timeout)
    ctx.wait_idle(max(0.0, deadline - time.monotonic()))
    due = left_due(ctx)
    days = {(d.kind, d.target_id): d.day for d in due or []}
    cut_off = {(kind, target_id, day or days.get((kind, target_id)))
               for (kind, target_id), day in workers.cut_off.items()}
    still_due = {(d.kind, d.target_id, d.day) for d in due or []} - cut_off
    facts = {"posted": workers.posted, "queued_dropped": dropped, "unfinished": len(cut_off),
             "due_left": "unknown (database unavailable)" if due is None else len(still_due)}
    left = len(still_due) + len(cut_off)
    if left:
        log.warning(f"{left} digests left; the next start posts them", extra=facts)
    else:
        log.info("no digest left", extra=facts)
    return None if due is None else left


def left_due(ctx: JobContext) -> list[DueDigest] | None:
    """The digests due and unclaimed in the database now (None: the database cannot say)."""
    try:
        with ctx.store.session() as session:
            return due_digests(session, set(ctx.posters), utcnow())
    except Exception as exc:
        if not transient(exc):
            raise
        return None


async def _serve_once(ctx: JobContext, stop: asyncio.Event, options: RunOptions) -> int:
    """``--once`` in a worker thread; a signal closes the context, so it stops after the digest under way."""
    once = asyncio.ensure_future(asyncio.to_thread(run_once, ctx))
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({once, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if not once.done():
        log.info("shutting down", extra={"once": True})
        ctx.close()
    stopped.cancel()
    report = await once
    options.report = report
    if report.left:
        log.warning(f"{report.left} digests left; the next start posts them", extra={"posted": sum(
            o.status == "posted" for _, o in report.digests)})
    return 1 if report.failed else 0


async def _start(rt: ChatRuntime) -> None:
    """Start one adapter; any failure becomes an :class:`AdapterStartError` with a one-line message."""
    try:
        await rt.start()
    except AdapterStartError:
        log.debug("adapter start failed", extra={"adapter": rt.name}, exc_info=True)
        raise
    except Exception as exc:
        log.debug("adapter start failed", extra={"adapter": rt.name}, exc_info=True)
        raise AdapterStartError(f"{rt.name} adapter failed to start: {type(exc).__name__}: {exc}") from exc


def _on_signal(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("signal received", extra={"signal": sig.name})
    stop.set()


__all__ = [
    "RuntimeUnavailable", "RunOptions", "OnceReport", "slack_mode", "create_runtimes", "bootstrap_console", "serve",
    "run_once", "left_due", "finish_posts",
]
