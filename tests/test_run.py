"""``paperbot run`` and ``paperbot status``: --once on the console, the scheduler's lifecycle,
adapter selection by secrets, status output, and a real SIGTERM."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.commands import Caller, Commands
from bot.console import ConsoleRuntime
from bot.service.run import RunOptions, RuntimeUnavailable, create_runtimes, serve
from bot.service.status import collect_status, job_store_rows
from bot.settings import InboxSource, Secrets, Settings
from recommender.store import Paper, Store
from recommender.store.models import SourceRun

REPO = Path(__file__).resolve().parent.parent
SECRET_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
               "DISCORD_TOKEN")


@pytest.fixture
def no_secrets(monkeypatch):
    for var in SECRET_VARS:
        monkeypatch.delenv(var, raising=False)
    return Secrets()


def run(store, settings, secrets, **kw) -> tuple[int, RunOptions, str]:
    out = io.StringIO()
    options = RunOptions(console=Console(file=out, width=120), **kw)
    status = asyncio.run(serve(store, settings, secrets, options))
    return status, options, out.getvalue()


def test_run_once_on_the_console_shows_the_day_then_nothing_twice(store, tmp_path, no_secrets):
    settings = Settings(data_dir=tmp_path)
    status, options, out = run(store, settings, no_secrets, once=True)
    assert status == 0
    assert "Papers for #ml-reading-group" in out and "DM @ada" in out and "why:" in out
    assert out.count("#ml-reading-group") == 1  # the channel digest's header names it once
    assert [s.source for s in options.report.sources] == ["inbox"]  # the default source
    assert [(t.kind, t.name, o.status) for t, o in options.report.digests] == [
        ("channel", "ml-reading-group", "posted"), ("member", "ada", "posted"),
        ("member", "grace", "posted"), ("member", "alan", "posted")]
    assert (tmp_path / "inbox").is_dir()
    status, options, out = run(store, settings, no_secrets, once=True)
    assert status == 0 and "Papers for" not in out
    assert {o.status for _, o in options.report.digests} == {"skipped"}


def test_run_once_exits_1_when_a_source_run_was_partial(store, tmp_path, no_secrets, sample_digests):
    """A malformed file in the inbox beside a good one: the source is `partial`, the good file is
    ingested, and --once exits 1 (as `paperbot ingest` of the same file does)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_good.txt").write_bytes((sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    (inbox / "b_malformed.json").write_text('{"neither": "api nor feed"}')
    for path in inbox.iterdir():  # dropped an hour ago: settled (the inbox waits for files still being written)
        os.utime(path, (time.time() - 3600, time.time() - 3600))
    settings = Settings(data_dir=tmp_path)
    status, options, _ = run(store, settings, no_secrets, once=True, bootstrap=False)
    [source] = options.report.sources
    assert (source.status, source.moved) == ("partial", {"a_good.txt": "done", "b_malformed.json": "failed"})
    assert source.new_papers > 0 and options.report.failed
    assert status == 1
    status, options, _ = run(store, settings, no_secrets, once=True, bootstrap=False)  # nothing left in the inbox
    assert options.report.sources[0].status == "empty" and status == 0


@pytest.mark.strict_logs
def test_run_once_waits_for_a_file_copied_just_before_and_posts_its_papers(store, tmp_path, no_secrets, sample_digests,
                                                                          caplog):
    """The trial: a digest copied into the inbox, then `paperbot run --once` at once. --once waits for the file to
    settle (at most settle_seconds), ingests it and posts today's digest with its papers, not an empty one."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = Settings(data_dir=tmp_path, sources=[InboxSource(name="team-inbox", path=inbox, settle_seconds=30)])
    Commands(store, settings).channel_setup(Caller("cli", "local", "mia", channel_ref="reading", channel_name="reading"),
                                            topic="graph neural networks")
    copied = inbox / "today.txt"
    copied.write_bytes((sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    os.utime(copied, (time.time() - 28, time.time() - 28))  # copied 28 s ago: 2 s to settle

    status, options, out = run(store, settings, no_secrets, once=True, bootstrap=False)

    assert status == 0
    [source] = options.report.sources
    assert (source.status, source.moved, source.waiting) == ("ok", {"today.txt": "done"}, [])
    assert any(r.getMessage() == "waiting for inbox files to settle" for r in caplog.records)
    [(_, digest)] = options.report.digests
    assert digest.status == "posted" and digest.papers > 0 and "1. " in out
    with store.session() as s:
        # one row for the one --once pass: the settle rerun replaced the first run's "waiting" row
        assert [r.status for r in s.scalars(select(SourceRun).order_by(SourceRun.id))] == ["ok"]


def test_run_once_keeps_a_failed_inbox_file_in_sight_after_waiting_for_another(store, tmp_path, no_secrets,
                                                                              sample_digests):
    """A trial: a broken digest beside one copied just before. --once waited for the second, ran the inbox
    again, and that run's ok hid the first: exit 0, 'ok' in the summary and in status, the file in failed/."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settings = Settings(data_dir=tmp_path, sources=[InboxSource(name="team-inbox", path=inbox, settle_seconds=30)])
    broken = inbox / "broken.json"
    broken.write_text('{"papers": [\n  {"title": "A"},\n  {"title": \n')
    os.utime(broken, (time.time() - 3600, time.time() - 3600))  # settled
    copied = inbox / "today.txt"
    copied.write_bytes((sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    os.utime(copied, (time.time() - 28, time.time() - 28))  # 2 s to settle

    status, options, _ = run(store, settings, no_secrets, once=True, bootstrap=False)

    assert status == 1
    [source] = options.report.sources
    assert source.status == "partial" and source.moved == {"broken.json": "failed", "today.txt": "done"}
    assert any("broken.json" in e for e in source.errors) and source.new_papers > 0
    shown = collect_status(store, settings)["sources"][0]
    assert shown["last_failure"] is not None and "broken.json" in shown["last_failure"]["error"]
    with store.session() as s:  # each pass counted once (a review found the first pass's papers summed twice)
        assert shown["new_papers_total"] == source.new_papers == s.scalar(select(func.count(Paper.id)))
        [row] = s.scalars(select(SourceRun)).all()
        assert (row.status, row.inputs) == ("partial", 2)


def test_run_once_says_a_file_still_changing_is_waiting_not_empty(tmp_path, db_url, sample_digests):
    """A file that has not settled even after --once waited settle_seconds (its clock says it changed in the
    future): left in the inbox, and the summary says it is waiting instead of calling the inbox empty."""
    config = tmp_path / "paperbot.toml"
    config.write_text(f'data_dir = "{tmp_path.as_posix()}"\n[[sources]]\nkind = "inbox"\nname = "team-inbox"\n'
                      f'path = "{(tmp_path / "inbox").as_posix()}"\nsettle_seconds = 1\n')
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS and not k.startswith("PAPERBOT_")}
    env.update(PAPERBOT_CONFIG=str(config), COLUMNS="500")  # one line per row
    (tmp_path / "inbox").mkdir()
    copied = tmp_path / "inbox" / "today.txt"
    copied.write_bytes((sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    os.utime(copied, (time.time() + 3600, time.time() + 3600))

    def run_once() -> list[str]:
        done = subprocess.run([sys.executable, "-m", "bot.cli", "--database-url", db_url, "run", "--once", "--no-bootstrap"],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        row = next(line for line in done.stdout.splitlines() if "ingest team-inbox (inbox)" in line)
        return [cell.strip() for cell in row.split("│")[2:-1]]

    status, papers, note = run_once()
    assert (status, papers) == ("1 file waiting (settling)", "0 new") and copied.exists()
    assert note == ("today.txt: still changing after --once waited up to 1 s for it to settle; "
                    "a later run takes it once it has not changed for that long")
    cut = tmp_path / "inbox" / "cut.txt"  # and a page cut off mid-card: its warning is in the summary too
    cut.write_bytes((sample_digests / "001_22f0a1ce284fcda3.txt").read_bytes()[:30000])
    for path in (copied, cut):
        os.utime(path, (time.time() - 3600, time.time() - 3600))  # settled since
    status, papers, note = run_once()
    assert status == "ok" and papers != "0 new" and not copied.exists()
    moved = cut.parent / "done" / cut.name  # where the file is now
    assert note.startswith(f"warning: {moved}:149: last card ") and note.endswith("(the file looks cut off); dropped")


def test_run_starts_the_scheduler_and_stops_cleanly(store, settings, no_secrets):
    async def main():
        stop = asyncio.Event()
        stop.set()  # stop as soon as it runs: exercises start, job install and shutdown
        return await serve(store, settings, no_secrets, RunOptions(stop=stop, bootstrap=True, console=Console(file=io.StringIO())))

    assert asyncio.run(main()) == 0
    jobs = job_store_rows(store)
    assert {"sync", "ingest:inbox", "digest:channel:1", "digest:member:1"} <= set(jobs)
    status = collect_status(store, settings)
    assert status["job_store"]["exists"] and status["job_store"]["jobs"] == len(jobs)
    assert all(t["scheduled"] and t["next_digest"] for t in status["targets"])
    assert status["sources"][0]["name"] == "inbox"
    # A clean stop clears the heartbeat: the sync job stays stored, paused.
    assert jobs["sync"] is None
    js = status["job_store"]
    assert (js["scheduler_running"], js["scheduler_state"], js["heartbeat"]) == (False, "stopped", None)


def test_next_digest_is_the_next_one_actually_posted(store, tmp_path, no_secrets):
    """After --once posted today's digests, the next digest is tomorrow's slot, even when
    today's slot (the stored job's next run time) is still ahead."""
    settings = Settings(data_dir=tmp_path)
    status, options, _ = run(store, settings, no_secrets, once=True)
    assert status == 0 and {o.status for _, o in options.report.digests} == {"posted"}

    async def start_and_stop():
        stop = asyncio.Event()
        stop.set()
        return await serve(store, settings, no_secrets, RunOptions(stop=stop, console=Console(file=io.StringIO())))

    assert asyncio.run(start_and_stop()) == 0
    targets = collect_status(store, settings)["targets"]
    assert len(targets) == 4
    for t in targets:
        time, tz = t["schedule"].split()
        nxt = dt.datetime.fromisoformat(t["next_digest"]).astimezone(ZoneInfo(tz))
        assert t["scheduled"] and t["last_status"] == "posted"
        assert nxt.date() == dt.date.fromisoformat(t["last_day"]) + dt.timedelta(days=1)
        assert nxt.strftime("%H:%M") == time


def test_no_chat_secrets_means_the_console(store, settings, no_secrets):
    (rt,) = create_runtimes(Commands(store, settings), settings, no_secrets)
    assert isinstance(rt, ConsoleRuntime) and set(rt.posters()) == {"cli", "console"}


def test_a_configured_platform_without_its_adapter_is_a_clear_error(store, settings, monkeypatch, no_secrets):
    monkeypatch.setitem(sys.modules, "bot.slack.runtime", None)  # as if the module did not exist
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-secret")
    with pytest.raises(RuntimeUnavailable, match="SLACK_BOT_TOKEN and SLACK_APP_TOKEN.*bot.slack.runtime") as info:
        create_runtimes(Commands(store, settings), settings, Secrets())
    assert "xoxb-secret" not in str(info.value)


def test_adapters_are_created_as_configured(store, settings, monkeypatch, no_secrets):
    made = {}

    def fake(platform):
        def create_runtime(commands, settings, secrets, **kw):
            made[platform] = (settings, kw)
            return types.SimpleNamespace(name=platform, posters=lambda: {platform: object()})
        return types.SimpleNamespace(create_runtime=create_runtime)

    monkeypatch.setitem(sys.modules, "bot.slack.runtime", fake("slack"))
    monkeypatch.setitem(sys.modules, "bot.discord.runtime", fake("discord"))
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_CLIENT_ID", "c")
    monkeypatch.setenv("DISCORD_TOKEN", "d")
    runtimes = create_runtimes(Commands(store, settings), settings, Secrets(), sync_commands=True, port=8123)
    assert [r.name for r in runtimes] == ["slack", "discord"]
    assert made["slack"][0].slack.mode == "http" and made["slack"][0].slack.port == 8123
    assert made["slack"][1] == {"host": "0.0.0.0", "listen": True}  # the service listens; run --once does not
    assert made["discord"][1] == {"sync_commands": True}
    create_runtimes(Commands(store, settings), settings, Secrets(), port=0, host="127.0.0.1")
    assert made["slack"][0].slack.port == 0 and made["slack"][1] == {"host": "127.0.0.1", "listen": True}  # 0: any port
    create_runtimes(Commands(store, settings), settings, Secrets(), once=True)
    assert made["slack"][1] == {"host": "0.0.0.0", "listen": False}


def test_a_half_configured_slack_says_which_secret_is_missing(store, settings, monkeypatch, no_secrets, caplog):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    with caplog.at_level("DEBUG", logger="bot.service.run"):
        runtimes = create_runtimes(Commands(store, settings), settings, Secrets())
    assert [r.name for r in runtimes] == ["console"]
    warning = next(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "SLACK_BOT_TOKEN is set" in warning and "xoxb-secret" not in warning
    assert "Socket Mode still needs SLACK_APP_TOKEN; HTTP mode still needs SLACK_SIGNING_SECRET" in warning  # only what is missing
    assert any(getattr(r, "adapter", None) == "console" for r in caplog.records)


def test_status_cli_json(db_url, tmp_path, monkeypatch):
    from bot.cli import app

    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["--database-url", db_url, "status", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["job_store"]["exists"] is False and data["targets"] == []
    assert data["sources"][0]["kind"] == "inbox" and data["sources"][0]["last_run"] is None


def test_status_after_run_once_does_not_read_as_if_nothing_ran(store, db_url, tmp_path, monkeypatch, no_secrets):
    """`run --once` posts without a job store: status says no long-running scheduler started, and that
    --once does not use one, beside the digests it posted (not "paperbot run has not started")."""
    from bot.cli import app

    assert run(store, Settings(data_dir=tmp_path), no_secrets, once=True)[0] == 0
    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["--database-url", db_url, "status"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "no long-running scheduler (`paperbot run`) has started on this database" in text, text
    assert "`paperbot run --once` does not use one" in text and "posted" in text
    assert "not created yet" not in text


def test_sigterm_stops_a_running_bot_gracefully(tmp_path):
    config = tmp_path / "paperbot.toml"
    config.write_text(f'data_dir = "{tmp_path.as_posix()}"\n')
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARS}
    env.update(PAPERBOT_CONFIG=str(config), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--no-bootstrap"], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    lines = []
    try:
        for line in proc.stderr:  # wait for the event, not for a time
            lines.append(line)
            if 'event="scheduler running"' in line:
                break
        running = _job_store_health(tmp_path)
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = "".join(lines) + rest
    assert proc.returncode == 0, log
    assert "signal=SIGTERM" in log and 'event="paperbot stopped"' in log
    assert "Traceback" not in log
    assert (running["scheduler_running"], running["scheduler_state"]) == (True, "running")
    stopped = _job_store_health(tmp_path)  # the heartbeat was cleared at shutdown, not left to go stale
    assert (stopped["scheduler_running"], stopped["scheduler_state"], stopped["heartbeat"]) == (False, "stopped", None)
    st = Store(f"sqlite:///{tmp_path / 'paperbot.db'}")
    try:
        assert "sync" in job_store_rows(st)
    finally:
        st.dispose()


def _job_store_health(data_dir: Path) -> dict:
    st = Store(f"sqlite:///{data_dir / 'paperbot.db'}")
    try:
        return collect_status(st, Settings(data_dir=data_dir))["job_store"]
    finally:
        st.dispose()
