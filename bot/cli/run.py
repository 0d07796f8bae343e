"""``paperbot run`` (the bot process) and ``paperbot status`` (what it did and will do)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.state import JsonOpt, console, emit_json, fail, state


def _port(value: int | None) -> int | None:
    """``--port`` checked here, not by ``min``/``max``: typer printed that range, ``[0<=x<=65535]``, in the column
    of types, which left ``run --help``'s help text 19 characters at 80 columns.

    Raises
    ------
    typer.BadParameter
        ``value`` is outside 0-65535 (a usage error, exit status 2).
    """
    if value is not None and not 0 <= value <= 65535:
        raise typer.BadParameter(f"{value} is not a port number: give 0 to 65535")
    return value


def run_cmd(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run every source and every digest once, now, and exit.")] = False,
    sync_commands: Annotated[bool, typer.Option("--sync-commands", help="Discord: sync app commands at start.")] = False,
    port: Annotated[int | None, typer.Option(
        metavar="PORT", callback=_port, help="Slack HTTP mode: port to listen on, 0-65535 (0: any free port, logged).")] = None,
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Slack HTTP mode: address to bind.")] = "0.0.0.0",
    no_bootstrap: Annotated[bool, typer.Option(
        "--no-bootstrap",  # alone: a --bootstrap beside it took a column of its own in the help
        help="Console mode: keep an empty database empty. Without it the sample digests are ingested and the "
             "demo team added when the database is empty (no paper, digest, user, channel or source run).")] = False,
    bootstrap: Annotated[bool, typer.Option(
        "--bootstrap", hidden=True,  # the default, spelled out by scripts written when the help listed it
        help="Console mode: the default, the opposite of --no-bootstrap.")] = False,
) -> None:
    """Run the bot: scheduled ingestion, daily digests and chat adapters.

    Slack and/or Discord start when their secrets are in the environment;
    with none, digests are printed to this terminal. Stop with Ctrl+C or SIGTERM.
    Exit status 1 when the database cannot be reached (one log line), a chat
    adapter cannot start (one error line; the traceback with --log-level DEBUG)
    or --once saw a failure; 2 for a configuration error.
    """
    import asyncio
    import logging
    import traceback

    from bot.runtime import AdapterStartError
    from bot.service.run import RunOptions, RuntimeUnavailable, serve
    from bot.settings import ConfigError, Secrets

    if bootstrap and no_bootstrap:
        fail("give --bootstrap or --no-bootstrap, not both", 2)
    cli = state(ctx)
    options = RunOptions(once=once, sync_commands=sync_commands, port=port, host=host, bootstrap=not no_bootstrap,
                         console=console)
    store = cli.store()
    try:
        status = asyncio.run(serve(store, cli.settings, Secrets(), options))
    except (RuntimeUnavailable, ConfigError) as exc:
        fail(str(exc), 2)
    except AdapterStartError as exc:  # token refused, service unreachable: one line, no secret
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            traceback.print_exception(exc)
        fail(str(exc), 1)
    finally:
        store.dispose()
    if once and options.report is not None:
        print_once_summary(console, options.report)
    raise typer.Exit(status)


def status_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """What the bot did and will do: sources, digests, jobs, database.

    Sources (last run, new papers), targets (next digest, last posted), job-store health and the database.

    Exit status 1 when the database cannot be reached: one error line, or with --json an object
    with "error" and "database".
    """
    from bot.service.status import collect_status

    cli = state(ctx)
    store = cli.store()
    try:
        data = collect_status(store, cli.settings)
        data["database"] = store.engine.url.render_as_string(hide_password=True)
    finally:
        store.dispose()
    if as_json:
        return emit_json(data)
    print_status(console, data)


def print_once_summary(console: Console, report) -> None:
    """``run --once``'s table (:func:`once_table`), then each error whole on a line of its own: ``error ingest
    inbox: badid.json: /tmp/…/badid.json:1: …`` (a path in the table's last column was cut with "…" at 80 columns)."""
    from rich.markup import escape

    console.print(once_table(report))
    errors = [f"ingest {s.source}: {s.error}" for s in report.sources if s.error]
    errors += [f"digest {_once_target(target)} ({target.platform}): {outcome.error}" for target, outcome in report.digests
               if outcome.error and outcome.status in FAILED]
    errors += [f"{_once_club(run)}: {run.outcome.error}" for run in report.clubs
               if run.outcome.error and run.outcome.status in FAILED]
    for line in errors:
        console.print(f"[red]error[/red] {escape(line)}", highlight=False, soft_wrap=True)


#: A digest's statuses whose ``error`` is one, printed under ``run --once``'s table (a ``skipped`` one's is a reason).
FAILED = ("failed", "unreachable")


def _once_target(target) -> str:
    return f"#{target.name}" if target.kind == "channel" else f"@{target.name}"


def _once_club(run) -> str:
    """``club poll #reading (slack)`` (or ``club close``) for a :class:`bot.service.club_jobs.ClubRun`."""
    from bot.club import POLL

    return f"club {'poll' if run.kind == POLL else 'close'} #{run.channel} ({run.platform})"


def once_table(report) -> Table:
    """Summary of ``run --once``: one row per source, per digest and per journal club poll or close it ran.

    A source whose inbox files were still changing after ``--once`` waited for them says so in its status
    (``1 file waiting (settling)``, alone when nothing else was ingested) and when they will be taken; its
    input warnings follow. An error is ``error: see below`` here, printed whole by :func:`print_once_summary`
    (a skipped digest's reason stays in its row). Cells fold, never cut.
    """
    from rich.markup import escape

    from bot.cli.ingest import ERROR_NOTE

    table = Table(title="paperbot run --once")
    for col in ("job", "status", "papers", "error / note"):
        table.add_column(col, overflow="fold")
    for s in report.sources:
        status, notes = s.status, [ERROR_NOTE] if s.error else []
        if s.waiting_note:
            status = s.waiting_note if s.status == "waiting" else f"{s.status}; {s.waiting_note}"
            notes.append(f"{', '.join(s.waiting)}: still changing after --once waited up to {s.settle_seconds:g} s "
                         "for it to settle; a later run takes it once it has not changed for that long")
        notes += [f"warning: {w}" for w in s.warnings]
        table.add_row(escape(f"ingest {s.source} ({s.kind})"), escape(status), f"{s.new_papers} new",
                      escape("\n".join(notes)))
    for target, outcome in report.digests:
        error = outcome.error and (ERROR_NOTE if outcome.status in FAILED else outcome.error)
        table.add_row(escape(f"digest {_once_target(target)} ({target.platform})"), outcome.status,
                      str(outcome.papers), escape(error or ""))
    for run in report.clubs:  # as a digest: a failure's error under the table, a skip's reason in its row
        outcome = run.outcome
        error = outcome.error and (ERROR_NOTE if outcome.status in FAILED else outcome.error)
        table.add_row(escape(_once_club(run)), outcome.status, str(outcome.papers), escape(error or ""))
    return table


def print_status(console: Console, data: dict) -> None:
    """Render :func:`bot.service.status.collect_status` (plus the ``database`` in use) as tables.

    Every value is data, not Rich markup: names, errors and reasons are escaped (``[recommender]``).
    """
    from rich.markup import escape as e

    from bot.cli.tables import fit_rows
    from bot.digest import counted

    console.print(f"Database: {e(data['database'])}", highlight=False, soft_wrap=True)
    ranking = data["ranking"]
    lacking = f" ({ranking['lacking_vectors']:,} papers still to embed)" if ranking.get("lacking_vectors") else ""
    console.print(f"Ranking: TF-IDF and sentence embeddings{lacking}" if ranking["semantic"] else
                  f"Ranking: {e(ranking['reason'])}", highlight=False)
    papers = data["papers"]
    console.print(f"Papers: {papers['stored']} stored, {papers['without_link']} without a link"
                  + (" (paperbot enrich looks them up on arXiv)" if papers["without_link"] else ""), highlight=False)
    sources = _table("Sources", "source", "kind", "schedule", "last run", "status", "new papers", "next run")
    errors = []
    for s in data["sources"]:
        sources.add_row(e(s["name"]), s["kind"], e(s["schedule"]), _stamp(s["last_run"]) or "never", s["status"] or "-",
                        "-" if s["new_papers"] is None else str(s["new_papers"]), _stamp(s["next_run"]) or "-")
        error = "; ".join(filter(None, (s["error"] or _failure_text(s.get("last_failure"), data["now"]),
                                        _failed_text(s.get("failed_files", 0)))))
        if error:
            errors.append(f"{s['name']}: {error}")
    console.print(sources)
    for line in errors:  # under the table, whole: a path or a parser's message in a column was cut or folded
        console.print(f"[red]error[/red] {e(line)}", highlight=False, soft_wrap=True)
    # 80 columns hold five: the platform goes beside the name, and only the name may be folded mid-word
    targets = _table("Digests", "target", "schedule", "next digest", "last posted", "last")
    rows = []
    for t in data["targets"]:
        nxt = (_stamp(t["next_digest"]) or "-") + ("" if t["scheduled"] else " (not scheduled)")
        nxt = f"paused: {t['paused']}" if t.get("paused") else nxt
        if t.get("owed"):
            nxt = "; ".join(f"owed: {_owed_text(o, data['now'])}" for o in t["owed"]) + f"; then {nxt}"
        last = f"{t['last_day']} {t['last_status']}" if t["last_day"] else "-"
        last += " · person told" if t.get("last_told") else ""
        rows.append((f"{t['name']} ({t['platform']})", schedule_cell(t["schedule"]), nxt,
                     _stamp(t["last_posted"]) or "never", last))
    for row in fit_rows(console, targets, rows, whole=(1, 2, 3, 4), breakable=(1,)):
        targets.add_row(*map(e, row))
    if rows:
        console.print(targets)
    else:  # an empty table reads as broken
        console.print("Digests: none yet (paperbot users subscribe NAME, or paperbot channels add NAME)", highlight=False)
    owed = "; ".join(f"{o['target']} {_owed_text(o, data['now'])}" for o in data.get("owed", [])) or "none"
    console.print(f"Owed digests: {e(owed)}", highlight=False, soft_wrap=True)
    js = data["job_store"]
    if not js["exists"]:
        # Not "nothing ran": `run --once` and the one-shot commands ingest and post without a job store.
        console.print(f"Job store: none (table {js['table']} does not exist): no long-running scheduler "
                      "(`paperbot run`) has started on this database; `paperbot run --once` does not use one.",
                      highlight=False)
    else:
        state = js.get("scheduler_state") or ("running" if js["scheduler_running"] else "not running")
        overdue = ", ".join(_overdue_text(job, data["now"]) for job in js.get("overdue", [])) or "none"
        owner = js.get("owner")
        owned = f", owner {owner['host']} pid {owner['pid']}" if owner else ""
        if owner and owner.get("gone") and state != "stopped":  # after a clean stop its process is gone, as it should be
            owned += ": process gone"
        elif state == "stopped":
            owned = owned.replace(", owner", ", last owner")
        console.print(e(f"Job store: {counted(js['jobs'], 'job')}; scheduler {state} (heartbeat {_stamp(js['heartbeat'], seconds=True) or 'none'}"
                        f"{owned}); overdue: {overdue}"), highlight=False)
    if js.get("config_error"):
        console.print(f"[red]config error[/red] {e(js['config_error'])}")


def schedule_cell(schedule: str) -> str:
    """``09:00 Europe/Paris`` as two lines, ``09:00`` over ``Europe/Paris``: a table's schedule column is then
    as wide as its longest IANA name where the terminal has room (:func:`bot.cli.tables.fit_rows`; a name too
    long for 80 columns beside the dates, ``America/Argentina/Buenos_Aires``, is broken after a slash)."""
    return schedule.replace(" ", "\n", 1)


def _table(title: str, *columns: str) -> Table:
    """A status table whose cells fold rather than being cut with "…" in a narrow terminal (80 columns)."""
    table = Table(title=title)
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def _stamp(at: str | None, *, seconds: bool = False) -> str:
    """``2026-12-07 09:00 UTC`` for a stored ISO time ("" for none): the tables' times, read at a glance.

    ``--json`` keeps the ISO form. Whole ISO stamps (``2026-12-06T23:25:43.404016+00:00``) were one word to
    Rich, so an 80-column terminal cut every one of them to ``2026-12…``, date and time gone; with spaces
    a narrow column wraps them instead.
    """
    import datetime as dt

    if not at:
        return ""
    t = dt.datetime.fromisoformat(at).astimezone(dt.UTC)
    return f"{t:%Y-%m-%d %H:%M:%S} UTC" if seconds else f"{t:%Y-%m-%d %H:%M} UTC"


def _failure_text(failure: dict | None, now: str) -> str:
    """``last error (18:37 UTC, 3 min ago): b.json: ...`` for a failure no ``ok`` run has cleared yet ("" for none)."""
    if not failure:
        return ""
    runs = f"; {failure['failed_runs']} failed runs since the last ok one" if failure["failed_runs"] > 1 else ""
    return f"last error ({_when(failure['at'], now)}): {failure['error'] or failure['status']}{runs}"


def _failed_text(count: int) -> str:
    """``2 files in failed/ (each with its .error.txt)``, or "" for none."""
    from bot.digest import counted

    return f"{counted(count, 'file')} in failed/ (each with its .error.txt)" if count else ""


def _overdue_text(job: dict, now: str) -> str:
    """``raj's digest (due 18:35 UTC, 4 min ago)``, saying when the next start skips it (past the misfire grace)."""
    skipped = "" if job["runs_at_start"] else "; too late, the next start skips this run"
    return f"{job['name']} (due {_when(job['due'], now)}{skipped})"


def _owed_text(owed: dict, now: str) -> str:
    """``2026-12-06 (due 09:00 UTC, 14 min ago): not posted yet``; or ``being posted`` (claimed, its poster
    beating), ``claimed but its poster stopped, retry at 09:12 UTC``, ``failed 2 times, retry at 09:03 UTC``."""
    import datetime as dt

    retry = owed.get("retry_at")
    passed = retry is not None and dt.datetime.fromisoformat(retry) <= dt.datetime.fromisoformat(now)
    at = "the next sync" if passed else _clock(retry, now) if retry else ""
    state = {"not started": "not posted yet",
             "claimed": f"claimed but its poster stopped, retry at {at}" if retry else
             f"being posted (claimed {_when(owed['claimed'], now)})" if owed.get("claimed") else "being posted",
             "failed": f"failed {owed['attempts']} time{'s' if owed['attempts'] != 1 else ''}, retry at {at}"}
    return f"{owed['day']} (due {_when(owed['due'], now)}): {state.get(owed['state'], owed['state'])}"


def _clock(at: str, now: str) -> str:
    """``09:12 UTC`` (the date too when it is not ``now``'s day, UTC)."""
    import datetime as dt

    t, n = dt.datetime.fromisoformat(at).astimezone(dt.UTC), dt.datetime.fromisoformat(now).astimezone(dt.UTC)
    return f"{'' if t.date() == n.date() else f'{t:%Y-%m-%d} '}{t:%H:%M} UTC"


def _when(at: str, now: str) -> str:
    """``18:35 UTC, 4 min ago`` (the date too when it is not ``now``'s day, UTC)."""
    import datetime as dt

    t, n = dt.datetime.fromisoformat(at).astimezone(dt.UTC), dt.datetime.fromisoformat(now).astimezone(dt.UTC)
    seconds = max(0, round((n - t).total_seconds()))
    ago = (f"{seconds} s" if seconds < 60 else f"{seconds // 60} min" if seconds < 3600
           else f"{seconds // 3600} h" if seconds < 2 * 86400 else f"{seconds // 86400} days")
    day = "" if t.date() == n.date() else f"{t:%Y-%m-%d} "
    return f"{day}{t:%H:%M} UTC, {ago} ago"
