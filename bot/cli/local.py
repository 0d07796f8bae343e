"""The CLI's own chat platform: local users and channels (platform ``cli``, workspace ``local``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.cli.state import fail
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE

if TYPE_CHECKING:
    from bot.commands import Caller, Commands



def caller(name: str, channel: str | None = None) -> Caller:
    """The command-layer caller for local user ``name``, in local channel ``channel`` when given."""
    from bot.commands import Caller

    return Caller(CLI_PLATFORM, CLI_WORKSPACE, name, display_name=name, channel_ref=channel, channel_name=channel)


def existing_user(cmds: Commands, name: str) -> Caller:
    """The caller for local user ``name``; exits with status 1 when no such user was added (nothing is created)."""
    from sqlalchemy import select

    from recommender.store import Member

    with cmds.store.session() as session:
        known = session.scalar(
            select(Member.id).where(Member.platform == CLI_PLATFORM, Member.workspace == CLI_WORKSPACE, Member.user_ref == name)
        )
    if known is None:
        fail(f"unknown user '{name}' (add one with: paperbot users add {name} --interests \"…\"; "
             "list them with: paperbot users list)")
    return caller(name)


def existing_channel(cmds: Commands, name: str) -> Caller:
    """The caller ``cli`` in local channel ``name``; exits with status 1 when no such channel was added."""
    from sqlalchemy import select

    from recommender.store import Channel

    with cmds.store.session() as session:
        known = session.scalar(
            select(Channel.id).where(Channel.platform == CLI_PLATFORM, Channel.workspace == CLI_WORKSPACE,
                                     Channel.channel_ref == name)
        )
    if known is None:
        fail(f"unknown channel '{name}' (add one with: paperbot channels add {name}; "
             "list them with: paperbot channels list)")
    return caller("cli", channel=name)
