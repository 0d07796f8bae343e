"""Settings: ``config/paperbot.toml`` plus ``PAPERBOT_*`` environment overrides.

Secrets (chat tokens, signing secrets) are never read from the TOML file; see
:class:`Secrets`, which reads only the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "config" / "paperbot.toml"


def config_path() -> Path:
    """The TOML file in force: ``$PAPERBOT_CONFIG``, else ``config/paperbot.toml`` in the repo."""
    return Path(os.environ.get("PAPERBOT_CONFIG", DEFAULT_CONFIG))


class RecommenderSettings(BaseModel):
    half_life_days: float = Field(30.0, gt=0, description="Feedback recency half-life, days.")
    mmr_lambda: float = Field(0.3, ge=0, le=1, description="MMR diversity weight; 0 turns MMR off.")
    picks: int = Field(5, ge=1, le=50, description="Default number of picks per digest.")


class DigestSettings(BaseModel):
    time: str = Field("09:00", description="Default local delivery time, HH:MM.")
    timezone: str = Field("UTC", description="Default IANA timezone.")
    size: int = Field(5, ge=1, le=20)
    empty_day: str = Field("skip", pattern="^(skip|note)$", description="On days with no new papers: post nothing, or a short note.")


class SlackSettings(BaseModel):
    mode: str = Field("socket", pattern="^(socket|http)$")
    port: int = 3000
    api_url: str | None = Field(None, description="Web API base URL override (tests, compatible servers).")


class DiscordSettings(BaseModel):
    sync_commands: bool = False


class Settings(BaseSettings):
    """All non-secret settings.

    Precedence: constructor arguments, then ``PAPERBOT_*`` environment variables
    (nested with ``__``, e.g. ``PAPERBOT_DIGEST__TIME``), then the TOML file.
    """

    model_config = SettingsConfigDict(env_prefix="PAPERBOT_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None
    database_connect_timeout: int = Field(
        10, ge=1, description="Seconds to wait for the database server to accept a connection before failing."
    )
    log_level: str = "INFO"
    recommender: RecommenderSettings = RecommenderSettings()
    digest: DigestSettings = DigestSettings()
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()
    sources: list[dict] = Field(default_factory=list, description="Ingestion sources for the scheduler.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_path()))

    @model_validator(mode="after")
    def _slack_api_url_alias(self) -> "Settings":
        """``PAPERBOT_SLACK_API_URL`` (flat name) works as well as ``PAPERBOT_SLACK__API_URL``."""
        flat = os.environ.get("PAPERBOT_SLACK_API_URL")
        if flat and not self.slack.api_url:
            self.slack = self.slack.model_copy(update={"api_url": flat})
        return self

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: ``database_url`` if set, else a SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        path = self.data_dir if self.data_dir.is_absolute() else Path.cwd() / self.data_dir
        return f"sqlite:///{path / 'paperbot.db'}"


class Secrets(BaseSettings):
    """Tokens, read only from the environment (never from files, never logged)."""

    model_config = SettingsConfigDict(extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    discord_token: SecretStr | None = None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
