"""The demo team: the people and team channel of ``config/demo.toml``, set up through the command layer.

Used by ``paperbot demo`` and by a console-only ``paperbot run`` on an empty
database (:func:`bot.service.run.serve`), so both create the same team.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.bundled import bundled_config, bundled_samples
from bot.commands import Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE

__all__ = ["DEMO_CONFIG", "SAMPLE_DIGESTS", "DemoUser", "DemoChannel", "DemoTeam", "load_demo_team", "add_demo_team"]

#: The bundled sample digests the demo ingests (read in place, never moved).
SAMPLE_DIGESTS = bundled_samples() / "digests"
DEMO_CONFIG = bundled_config() / "demo.toml"
#: A local user or channel name: one word, as ``paperbot users add`` and ``channels add`` take it (no ``#``).
LOCAL_NAME = r"^[^\s#]\S*$"


class DemoUser(BaseModel):
    """A ``[[users]]`` table: a person and their declared interests."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=LOCAL_NAME)
    interests: list[str] = Field(default_factory=list)


class DemoChannel(BaseModel):
    """A ``[[channels]]`` table: a team channel, its topic and digest size."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=LOCAL_NAME)
    topic: str | None = None
    size: int | None = Field(None, ge=1)
    members: list[str] = Field(default_factory=list, description="Who reads it (documentation only).")


class DemoTeam(BaseModel):
    """The whole demo file."""

    model_config = ConfigDict(extra="forbid")

    users: list[DemoUser] = Field(default_factory=list)
    channels: list[DemoChannel] = Field(default_factory=list)


def load_demo_team(path: Path = DEMO_CONFIG) -> DemoTeam:
    """Read a demo team file.

    Raises
    ------
    OSError
        The file cannot be read.
    tomllib.TOMLDecodeError, pydantic.ValidationError
        Not TOML, or an unknown key or bad value.
    """
    with Path(path).open("rb") as fh:
        return DemoTeam.model_validate(tomllib.load(fh))


def add_demo_team(commands: Commands, team: DemoTeam) -> None:
    """Create ``team`` on the ``cli`` platform (workspace ``local``) through the command layer.

    Each user gets their interests and a DM subscription at the default
    ``[digest] time``; each channel is set up with its topic and size.
    """
    for user in team.users:
        who = Caller(CLI_PLATFORM, CLI_WORKSPACE, user.name, display_name=user.name)
        for text in user.interests:
            commands.interests_add(who, text)
        commands.subscribe(who)
    for ch in team.channels:
        where = Caller(CLI_PLATFORM, CLI_WORKSPACE, "demo", display_name="demo", channel_ref=ch.name, channel_name=ch.name)
        commands.channel_setup(where, topic=ch.topic, size=ch.size)
