"""The ``paperbot`` CLI's global options, help, start-up imports and safety with user files."""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.demo import MARKER

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

HEAVY = ("sklearn", "scipy", "numpy", "sqlalchemy", "alembic", "pydantic_settings", "slack_bolt", "slack_sdk",
         "discord", "apscheduler", "httpx")


def test_importing_the_app_loads_no_heavy_library():
    code = "import json, sys; import bot.cli.main; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert not set(json.loads(out)) & set(HEAVY)


def test_help_lists_every_command_under_the_paperbot_name():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "-h"], check=False, cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    assert "Usage: paperbot [OPTIONS] COMMAND" in result.stdout
    for command in ("ingest", "users", "channels", "start", "picks", "like", "dislike", "search", "stats", "demo", "eval",
                    "run", "status"):
        assert f"│ {command} " in result.stdout


def test_version_is_the_packaged_one():
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"paperbot {version}\n"


@pytest.mark.parametrize(("command", "labels"), [
    (["ingest"], ["FILE|DIR|URL"]),
    (["picks"], ["PERSON", "-k", "N"]),
    (["like"], ["PERSON", "PAPER"]),
    (["search"], ["QUERY", "YYYY[-MM[-DD]]", "PERSON"]),
    (["channels", "add"], ["CHANNEL", "HH:MM", "ZONE"]),
    (["demo"], ["DIR", MARKER]),
])
def test_help_names_what_to_type(command, labels):
    result = runner.invoke(app, [*command, "-h"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for label in labels:
        assert label in result.stdout
    assert "{name}" not in result.stdout and "{query}" not in result.stdout


def test_unknown_log_level_is_a_usage_error():
    result = runner.invoke(app, ["--log-level", "LOUD", "stats"])
    assert result.exit_code == 2
    assert "'LOUD' is not one of" in result.output and "Traceback" not in result.output
    assert "Value error" not in result.output  # pydantic's wording, which typer let through for every choice


@pytest.mark.parametrize(("args", "said"), [(("search", "graphs", "--source", "pdf"), "'pdf' is not one of hf_page,"),
                                            (("channels", "mentions", "lab", "maybe"), "'maybe' is not one of on or off")])
def test_a_value_none_of_the_choices_is_said_plainly(args, said):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2 and said in result.output and "Value error" not in result.output


def test_log_level_in_any_case(tmp_path):
    result = runner.invoke(app, ["--log-level", "warning", "--database-url", f"sqlite:///{tmp_path / 'x.db'}",
                                 "stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["papers"] == 0


def terminal(tmp_path, db_url, *args):
    """``paperbot`` in a child process, as typed in a terminal, with the shipped ``log_level = "INFO"`` and no chat secret."""
    config = tmp_path / "paperbot.toml"
    config.write_text(f'data_dir = "{tmp_path.as_posix()}"\nlog_level = "INFO"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOT_", "SLACK_", "DISCORD_"))}
    env.update(PAPERBOT_CONFIG=str(config), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "bot.cli", "--database-url", db_url, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_one_shot_command_says_what_it_did_once_and_run_still_logs_at_info(tmp_path, db_url):
    added = terminal(tmp_path, db_url, "channels", "add", "reading", "--topic", "graph neural networks")
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Channel digest is on.") and "graph neural networks" in added.stdout
    assert added.stderr == ""  # not also the command layer's INFO record of the same change
    asked = terminal(tmp_path, db_url, "--log-level", "INFO", "channels", "add", "reading", "--topic", "pruning")
    assert asked.returncode == 0 and asked.stdout.startswith("Channel digest is on."), asked.stderr
    assert 'level=info logger=bot.commands.handlers event="channel change" channel=reading' in asked.stderr
    ran = terminal(tmp_path, db_url, "run", "--once", "--no-bootstrap")  # the bot: the configured level, INFO
    assert ran.returncode == 0, ran.stderr
    assert 'level=info logger=bot.service.run event="paperbot starting"' in ran.stderr
    assert 'level=info logger=bot.delivery event="digest empty" target=channel' in ran.stderr


def test_sqlite_url_in_a_missing_folder_creates_nothing(tmp_path):
    missing = tmp_path / "no" / "such"
    result = runner.invoke(app, ["--database-url", f"sqlite:///{missing / 'x.db'}", "stats"])
    assert result.exit_code == 2
    assert f"the folder {missing} does not exist" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(("table", "key"), [
    ("[digest]\nsize = 99\n", "digest.size"),
    ('[digest]\ntmie = "09:00"\n', "digest.tmie"),
    ('[digest]\ntime = "25:99"\n', "digest.time"),
    ("[recomender]\nhalf_life_days = 3\n", "recomender"),
])
def test_invalid_config_is_one_line_naming_the_key(tmp_path, monkeypatch, table, key):
    config = tmp_path / "paperbot.toml"
    config.write_text(f'data_dir = "{tmp_path.as_posix()}"\n{table}')
    monkeypatch.setenv("PAPERBOT_CONFIG", str(config))
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and key in errors[0] and str(config) in errors[0], result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "paperbot.db").exists()


def test_a_config_file_named_but_missing_is_an_error_naming_it(tmp_path, monkeypatch):
    missing = tmp_path / "nonexist.toml"
    monkeypatch.setenv("PAPERBOT_CONFIG", str(missing))
    result = runner.invoke(app, ["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "stats"])
    assert result.exit_code == 2 and f"{missing}: no such config file" in result.output, result.output
    assert not (tmp_path / "x.db").exists()
    monkeypatch.delenv("PAPERBOT_CONFIG")
    monkeypatch.setattr("bot.settings.DEFAULT_CONFIG", missing)  # the default file may be absent
    assert runner.invoke(app, ["--database-url", f"sqlite:///{tmp_path / 'x.db'}", "stats"]).exit_code == 0


def test_status_says_which_database_is_open(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERBOT_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'team.db'}"
    as_json = runner.invoke(app, ["--database-url", url, "status", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["database"] == url
    table = runner.invoke(app, ["--database-url", url, "status"], env={"COLUMNS": "300"})
    assert table.exit_code == 0 and f"Database: {url}" in table.stdout


def demo(*args):
    return runner.invoke(app, ["--log-level", "WARNING", "demo", *map(str, args)])


def test_demo_keeps_a_folder_it_did_not_make(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    result = demo("--data-dir", mine)
    assert result.exit_code == 2 and "was not made by paperbot demo" in result.output
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    afile = tmp_path / "notes.txt"
    afile.write_text("keep")
    assert demo("--data-dir", afile).exit_code == 2 and afile.read_text() == "keep"


def test_demo_never_empties_the_folder_of_the_database_in_force(tmp_path):
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / MARKER).write_text("")
    (folder / "paperbot.db").write_text("the team's data")
    result = runner.invoke(app, ["--database-url", f"sqlite:///{folder / 'paperbot.db'}", "demo", "--data-dir", str(folder)])
    assert result.exit_code == 2 and "holds the database other commands use" in result.output
    assert (folder / "paperbot.db").read_text() == "the team's data"


def test_demo_runs_again_in_its_own_folder(tmp_path, sample_digests):
    one = sample_digests / "000_c6f8620f3de3774f.txt"
    folder = tmp_path / "demo"
    first = demo("--data-dir", folder, "--digests", one)
    assert first.exit_code == 0, first.output
    assert (folder / MARKER).is_file() and (folder / "paperbot.db").is_file()
    again = demo("--data-dir", folder, "--digests", one)
    assert again.exit_code == 0, again.output
    assert "digest seen before" not in again.stdout  # a fresh database, not the first run's
    stats = runner.invoke(app, ["--database-url", f"sqlite:///{folder / 'paperbot.db'}", "stats", "--json"])
    assert json.loads(stats.stdout)["papers"] == 37


def test_demo_stops_after_a_digest_that_does_not_ingest(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    result = demo("--data-dir", tmp_path / "demo", "--digests", bad)
    assert result.exit_code == 1
    assert "bad.json" in result.output and "the demo stops here" in result.output
    assert "Today's digests" not in result.output and "The team" not in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert demo("--data-dir", tmp_path / "demo", "--digests", empty).exit_code == 1


def test_channels_add_then_list(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    added = runner.invoke(app, ["--database-url", url, "channels", "add", "lab", "--topic", "graph learning",
                                "--time", "08:30", "--timezone", "Europe/Paris", "--size", "3"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["--database-url", url, "channels", "list", "--json"])
    [channel] = json.loads(listed.stdout)
    assert (channel["name"], channel["topic"], channel["time"], channel["timezone"], channel["size"]) == (
        "lab", "graph learning", "08:30", "Europe/Paris", 3)
    table = runner.invoke(app, ["--database-url", url, "channels", "list"])
    assert "3 at 08:30 Europe/Paris" in table.stdout


def test_demo_keeps_a_file_added_to_its_own_folder(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / MARKER).write_text("")
    (folder / "paperbot.db").write_text("an old demo")
    (folder / "results.csv").write_text("mine")
    result = demo("--data-dir", folder)
    assert result.exit_code == 2 and "results.csv" in result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER, "paperbot.db", "results.csv"])
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert demo("--data-dir", link).exit_code == 2 and (folder / "results.csv").exists()
