"""The shipped systemd unit (``config/paperbot.service``) agrees with itself, with how paperbot chooses
its folders, and with the install steps of docs/running.md: under ``ProtectSystem=strict`` everything
paperbot writes (database, inbox, model cache) must be inside ``ReadWritePaths``."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

from bot.settings import Settings
from recommender.text.embeddings import cache_dir

REPO = Path(__file__).resolve().parent.parent
UNIT = REPO / "config" / "paperbot.service"


def _service() -> dict[str, list[str]]:
    """``[Service]`` keys of the unit, each with every value it is given (``Environment=`` comes several times)."""
    section, out = None, {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def _environment(service: dict[str, list[str]]) -> dict[str, str]:
    return dict(item.split("=", 1) for value in service.get("Environment", []) for item in shlex.split(value))


def _inside(path: str | Path, folders: list[str]) -> bool:
    return any(PurePosixPath(path).is_relative_to(folder) for folder in folders)


def test_everything_the_unit_makes_paperbot_write_is_in_its_read_write_paths(monkeypatch):
    service = _service()
    assert service["ProtectSystem"] == ["strict"]
    writable = [p for value in service["ReadWritePaths"] for p in value.split()]
    install = service["WorkingDirectory"][0]
    (start,) = service["ExecStart"]
    argv = shlex.split(start)
    assert argv[0] == f"{install}/.venv/bin/paperbot" and argv[1] == "run"
    assert "--no-bootstrap" in argv[2:], "a real team's empty database must not get the demo team"
    env = _environment(service)
    assert env["PAPERBOT_CONFIG"] == f"{install}/config/paperbot.toml"
    assert _inside(env["PAPERBOT_DATA_DIR"], writable) and _inside(env["PAPERBOT_CACHE_DIR"], writable)

    # The folders paperbot itself chooses from that environment (the shipped settings file in place of
    # the installed one): the SQLite database, the default inbox and the model cache.
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PAPERBOT_CONFIG", str(REPO / "config" / "paperbot.toml"))
    monkeypatch.delenv("PAPERBOT_DATABASE_URL", raising=False)
    settings = Settings()
    assert _inside(settings.data_dir, writable)
    url = settings.resolved_database_url()
    assert url.startswith("sqlite:///") and _inside(url.removeprefix("sqlite:///"), writable)
    for source in settings.ingest_sources():
        if source.kind == "inbox":
            assert _inside(source.path, writable), source
    assert _inside(cache_dir(), writable)


def test_the_documented_install_matches_the_unit():
    service = _service()
    install = service["WorkingDirectory"][0]
    env = _environment(service)
    docs = (REPO / "docs" / "running.md").read_text()
    section = docs[docs.index("## As a service"):docs.index("## Status")]
    steps = "\n".join(re.findall(r"```sh\n(.*?)```", section, flags=re.S))
    assert f"--home {install} " in steps and "paperbot" in service["User"]
    assert f"python3 -m venv {install}/.venv" in steps  # the ExecStart's paperbot
    assert f"{install}[postgres]" in steps or f"install -e {install}" in steps
    made = next(line for line in steps.splitlines() if "install -d -o paperbot" in line)
    assert env["PAPERBOT_DATA_DIR"] in made.split() and env["PAPERBOT_CACHE_DIR"] in made.split()
    assert "config/paperbot.service /etc/systemd/system/" in steps
    assert steps.index("python3 -m venv") < steps.index("systemctl enable")


def test_the_postgresql_steps_set_the_password_the_url_uses():
    docs = (REPO / "docs" / "running.md").read_text()
    section = docs[docs.index("## PostgreSQL"):docs.index("## One scheduler")]
    assert "paperbot:PASSWORD@" in section
    createuser = next(line for line in section.splitlines() if "createuser" in line)
    assert "--pwprompt" in createuser or "-P " in createuser
