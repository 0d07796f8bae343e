"""The database down when a command starts: ``paperbot run`` logs one line and exits 1; ``status``
(plain and ``--json``) and the one-shot commands say so in one line naming the database, exit 1.

Nothing listens on 127.0.0.1 port 1, so connecting is refused at once (the database "down").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

REPO = Path(__file__).resolve().parent.parent
DOWN = "postgresql+psycopg://paperbot:s3cret@127.0.0.1:1/nope"
runner = CliRunner()


def test_run_with_the_database_down_logs_one_line_and_exits_1(tmp_path):
    config = tmp_path / "paperbot.toml"
    config.write_text(f'data_dir = "{tmp_path.as_posix()}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PAPERBOT_"))}
    env.update(PAPERBOT_CONFIG=str(config), PAPERBOT_DATABASE_URL=DOWN)
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--no-bootstrap"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert 'level=error' in lines[0] and 'event="database unavailable at start"' in lines[0]
    assert 'error="OperationalError (psycopg.OperationalError): ' in lines[0]
    assert "Connection refused" in lines[0] and "database=postgresql+psycopg://paperbot:***@127.0.0.1:1/nope" in lines[0]
    assert "s3cret" not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_status_json_with_the_database_down_is_a_json_object():
    result = runner.invoke(app, ["--database-url", DOWN, "status", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["database"] == "postgresql+psycopg://paperbot:***@127.0.0.1:1/nope"
    assert data["error"].startswith("cannot open the database: OperationalError (psycopg.OperationalError)")
    assert "s3cret" not in result.output


@pytest.mark.parametrize("command", [["status"], ["picks", "ada"], ["search", "transformers"], ["stats"]])
def test_one_shot_commands_with_the_database_down_say_so_in_one_line(command):
    result = runner.invoke(app, ["--database-url", DOWN, *command])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error cannot open the database postgresql+psycopg://paperbot:***@127.0.0.1:1/nope: ")
    assert "Connection refused" in lines[0] and "Traceback" not in result.output and "s3cret" not in result.output
