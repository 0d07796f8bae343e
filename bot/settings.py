"""Settings of the bot: ``config/paperbot.toml`` plus ``PAPERBOT_*`` environment overrides.

Typed end to end and strict: every table forbids unknown keys, so a typo
(``tmie = "09:00"``, ``[recomender]``) is an error naming the key; times of day
and timezones are checked at load (:mod:`bot.clock`); each ``[[sources]]`` table
becomes the model its ``kind`` names. :func:`get_settings` turns any of these
into one :class:`ConfigError` that names the file and every bad key.

Secrets (chat tokens, signing secrets) are never read from the TOML file; see
:class:`Secrets`, which reads only the environment. The library's own settings
(``[recommender]``, ``data_dir``, ``database_url``) are defined in
:mod:`recommender.settings` and composed here.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.bundled import REPO_ROOT, bundled_config
from bot.clock import TimeOfDay, TimezoneName
from bot.config_file import ConfigFile
from recommender.settings import RecommenderSettings, StoreSettings

__all__ = [
    "REPO_ROOT", "DEFAULT_CONFIG", "config_path", "ConfigError", "DigestSettings", "DeliverySettings", "SlackSettings",
    "DiscordSettings", "ServiceSettings", "HfApiSource", "ArxivRssSource", "InboxSource", "SourceSettings", "Settings",
    "Secrets",
    "describe", "get_settings",
]

DEFAULT_CONFIG = bundled_config() / "paperbot.toml"
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")
_STRICT = ConfigDict(extra="forbid")


def config_path() -> Path:
    """The TOML file in force: ``$PAPERBOT_CONFIG``, else (unset or empty) ``config/paperbot.toml`` in the repo."""
    return Path(os.environ.get("PAPERBOT_CONFIG") or DEFAULT_CONFIG)


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and each bad key, one per line."""


class DigestSettings(BaseModel):
    """The ``[digest]`` table: defaults for new subscriptions and channels."""

    model_config = _STRICT

    time: TimeOfDay = Field("09:00", description="Default local delivery time, HH:MM (24-hour).")
    timezone: TimezoneName = Field("UTC", description="Default IANA timezone.")
    size: int = Field(5, ge=1, le=20, description="Papers per digest.")
    empty_day: Literal["skip", "note"] = Field(
        "skip", description="On days with no new papers: post nothing, or a short note.")


class DeliverySettings(BaseModel):
    """The ``[delivery]`` table: how a digest whose poster died is taken over."""

    model_config = _STRICT

    recovery_seconds: float = Field(
        60.0, ge=0,
        description="Seconds after its claimant's last heartbeat before a half-posted digest is taken over "
                    "(the claimant beats every quarter of this while it posts).")


class SlackSettings(BaseModel):
    """The ``[slack]`` table."""

    model_config = _STRICT

    mode: Literal["socket", "http"] = "socket"
    port: int = Field(3000, ge=1, le=65535, description="HTTP mode: port to listen on.")
    api_url: str | None = Field(None, description="Web API base URL override (tests, compatible servers).")


class DiscordSettings(BaseModel):
    """The ``[discord]`` table."""

    model_config = _STRICT

    sync_commands: bool = False
    members_intent: bool = Field(
        False, description="Ask for the privileged Server Members intent (turn it on in the Developer Portal too), so a "
                           "member who leaves a server is paused at once (docs/discord.md).")


class ServiceSettings(BaseModel):
    """The ``[service]`` table: how ``paperbot run`` runs its jobs."""

    model_config = _STRICT

    workers: int = Field(4, ge=1, le=64, description="Threads posting digests at once.")
    sync_seconds: float = Field(
        60.0, ge=1, description="How often the database is read for due digests, schedule changes and retries.")
    shutdown_seconds: float = Field(60.0, ge=0, description="How long a shutdown waits for posts under way.")


# -- [[sources]]: one model per kind ------------------------------------------------------------------
class _Source(BaseModel):
    """Keys every ``[[sources]]`` table has: its name and its schedule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("", description="Unique name: job id ingest:<name>, logs, paperbot status (default: kind).")
    time: TimeOfDay = Field("06:00", description="Local time of the daily run, HH:MM.")
    timezone: TimezoneName = Field("UTC", description="IANA timezone of time.")
    every_minutes: PositiveInt | None = Field(None, description="Run every N minutes instead of daily at time.")

    @model_validator(mode="after")
    def _name_defaults_to_kind(self):
        if not self.name:
            object.__setattr__(self, "name", self.kind)
        return self

    @property
    def schedule(self) -> str:
        """Human-readable schedule, e.g. ``"06:00 UTC"`` or ``"every 10 min"``."""
        return f"every {self.every_minutes} min" if self.every_minutes else f"{self.time} {self.timezone}"


class _HttpSource(_Source):
    """An HTTP source: where it is, and how long and how often to try (:mod:`recommender.fetch`)."""

    base_url: str | None = Field(None, description="Base URL (a mirror, a test server); default per kind.")
    timeout: float = Field(20.0, gt=0, description="Seconds per request (connect at most 10).")
    attempts: PositiveInt = Field(4, description="Tries before giving up (connection errors, 429, 5xx).")
    backoff: float = Field(1.0, ge=0, description="First retry wait, seconds, doubling up to 30 s.")

    default_base_url: ClassVar[str] = ""

    @property
    def url_base(self) -> str:
        """``base_url`` (or the kind's public one) without a trailing slash."""
        return (self.base_url or self.default_base_url).rstrip("/")


class HfApiSource(_HttpSource):
    """``kind = "hf_api"``: ``GET {base_url}/api/daily_papers?date=YYYY-MM-DD`` for today (UTC) and days before."""

    kind: Literal["hf_api"] = "hf_api"
    lookback_days: int = Field(1, ge=0, description="Also fetch this many days before today, UTC.")

    default_base_url: ClassVar[str] = "https://huggingface.co"


class ArxivRssSource(_HttpSource):
    """``kind = "arxiv_rss"``: the rss.arxiv.org listing of ``categories``, ``GET {base_url}/rss/cs.LG+cs.CL``."""

    kind: Literal["arxiv_rss"] = "arxiv_rss"
    categories: tuple[str, ...] = Field(min_length=1, description='arXiv categories, e.g. ["cs.LG", "cs.CL"].')

    default_base_url: ClassVar[str] = "https://rss.arxiv.org"

    @field_validator("categories", mode="before")
    @classmethod
    def _split(cls, value):
        return [c for c in re.split(r"[\s,+]+", value) if c] if isinstance(value, str) else value

    @field_validator("categories")
    @classmethod
    def _known_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in value if not _CATEGORY.match(c)]
        if bad:
            raise ValueError(f"not arXiv categories: {', '.join(bad)} (e.g. cs.LG, math.OC)")
        return value


class InboxSource(_Source):
    """``kind = "inbox"``: a folder where digest files are dropped (then moved to done/ or failed/)."""

    kind: Literal["inbox"] = "inbox"
    path: Path = Field(description="Inbox folder; relative to the config file's folder (to the working directory "
                                   "when set in the environment).")
    settle_seconds: float = Field(
        120.0, ge=0, description="Ingest a file only once unchanged (size, modification time) for this many seconds.")


class ArxivEnrichSource(_Source):
    """``kind = "arxiv_enrich"``: look title-only papers up on the arXiv API (:mod:`recommender.enrich`).

    Runs on its own schedule and right after every ingest source run that stored new papers.
    """

    kind: Literal["arxiv_enrich"] = "arxiv_enrich"
    base_url: str | None = Field(None, description="API query endpoint; default https://export.arxiv.org/api/query.")
    interval: float = Field(3.0, ge=0, description="Seconds between two requests (arXiv's terms ask for 3).")
    limit: int = Field(100, ge=1, description="Papers asked about per run, at most (cached answers do not count).")


#: One ``[[sources]]`` table: the model named by its ``kind``.
SourceSettings = Annotated[
    HfApiSource | ArxivRssSource | InboxSource | ArxivEnrichSource, Field(discriminator="kind")]
_SOURCE_KINDS = ("hf_api", "arxiv_rss", "inbox", "arxiv_enrich")


# -- the whole file -----------------------------------------------------------------------------------
class Settings(BaseSettings, StoreSettings):
    """All non-secret settings (``data_dir`` and ``database_url`` from :class:`StoreSettings`).

    Precedence: constructor arguments, then ``PAPERBOT_*`` environment variables
    (nested with ``__``, e.g. ``PAPERBOT_DIGEST__TIME``), then the TOML file
    (:func:`config_path`). ``PAPERBOT_SLACK_API_URL`` also sets ``slack.api_url``.

    Raises
    ------
    pydantic.ValidationError
        An unknown key, a bad value, an unknown source ``kind``, two sources with
        the same name (:func:`get_settings` reports it as :class:`ConfigError`).
    """

    model_config = SettingsConfigDict(env_prefix="PAPERBOT_", env_nested_delimiter="__", extra="forbid")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    recommender: RecommenderSettings = RecommenderSettings()
    digest: DigestSettings = DigestSettings()
    delivery: DeliverySettings = DeliverySettings()
    slack: SlackSettings = SlackSettings()
    discord: DiscordSettings = DiscordSettings()
    service: ServiceSettings = ServiceSettings()
    sources: list[SourceSettings] = Field(default_factory=list, description="Ingestion sources for the scheduler.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ConfigFile(settings_cls, toml_file=config_path()))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value):
        return value.upper() if isinstance(value, str) else value

    @field_validator("sources")
    @classmethod
    def _distinct_names(cls, value: list) -> list:
        names = [s.name for s in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f'sources need distinct names (set name = "..."): {", ".join(dupes)}')
        return value

    @model_validator(mode="after")
    def _slack_api_url_alias(self) -> Settings:
        flat = os.environ.get("PAPERBOT_SLACK_API_URL")
        if flat and not self.slack.api_url:
            self.slack = self.slack.model_copy(update={"api_url": flat})
        return self

    def ingest_sources(self) -> list[SourceSettings]:
        """The configured ``[[sources]]``, or when none the inbox ``<data_dir>/inbox`` every 10 minutes."""
        return list(self.sources) or [InboxSource(name="inbox", path=Path(self.data_dir) / "inbox", every_minutes=10)]


class Secrets(BaseSettings):
    """Tokens, read only from the environment (never from files, never logged)."""

    model_config = SettingsConfigDict(extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    discord_token: SecretStr | None = None


def _key(parts: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if i else p for i, p in enumerate(parts))


def _from_environment(parts: list[str | int]) -> tuple[str, list[str | int]] | None:
    """The variable that set the value at ``parts`` and the key within its JSON value, or None.

    As pydantic-settings reads them: a name in any case, the key's own variable (``PAPERBOT_DIGEST__TIMEZONE``)
    before a parent's JSON value holding the key (``PAPERBOT_DIGEST='{"timezone": ...}'``).
    """
    names = {name.upper(): name for name in os.environ if name.upper().startswith("PAPERBOT_")}
    for depth in range(len(parts), 0, -1):
        head, rest = parts[:depth], parts[depth:]
        name = None if any(isinstance(p, int) for p in head) else names.get("PAPERBOT_" + "__".join(map(str, head)).upper())
        if name is None:
            continue
        try:
            value = json.loads(os.environ[name]) if rest else None
            for part in rest:
                value = value[part]
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        return name, rest
    return None


def describe(error: ValidationError, path: Path | None = None) -> str:
    """One line per problem, naming the key: ``<file>: digest.tmie: unknown key``, ``sources[1]: unknown kind ...``.

    A value set in the environment is named by its variable instead (``PAPERBOT_DIGEST__TIMEZONE (environment): ...``,
    ``PAPERBOT_DIGEST (environment): timezone: ...`` for a JSON value), whatever the case of its name.
    """
    kinds = ", ".join(_SOURCE_KINDS)
    lines = []
    for item in error.errors(include_url=False):
        parts: list[str | int] = []
        for part in item["loc"]:
            if not (part in _SOURCE_KINDS and parts and isinstance(parts[-1], int)):  # the union's tag, not a key
                parts.append(part)
        key = _key(parts)
        if item["type"] == "extra_forbidden":
            msg = "unknown key"
        elif item["type"] == "union_tag_invalid":
            msg = f"unknown kind {item['ctx']['tag']!r}; expected one of {kinds}"
        elif item["type"] == "union_tag_not_found":
            msg = f"kind is missing; expected one of {kinds}"
        else:
            msg = item["msg"].removeprefix("Value error, ")
        found = _from_environment(parts) if parts else None
        if found:
            name, rest = found
            lines.append(f"{name} (environment): {_key(rest) + ': ' if rest else ''}{msg}")
        else:
            lines.append(f"{path}: {key or '(top level)'}: {msg}" if path else f"{key or '(top level)'}: {msg}")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings in force, loaded once per process.

    Raises
    ------
    ConfigError
        The file or the environment holds an unknown key or a bad value; the
        message names the file and each key (:func:`describe`). Also when
        ``PAPERBOT_CONFIG`` names a file that does not exist: only the default
        file may be absent (then the defaults apply). An empty ``PAPERBOT_CONFIG`` is unset.
    """
    path = config_path()
    if os.environ.get("PAPERBOT_CONFIG") and not path.is_file():
        raise ConfigError(f"{path}: no such config file (named by PAPERBOT_CONFIG)")
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(describe(exc, config_path())) from None
