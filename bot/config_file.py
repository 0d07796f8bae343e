"""The config file as settings read it: its relative paths are taken from its own folder.

A team that runs ``paperbot`` from cron or systemd (another working directory) expects
``data_dir = "data"`` and an inbox's ``path = "inbox"`` beside the file that says so.
Values from the environment (``PAPERBOT_DATA_DIR``) and the command line (``--database-url``)
are not the file's: they stay relative to the working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_settings import TomlConfigSettingsSource

__all__ = ["ConfigFile", "file_paths"]


class ConfigFile(TomlConfigSettingsSource):
    """The TOML file, its relative paths read from the file's own folder, wherever ``paperbot`` runs from.

    ``data_dir``, each ``[[sources]]`` table's ``path`` and the file of a SQLite ``database_url``
    (``sqlite:///data/paperbot.db``): a team's cron job or systemd unit then finds the inbox and the
    database the file means. A ``~`` is the home folder. Values from the environment and the command
    line are not this file's: they stay relative to the working directory.
    """

    def _read_file(self, file_path) -> dict[str, Any]:
        data = super()._read_file(file_path)
        return file_paths(data, Path(file_path).absolute().parent)


def _from_folder(value: Any, folder: Path) -> Any:
    """``value`` as a path read from ``folder`` (``~`` expanded); a value that is no string is left to validation."""
    if not isinstance(value, str) or not value:
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else folder / path)


def file_paths(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The config file's ``data`` with its relative paths made absolute from ``folder`` (:class:`ConfigFile`)."""
    data = dict(data)
    if "data_dir" in data:
        data["data_dir"] = _from_folder(data["data_dir"], folder)
    if isinstance(data.get("sources"), list):
        data["sources"] = [{**t, "path": _from_folder(t["path"], folder)} if isinstance(t, dict) and "path" in t else t
                           for t in data["sources"]]
    url = data.get("database_url")
    if isinstance(url, str) and url.startswith("sqlite"):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(url)
        except ArgumentError:
            return data  # a malformed URL is reported when the store opens it
        name = parsed.database
        if name and name != ":memory:" and not name.startswith("file:"):
            data["database_url"] = parsed.set(database=_from_folder(name, folder)).render_as_string(hide_password=False)
    return data
