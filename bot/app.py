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
import datetime as dt
import importlib
import logging
import signal
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from sqlalchemy import MetaData, Table, func, select
from sqlalchemy.exc import NoSuchTableError

from bot.commands import Caller, Commands
from bot.console import ConsolePoster
from bot.delivery import MAX_ATTEMPTS, Poster
from bot.runtime import AdapterStartError, ChatRuntime
from bot.scheduler import (
    JOBSTORE_TABLE,
    MISFIRE_GRACE_SECONDS,
    SHUTDOWN_TIMEOUT_SECONDS,
    SYNC_INTERVAL_SECONDS,
    SYNC_JOB_ID,
    JobContext,
    OnceReport,
    digest_job_id,
    install_jobs,
    make_scheduler,
    next_digest_time,
    run_once,
    set_context,
    stop_scheduler,
)
from bot.sources import SourceSpec, load_sources
from recommender.ingest import ingest
from recommender.settings import REPO_ROOT, Secrets, Settings
from recommender.store import Channel, Delivery, Member, Paper, Store
from recommender.store.models import SourceRun, utcnow

log = logging.getLogger(__name__)

SAMPLE_DIGESTS = REPO_ROOT / "samples" / "digests"
DEMO_CONFIG = REPO_ROOT / "config" / "demo.toml"


class RuntimeUnavailable(RuntimeError):
    """A platform is configured (its secrets are set) but its adapter cannot be loaded."""


# -- chat runtimes ------------------------------------------------------------------------------------
class ConsoleRuntime:
    """The adapter with no chat account: posts digests of ``cli``/``console`` targets to the terminal."""

    name = "console"

    def __init__(self, console: Console | None = None):
        self.poster = ConsolePoster(console)

    def posters(self) -> dict[str, Poster]:
        return {"cli": self.poster, "console": self.poster}

    async def start(self) -> None:
        log.info("console adapter started", extra={"platforms": "cli,console"})

    async def stop(self) -> None:
        return None


def slack_mode(settings: Settings, secrets: Secrets) -> str | None:
    """``"socket"``, ``"http"`` or ``None`` (Slack not configured), from which secrets are set.

    When both sets are present, ``[slack] mode`` in the config decides.
    """
    socket = bool(secrets.slack_bot_token and secrets.slack_app_token)
    http = bool(secrets.slack_signing_secret and (secrets.slack_client_id or secrets.slack_bot_token))
    if socket and http:
        return settings.slack.mode
    return "socket" if socket else "http" if http else None


def configured_platforms(settings: Settings, secrets: Secrets) -> list[str]:
    """Chat platforms whose secrets are present: a subset of ``["slack", "discord"]``."""
    return [p for p, on in (("slack", slack_mode(settings, secrets)), ("discord", secrets.discord_token)) if on]


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
    port: int | None = None, console: Console | None = None,
) -> list[ChatRuntime]:
    """The chat runtimes to run: Slack and/or Discord as configured, else the console.

    Raises
    ------
    RuntimeUnavailable
        A configured platform's adapter module or dependency is missing.
    """
    runtimes: list[ChatRuntime] = []
    mode = slack_mode(settings, secrets)
    if mode:
        slack = settings.slack.model_copy(update={"mode": mode, **({"port": port} if port else {})})
        slack_settings = settings.model_copy(update={"slack": slack})
        hint = "SLACK_BOT_TOKEN and SLACK_APP_TOKEN" if mode == "socket" else "SLACK_SIGNING_SECRET"
        runtimes.append(_import_adapter("slack", hint).create_runtime(commands, slack_settings, secrets))
    if secrets.discord_token:
        adapter = _import_adapter("discord", "DISCORD_TOKEN")
        runtimes.append(adapter.create_runtime(
            commands, settings, secrets, sync_commands=sync_commands or settings.discord.sync_commands))
    if not runtimes:
        runtimes.append(ConsoleRuntime(console))
    return runtimes


# -- console bootstrap --------------------------------------------------------------------------------
def bootstrap_console(store: Store, commands: Commands, *, digests: Path = SAMPLE_DIGESTS,
                      demo: Path = DEMO_CONFIG) -> list[str]:
    """Make a fresh console-only bot show something: sample papers and the demo team.

    With no papers stored, ingests the bundled ``samples/digests`` (read in place,
    never moved); with no member and no channel at all, sets up the demo users and
    channel of ``config/demo.toml`` on the ``cli`` platform, subscribed at the
    default digest time. Returns what it did, one line each.
    """
    notes = []
    with store.session() as session:
        papers = session.scalar(select(func.count(Paper.id))) or 0
        people = (session.scalar(select(func.count(Member.id))) or 0) + (session.scalar(select(func.count(Channel.id))) or 0)
    if not papers and digests.is_dir():
        results = ingest(store, [digests])
        notes.append(f"ingested the bundled sample digests: {sum(r.new for r in results)} papers from {len(results)} files")
    if not people and demo.is_file():
        with demo.open("rb") as fh:
            team = tomllib.load(fh)
        for user in team.get("users", []):
            who = Caller("cli", "local", user["name"], display_name=user["name"])
            for text in user.get("interests", []):
                commands.interests_add(who, text)
            commands.subscribe(who)
        for ch in team.get("channels", []):
            where = Caller("cli", "local", "demo", display_name="demo", channel_ref=ch["name"], channel_name=ch["name"])
            commands.channel_setup(where, topic=ch.get("topic"), size=ch.get("size"))
        notes.append(f"set up the demo team from {demo.name}: {len(team.get('users', []))} users, "
                     f"{len(team.get('channels', []))} channels")
    for note in notes:
        log.info("console bootstrap", extra={"did": note})
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
        Slack HTTP mode: port to listen on (default ``[slack] port``).
    bootstrap : bool
        Console mode: sample digests and demo team into an empty database.
    """

    once: bool = False
    sync_commands: bool = False
    port: int | None = None
    bootstrap: bool = True
    fetch: object | None = None
    console: Console | None = None
    stop: asyncio.Event | None = None
    report: OnceReport | None = field(default=None)


async def serve(store: Store, settings: Settings, secrets: Secrets, options: RunOptions) -> int:
    """Run the bot until SIGINT/SIGTERM (or ``options.stop`` is set), or once with ``options.once``.

    Shutdown: the scheduler stops taking jobs, running jobs get
    :data:`bot.scheduler.SHUTDOWN_TIMEOUT_SECONDS` to finish (a digest still
    unfinished then stays claimed and is retried at the next start once its claim
    is stale), then the chat adapters stop. Every database write is one
    transaction, so nothing is half-written.

    Returns
    -------
    int
        Exit status: 0, or 1 when ``--once`` saw a source run with errors (status
        ``error`` or ``partial``) or a digest fail (:attr:`bot.scheduler.OnceReport.failed`).

    Raises
    ------
    RuntimeUnavailable
        A configured chat platform's adapter cannot be loaded.
    AdapterStartError
        A chat adapter could not start (token refused, service unreachable); the
        adapters already started are stopped first.
    bot.sources.SourceConfigError
        An invalid ``[[sources]]`` entry.
    """
    sources: list[SourceSpec] = load_sources(settings)
    commands = Commands(store, settings)
    runtimes = create_runtimes(commands, settings, secrets, sync_commands=options.sync_commands,
                               port=options.port, console=options.console)
    posters: dict[str, Poster] = {}
    for rt in runtimes:
        posters.update(rt.posters())
    if options.bootstrap and [rt.name for rt in runtimes] == ["console"]:
        bootstrap_console(store, commands)
    ctx = JobContext(store, settings, posters, sources, fetch=options.fetch)
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
    try:
        for rt in runtimes:
            await _start(rt)
            started.append(rt)
        if options.once:
            set_context(ctx)
            report = await asyncio.to_thread(run_once, ctx)
            options.report = report
            return 1 if report.failed else 0
        scheduler = make_scheduler(store)
        scheduler.start(paused=True)
        sync = install_jobs(scheduler, ctx)
        scheduler.resume()
        log.info("scheduler running", extra={"jobs": len(scheduler.get_jobs()), "added": len(sync.added),
                                             "updated": len(sync.updated), "removed": len(sync.removed)})
        await stop.wait()
        log.info("shutting down", extra={"waiting_seconds": SHUTDOWN_TIMEOUT_SECONDS})
        stop_scheduler(scheduler)
        if not await asyncio.to_thread(ctx.wait_idle, SHUTDOWN_TIMEOUT_SECONDS):
            log.warning("jobs still running at shutdown; their digests stay claimed and are retried at the next start")
        return 0
    finally:
        if scheduler is not None:
            stop_scheduler(scheduler)
        for rt in reversed(started):
            try:
                await rt.stop()
            except Exception:
                log.exception("adapter stop failed", extra={"adapter": rt.name})
        for sig in handled:
            loop.remove_signal_handler(sig)
        set_context(None)
        log.info("paperbot stopped")


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


# -- status -------------------------------------------------------------------------------------------
def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


def job_store_rows(store: Store) -> dict[str, dt.datetime | None] | None:
    """``{job id: next run time (UTC) or None if paused}`` read from the job store table, or None if absent."""
    try:
        table = Table(JOBSTORE_TABLE, MetaData(), autoload_with=store.engine)
    except NoSuchTableError:
        return None
    with store.engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.next_run_time)).all()
    return {
        job_id: dt.datetime.fromtimestamp(ts, dt.timezone.utc) if ts is not None else None for job_id, ts in rows
    }


def collect_status(store: Store, settings: Settings, *, now: dt.datetime | None = None) -> dict:
    """Sources (last run, new papers), targets (next digest, last posted) and job-store health.

    Times are ISO 8601, UTC. ``job_store.scheduler_running`` is judged from the
    ``sync`` job's next run time (the heartbeat): at most two sync intervals late.
    A clean shutdown pauses the ``sync`` job, clearing the heartbeat
    (``scheduler_state`` ``"stopped"``); a process that died leaves it to go
    ``"stale"``. A target's ``next_digest`` is when its digest will actually be
    posted: a slot whose day was already delivered (e.g. by ``run --once``) is
    skipped (:func:`bot.scheduler.next_digest_time`).
    """
    now = now or utcnow()
    jobs = job_store_rows(store)
    out: dict = {"now": now.isoformat(), "sources": [], "targets": []}
    try:
        specs = load_sources(settings)
        config_error = None
    except ValueError as exc:
        specs, config_error = [], str(exc)
    with store.session() as session:
        for spec in specs:
            last = session.scalars(
                select(SourceRun).where(SourceRun.source == spec.name).order_by(SourceRun.started_at.desc()).limit(1)
            ).first()
            total = session.scalar(select(func.sum(SourceRun.new_papers)).where(SourceRun.source == spec.name)) or 0
            out["sources"].append({
                "name": spec.name, "kind": spec.kind, "schedule": spec.schedule,
                "last_run": _aware(last.started_at).isoformat() if last else None,
                "status": last.status if last else None, "new_papers": last.new_papers if last else None,
                "new_papers_total": int(total), "error": last.error if last else None,
                "next_run": _iso((jobs or {}).get(f"ingest:{spec.name}")),
            })
        rows = [*session.scalars(select(Channel).order_by(Channel.id)), *session.scalars(select(Member).order_by(Member.id))]
        for row in rows:
            kind = "channel" if isinstance(row, Channel) else "member"
            on = row.enabled if kind == "channel" else row.subscribed
            if not on:
                continue
            last = session.scalars(
                select(Delivery).where(Delivery.target_kind == kind, Delivery.target_id == row.id)
                .order_by(Delivery.day.desc()).limit(1)
            ).first()
            last_posted = session.scalar(
                select(func.max(Delivery.posted_at)).where(Delivery.target_kind == kind, Delivery.target_id == row.id,
                                                            Delivery.status == "posted")
            )
            job_id = digest_job_id(kind, row.id)
            done = {
                day for day, status, attempts in session.execute(
                    select(Delivery.day, Delivery.status, Delivery.attempts)
                    .where(Delivery.target_kind == kind, Delivery.target_id == row.id,
                           Delivery.day >= (now - dt.timedelta(days=2)).date())
                )
                if status != "failed" or attempts >= MAX_ATTEMPTS  # a failed one with attempts left is retried
            }
            try:
                due = next_digest_time(row.digest_time, row.timezone, now=now, done_days=done,
                                       scheduled=(jobs or {}).get(job_id))
            except Exception:
                due = None
            out["targets"].append({
                "kind": kind, "id": row.id, "platform": row.platform,
                "name": (f"#{row.name or row.channel_ref}" if kind == "channel" else row.name),
                "schedule": f"{row.digest_time} {row.timezone}", "scheduled": bool(jobs and job_id in jobs),
                "next_digest": _iso(due),
                "last_posted": _iso(_aware(last_posted)), "last_day": str(last.day) if last else None,
                "last_status": last.status if last else None, "last_error": last.error if last else None,
            })
    health: dict = {"table": JOBSTORE_TABLE, "exists": jobs is not None, "config_error": config_error}
    if jobs is not None:
        heartbeat = jobs.get(SYNC_JOB_ID)
        late = [j for j, t in jobs.items() if t is not None and (now - t).total_seconds() > MISFIRE_GRACE_SECONDS]
        if SYNC_JOB_ID not in jobs:
            state = "never started"
        elif heartbeat is None:
            state = "stopped"  # paused by a clean shutdown
        elif (now - heartbeat).total_seconds() <= 2 * SYNC_INTERVAL_SECONDS + 5:
            state = "running"
        else:
            state = "stale"  # the process died, or its scheduler is stuck
        health.update({
            "jobs": len(jobs), "heartbeat": _iso(heartbeat),
            "scheduler_running": state == "running", "scheduler_state": state,
            "overdue_jobs": sorted(late),
        })
    out["job_store"] = health
    return out


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).isoformat() if value else None


__all__ = [
    "ConsoleRuntime", "RuntimeUnavailable", "AdapterStartError", "RunOptions", "slack_mode", "configured_platforms", "create_runtimes",
    "bootstrap_console", "serve", "collect_status", "job_store_rows",
]
