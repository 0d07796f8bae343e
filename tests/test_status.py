"""``paperbot status`` keeps problems in view: a source's failure until a run is ``ok`` again,
through the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

from typer.testing import CliRunner

from bot.cli import app
from bot.service.ingest_jobs import run_source
from bot.settings import InboxSource, Settings


def status(db_url, data_dir) -> tuple[dict, str]:
    """``paperbot status --json`` and the table, as a person runs them (default source: ``<data_dir>/inbox``)."""
    runner, env = CliRunner(), {"PAPERBOT_DATA_DIR": str(data_dir), "COLUMNS": "400"}
    as_json = runner.invoke(app, ["--database-url", db_url, "status", "--json"], env=env)
    table = runner.invoke(app, ["--database-url", db_url, "status"], env=env)
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
    assert f"last error ({at:%H:%M} UTC, " in table and "bad0.json: JSON of no known digest shape" in table

    drop(inbox, "good.txt", (sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    assert run_source(store, spec).status == "ok"
    data, table = status(db_url, tmp_path)
    assert data["sources"][0]["last_failure"] is None and "last error" not in table
