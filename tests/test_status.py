"""``paperbot status`` keeps problems in view: a source's failure until a run is ``ok`` again, and the
jobs past due while the scheduler is not running (after a kill -9), through the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time

from test_scheduler_helpers import RecordingPoster, make_team
from typer.testing import CliRunner

from bot.cli import app
from bot.service.ingest_jobs import run_source
from bot.service.scheduler import SYNC_JOB_ID, JobContext, install_jobs, make_scheduler, set_context
from bot.service.triggers import digest_job_id
from bot.settings import InboxSource, Settings
from recommender.store.models import utcnow


def status(db_url, data_dir, width: int = 400) -> tuple[dict, str]:
    """``paperbot status --json`` and the table, as a person runs them (default source: ``<data_dir>/inbox``);
    the table ``width`` columns wide (400: a wide terminal, so cells are not wrapped)."""
    from bot.cli.state import console

    runner, env = CliRunner(), {"PAPERBOT_DATA_DIR": str(data_dir)}
    as_json = runner.invoke(app, ["--database-url", db_url, "status", "--json"], env=env)
    was = console.width
    console.width = width  # the console is made at import
    try:
        table = runner.invoke(app, ["--database-url", db_url, "status"], env=env)
    finally:
        console.width = was
    assert as_json.exit_code == 0 and table.exit_code == 0, as_json.output + table.output
    return json.loads(as_json.output), table.output


def drop(inbox, name: str, data: bytes) -> None:
    (inbox / name).write_bytes(data)
    os.utime(inbox / name, (time.time() - 3600, time.time() - 3600))  # settled: written an hour ago


def test_a_failed_inbox_run_stays_in_status_until_a_run_is_ok(store, db_url, tmp_path, sample_digests):
    """Five malformed files fail a run; the one-minute runs after it find the inbox empty. Status still
    shows the failure (when, which file, why) until a run ingests a file without an error."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n in range(5):
        drop(inbox, f"bad{n}.json", b'{"neither": "api nor feed"}')
    (spec,) = Settings(data_dir=tmp_path).ingest_sources()
    assert isinstance(spec, InboxSource)
    assert run_source(store, spec).status == "error"
    assert [run_source(store, spec).status for _ in range(2)] == ["empty", "empty"]

    data, table = status(db_url, tmp_path)
    (source,) = data["sources"]
    assert (source["status"], source["error"]) == ("empty", None)  # the last run itself went fine
    failure = source["last_failure"]
    assert (failure["status"], failure["failed_runs"]) == ("error", 1)
    assert "bad0.json: " in failure["error"] and "bad4.json: " in failure["error"]
    at = dt.datetime.fromisoformat(failure["at"]).astimezone(dt.UTC)
    # dated when status ran past midnight (UTC) after the run
    assert re.search(rf"last error \(({at:%Y-%m-%d} )?{at:%H:%M} UTC, ", table) and "bad0.json: JSON of no known digest shape" in table

    drop(inbox, "good.txt", (sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    assert run_source(store, spec).status == "ok"
    data, table = status(db_url, tmp_path)
    assert data["sources"][0]["last_failure"] is None and "last error" not in table
    # the files themselves are still in failed/, never retried: status keeps counting them (a trial's cron
    # run lost a digest that way without a word)
    assert data["sources"][0]["failed_files"] == 5 and "5 files in failed/" in table
    for n in range(5):
        (inbox / "failed" / f"bad{n}.json").unlink()
    data, table = status(db_url, tmp_path)
    assert data["sources"][0]["failed_files"] == 0 and "in failed/" not in table


async def test_jobs_past_due_after_a_kill_are_overdue_now(store, db_url, settings, tmp_path, sample_digests):
    """A scheduler killed (no clean stop: its heartbeat left to go stale) with ada's digest due 4 minutes
    ago and the ingest job due 13 h ago: both are overdue now; the digest still runs at the next start,
    the ingest run is past the 12 h misfire grace. A running scheduler's job a few seconds late is not."""
    team = make_team(store, settings, sample_digests, ingest_papers=False)
    now = utcnow()
    digest = digest_job_id("member", team["member"])
    scheduler = make_scheduler(store)
    scheduler.start(paused=True)
    try:
        install_jobs(scheduler, JobContext(store, settings, {"cli": RecordingPoster()}, settings.ingest_sources()))
        scheduler.modify_job(SYNC_JOB_ID, next_run_time=now - dt.timedelta(minutes=5))  # the last heartbeat
        scheduler.modify_job(digest, next_run_time=now - dt.timedelta(minutes=4))
        scheduler.modify_job("ingest:inbox", next_run_time=now - dt.timedelta(hours=13))
    finally:
        scheduler.shutdown(wait=False)  # no stop_scheduler: the process is gone, as after kill -9
        set_context(None)

    data, table = status(db_url, tmp_path)
    due = now - dt.timedelta(minutes=4)
    assert re.search(rf"ada's digest \(due ({due:%Y-%m-%d} )?{due:%H:%M} UTC, 4 min ago\)", table), table
    assert "inbox source (due " in table and "13 h ago; too late, the next start skips this run)" in table
    js = data["job_store"]
    assert js["scheduler_state"] == "stale"
    assert [(j["job"], j["name"], j["runs_at_start"]) for j in js["overdue"]] == [
        ("ingest:inbox", "inbox source", False), (digest, "ada's digest", True)]
    assert js["overdue_jobs"] == ["ingest:inbox", digest]

    scheduler = make_scheduler(store)  # alive again: a heartbeat in the future, the digest 30 s late
    scheduler.start(paused=True)
    try:
        scheduler.modify_job(SYNC_JOB_ID, next_run_time=utcnow() + dt.timedelta(seconds=30))
        scheduler.modify_job(digest, next_run_time=utcnow() - dt.timedelta(seconds=30))
        scheduler.modify_job("ingest:inbox", next_run_time=utcnow() + dt.timedelta(minutes=9))
    finally:
        scheduler.shutdown(wait=False)
    data, table = status(db_url, tmp_path)
    assert data["job_store"]["scheduler_state"] == "running" and data["job_store"]["overdue"] == []
    assert "overdue: none" in table


def test_status_prints_text_in_brackets_as_written(store, db_url, tmp_path):
    """File names, errors and reasons are data, not Rich markup: '[recommender]' was dropped from the
    ranking line, and a failed file named 'notes [b] [cs.LG].json' lost its '[b]' and was printed in bold."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop(inbox, "notes [b] [cs.LG].json", b'{"neither": "api nor feed"}')
    (spec,) = Settings(data_dir=tmp_path).ingest_sources()
    assert run_source(store, spec).status == "error"

    data, table = status(db_url, tmp_path)  # tests rank with TF-IDF alone: semantic is off in the settings
    assert data["ranking"]["reason"] == "semantic ranking off in the settings ([recommender] semantic)"
    assert "Ranking: semantic ranking off in the settings ([recommender] semantic)" in table
    assert "notes [b] [cs.LG].json: JSON of no known digest shape" in table


def test_status_with_no_digest_yet_says_how_to_get_one_instead_of_an_empty_table(store, db_url, tmp_path):
    data, table = status(db_url, tmp_path)
    assert data["targets"] == []
    assert "Digests: none yet (paperbot users subscribe NAME, or paperbot channels add NAME)" in table
    assert "next digest" not in table  # no header of an empty table


def test_status_in_an_80_column_terminal_shows_every_time_and_error_whole(store, db_url, tmp_path):
    """A new user's trial in an 80-column terminal: every time in the tables read ``2026-12…`` (the ISO stamp,
    microseconds and all, was one word, cut with "…"), so status could not say when the next digest comes,
    and the inbox's error was cut to ``bad.js…``, ``/tmp/n…``. Times are ``2026-12-07 09:00 UTC`` now, no
    cell is cut, and a source's error is printed under the table, whole."""
    from recommender.store import Channel, Delivery

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    drop(inbox, "bad.json", b'[{"paper": {"id": "2401.04088"} {"title": "x"}}]')
    (spec,) = Settings(data_dir=tmp_path).ingest_sources()
    assert run_source(store, spec).status == "error"
    now = utcnow()
    with store.session() as session:
        channel = Channel(platform="cli", workspace="local", channel_ref="C1", name="reading", topic="graphs",
                          digest_time="09:00", timezone="Europe/Paris", digest_size=5,
                          created_at=now - dt.timedelta(days=3))
        session.add(channel)
        session.flush()
        session.add(Delivery(target_kind="channel", target_id=channel.id, day=now.date(), status="posted",
                             claimed_at=now, first_claimed_at=now, heartbeat_at=now, attempts=1, platform="cli",
                             posted_at=now))

    data, table = status(db_url, tmp_path, width=80)
    assert "…" not in table, table
    assert all(len(line) <= 80 for line in table.splitlines() if line[:1] in "┏┃┡│└")  # the tables fit
    (target,) = data["targets"]
    nxt = dt.datetime.fromisoformat(target["next_digest"]).astimezone(dt.UTC)
    posted = dt.datetime.fromisoformat(target["last_posted"]).astimezone(dt.UTC)
    row = table[table.index("│ #reading"):]
    assert f"{nxt:%Y-%m-%d}" in row and f"{nxt:%H:%M} UTC" in row, table
    assert f"{posted:%Y-%m-%d}" in row and f"{posted:%H:%M} UTC" in row, table
    error = data["sources"][0]["error"]
    assert "bad.json:1: not valid JSON" in error
    assert f"error inbox: {error}; 1 file in failed/ (each with its .error.txt)" in table, table


def test_status_at_80_columns_keeps_each_timezone_whole(store, db_url, tmp_path):
    """The trial's Digests table at 80 columns split timezones mid-word (``Europe/Berl`` over ``in``,
    ``Europe/Pari`` over ``s``): the schedule column now gives the time and the IANA name a line each,
    never folded, and the table still fits."""
    from recommender.store import Channel, Delivery, Member

    now = utcnow()
    with store.session() as session:
        reading = Channel(platform="cli", workspace="local", channel_ref="reading", name="reading", topic="graphs",
                          digest_time="09:00", timezone="Europe/Paris", created_at=now - dt.timedelta(days=3))
        session.add_all([reading, Channel(platform="slack", workspace="T0AAAAAAA", channel_ref="C0BBBBBBB",
                                          name="ml-reading-group", digest_time="08:30", timezone="America/Los_Angeles"),
                         Member(platform="cli", workspace="local", user_ref="ada", subscribed=True,
                                digest_time="07:45", timezone="Europe/Berlin")])
        session.flush()
        session.add(Delivery(target_kind="channel", target_id=reading.id, day=now.date(), status="posted",
                             claimed_at=now, first_claimed_at=now, heartbeat_at=now, attempts=1, platform="cli",
                             posted_at=now))

    for width in (80, 120):
        data, table = status(db_url, tmp_path, width=width)
        assert all(len(line) <= width for line in table.splitlines() if line[:1] in "┏┃┡│└"), table
        cells = [cell.strip() for line in table.splitlines() if line.startswith("│") for cell in line.split("│")]
        for zone in ("Europe/Paris", "Europe/Berlin", "America/Los_Angeles"):
            assert zone in cells, table
        words = " ".join(cells).split()
        for target in data["targets"]:  # and the dates beside them stay whole too
            assert f"{dt.datetime.fromisoformat(target['next_digest']).astimezone(dt.UTC):%Y-%m-%d}" in words, table
        assert "(slack)" in words and "…" not in table, table


def test_status_at_80_columns_breaks_a_long_timezone_at_a_slash_and_keeps_every_date_whole(store, db_url, tmp_path):
    """A timezone of 27 to 30 characters (``America/Argentina/Buenos_Aires``, ``America/Indiana/Indianapolis``) in a
    schedule column never folded left the other columns so narrow that their dates and statuses folded instead
    (``2026-12-0`` over ``8``, ``unreachab`` over ``le``). Such a name now goes on two lines, broken after a ``/``
    (``America/Argentina/`` over ``Buenos_Aires``), when it cannot be whole; nothing is folded mid-word."""
    from recommender.store import Channel, Delivery, Member

    now = utcnow()
    zones = ("America/Argentina/Buenos_Aires", "America/Indiana/Indianapolis", "Europe/Paris")
    with store.session() as session:
        lab = Channel(platform="slack", workspace="T0AAAAAAA", channel_ref="C0BBBBBBB", name="ml-reading-group",
                      digest_time="08:30", timezone=zones[0], created_at=now - dt.timedelta(days=3))
        ada = Member(platform="cli", workspace="local", user_ref="ada", subscribed=True, digest_time="07:45",
                     timezone=zones[1], created_at=now - dt.timedelta(days=3))
        session.add_all([lab, ada, Channel(platform="cli", workspace="local", channel_ref="reading", name="reading",
                                           digest_time="09:00", timezone=zones[2])])
        session.flush()
        session.add_all([Delivery(target_kind="channel", target_id=lab.id, day=now.date() - dt.timedelta(days=1),
                                  status="unreachable", claimed_at=now, first_claimed_at=now, heartbeat_at=now,
                                  attempts=1, platform="slack", error="account_inactive"),
                         Delivery(target_kind="member", target_id=ada.id, day=now.date(), status="posted",
                                  claimed_at=now, first_claimed_at=now, heartbeat_at=now, attempts=1, platform="cli",
                                  posted_at=now)])

    for width in (80, 120):
        data, table = status(db_url, tmp_path, width=width)
        assert all(len(line) <= width for line in table.splitlines() if line[:1] in "┏┃┡│└"), table
        digests = table[table.index("Digests"):]
        rows = [line.split("│")[1:-1] for line in digests.splitlines() if line.startswith("│")]
        words = " ".join(cell for row in rows for cell in row).split()
        for target in data["targets"]:
            for stamp in (target["next_digest"], target["last_posted"]):
                if stamp:
                    at = dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)
                    assert f"{at:%Y-%m-%d}" in words and f"{at:%H:%M}" in words, digests
            if target["last_day"]:
                assert target["last_day"] in words and target["last_status"] in words, digests
        assert "scheduled)" in words and "(slack)" in words and "…" not in digests, digests
        schedule = [row[1].strip() for row in rows if row[1].strip()]
        assert all(re.fullmatch(r"\d\d:\d\d", line) or any(f"/{line.strip('/')}/" in f"/{zone}/" for zone in zones)
                   for line in schedule), digests  # a time, or a timezone's parts between slashes
        assert all(zone in "".join(schedule) for zone in zones), digests
        if width == 120:
            assert all(zone in schedule for zone in zones), digests
