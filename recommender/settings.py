"""Settings the library needs: ranking knobs and where the store lives.

Plain pydantic models, loaded by whoever embeds the library (``bot.settings.Settings``
reads them from ``config/paperbot.toml`` and ``PAPERBOT_*``). Chat and service
settings, and every secret, live in :mod:`bot.settings`, not here.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RecommenderSettings", "StoreSettings"]


class RecommenderSettings(BaseModel):
    """The ``[recommender]`` table: profile and diversity knobs."""

    model_config = ConfigDict(extra="forbid")

    half_life_days: float = Field(30.0, gt=0, description="Feedback recency half-life, days.")
    mmr_lambda: float = Field(0.3, ge=0, le=1, description="MMR diversity weight; 0 turns MMR off.")
    picks: int = Field(5, ge=1, le=50, description="Default number of picks per digest.")
    new_days: float = Field(7.0, gt=0, le=36500, description="A first digest and /papers picks draw from the papers first seen "
                                                   "in this many days up to the newest one.")
    semantic: bool = Field(True, description="Rank and search with the sentence-embedding model when it is installed.")


class StoreSettings(BaseModel):
    """Where the store lives: ``data_dir`` and ``database_url`` (top-level keys of the config)."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("paperbot", appauthor=False)),
        description="Folder of the SQLite database (default: the per-user data folder, e.g. ~/.local/share/paperbot); "
                    "a relative path is taken from the folder of the config file that sets it (from the current "
                    "folder when set in the environment).",
    )
    database_url: str | None = Field(None, description="Any SQLAlchemy URL; empty means SQLite in data_dir.")
    database_connect_timeout: int = Field(
        10, ge=1, description="Seconds to wait for the database server to accept a connection before failing."
    )

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: ``database_url`` if set, else ``sqlite:///<data_dir>/paperbot.db`` (absolute)."""
        if self.database_url:
            return self.database_url
        path = self.data_dir if self.data_dir.is_absolute() else Path.cwd() / self.data_dir
        return f"sqlite:///{path / 'paperbot.db'}"
