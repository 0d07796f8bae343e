"""The CLI's own chat platform: local users and channels (platform ``cli``, workspace ``local``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.cli.state import fail
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE

if TYPE_CHECKING:
    from bot.commands import Caller, Commands


def user_name(name: str) -> str:
    """A local user's name as stored: ``@mia`` is ``mia`` (digests print people as ``@mia``, so people type it)."""
    return name.strip().removeprefix("@")


def caller(name: str, channel: str | None = None) -> Caller:
    """The command-layer caller for local user ``name`` (:func:`user_name`), in local channel ``channel`` when given."""
    from bot.commands import Caller

    name = user_name(name)
    return Caller(CLI_PLATFORM, CLI_WORKSPACE, name, display_name=name, channel_ref=channel, channel_name=channel)


def _added(cmds: Commands, kind: str, name: str) -> bool:
    """Whether local ``kind`` (``"user"`` or ``"channel"``) ``name`` was added."""
    from sqlalchemy import select

    from recommender.store import Channel, Member

    model, ref = (Member, Member.user_ref) if kind == "user" else (Channel, Channel.channel_ref)
    name = user_name(name) if kind == "user" else name
    with cmds.store.session() as session:
        return session.scalar(select(model.id).where(model.platform == CLI_PLATFORM, model.workspace == CLI_WORKSPACE,
                                                     ref == name)) is not None


def existing_user(cmds: Commands, name: str) -> Caller:
    """The caller for local user ``name``; exits with status 1 when no such user was added (nothing is created)."""
    name = user_name(name)
    if not _added(cmds, "user", name):
        alike = _user_alike(cmds, name) or _user_near(cmds, name)
        if alike:  # names are kept as typed: Omar and omar are two people, so say which one exists; omr is a typo
            fail(f"unknown user '{name}': did you mean '{alike}'? (paperbot users list shows them)")
        fail(f"unknown user '{name}' (add one with: paperbot users add {name} --interests \"…\"; "
             "list them with: paperbot users list)")
    return caller(name)


def _local_names(cmds: Commands, kind: str = "user") -> list[str]:
    """The local users' (``kind`` ``"user"``) or channels' (``"channel"``) names, in order (a lab has tens: read
    them all)."""
    from sqlalchemy import select

    from recommender.store import Channel, Member

    model, ref = (Member, Member.user_ref) if kind == "user" else (Channel, Channel.channel_ref)
    with cmds.store.session() as session:
        return list(session.scalars(select(ref).where(
            model.platform == CLI_PLATFORM, model.workspace == CLI_WORKSPACE).order_by(ref)))


def _user_alike(cmds: Commands, name: str) -> str | None:
    """A local user whose name differs from ``name`` only in case, if any (compared in Python: SQLite's
    ``lower()`` folds ASCII letters only, so ``Émile`` and ``émile`` would differ there and not on PostgreSQL)."""
    folded = name.casefold()
    return next((n for n in _local_names(cmds) if n.casefold() == folded), None)


def _near(names: list[str], name: str) -> str | None:
    """The one of ``names`` closest to ``name`` (a typo: ``omr`` for ``omar``), if one is close enough."""
    from difflib import get_close_matches

    lowered = {n.lower(): n for n in reversed(names)}  # the first in order wins when two differ only in case
    near = get_close_matches(name.lower(), lowered, n=1, cutoff=0.75)
    return lowered[near[0]] if near else None


def _user_near(cmds: Commands, name: str) -> str | None:
    """The local user whose name is closest to ``name``, if one is close enough (:func:`_near`)."""
    return _near(_local_names(cmds), name)


def refuse_case_twin(cmds: Commands, name: str) -> None:
    """Exit with status 1 when ``name`` is new but a local user's name differs from it only in case."""
    alike = None if _added(cmds, "user", name) else _user_alike(cmds, name)
    if alike:
        fail(f"a user '{alike}' exists; names differing only in case would be two people: use '{alike}' "
             "(or remove it first)")


def paper_ref(text: str) -> str:
    """A PAPER argument as the command layer reads it: a bare positive number ``51`` is the paper id ``#51``."""
    bare = text.strip()
    return f"#{bare}" if re.fullmatch(r"0*[1-9][0-9]*", bare) else text


def existing_channel(cmds: Commands, name: str) -> Caller:
    """The caller ``cli`` in local channel ``name``; exits with status 1 when no such channel was added."""
    missing = unknown_channel(cmds, name)
    if missing:
        fail(missing)
    return caller("cli", channel=name)


def unknown_channel(cmds: Commands, name: str, setup: str = "") -> str | None:
    """What to say of local channel ``name`` when it was never added, else None.

    ``unknown channel 'nochan'``, with the channel meant when a name differs from it only in case or by a typo
    (``did you mean 'lab'?``), else how to add it (``paperbot channels add nochan``, and ``setup``, another
    command that adds it, when given).
    """
    if _added(cmds, "channel", name):
        return None
    from bot.cli.people import channel_alike

    alike = channel_alike(cmds, name) or _near(_local_names(cmds, "channel"), name)
    if alike:  # names are kept as typed: say which one exists, as for users
        return f"unknown channel '{name}': did you mean '{alike}'? (paperbot channels list shows them)"
    return (f"unknown channel '{name}' (add one with: paperbot channels add {name}{' or ' + setup if setup else ''}; "
            "list them with: paperbot channels list)")


def chat_member(cmds: Commands, platform: str, who: str, workspace: str | None = None) -> Caller:
    """The caller for the ``platform`` member (Slack, Discord) whose user id or name is ``who`` (a leading ``@``
    dropped), in ``workspace`` (team or server id) when given.

    A user id wins over a name. Exits with status 1, changing nothing, when there is none, or when several members
    match: a name several people have, or one person in two workspaces (a Discord user id is the same in every
    server, so each server has a member row of its own). The message lists each one's workspace and user id, to give
    instead (with ``--workspace`` when the ids are the same), as :func:`chat_channel` does for channels.
    """
    from bot.commands import Caller
    from recommender.store import Member

    workspace, user_ref, display_name = _one_chat_row(cmds, Member, Member.user_ref, Member.display_name, platform,
                                                      user_name(who), workspace, "member", "user id", "users")
    return Caller(platform, workspace, user_ref, display_name=display_name)


def chat_channel(cmds: Commands, platform: str, which: str, workspace: str | None = None) -> Caller:
    """The caller for removing the ``platform`` channel (Slack, Discord) whose channel id or stored name is ``which``
    (a leading ``#`` dropped), in ``workspace`` (team or server id) when given.

    A channel id wins over a name. Exits with status 1, changing nothing, when there is none, or when several
    channels match (a name in two workspaces, or a Slack channel shared between workspaces): the message lists
    each one's workspace and channel id, to give instead (with ``--workspace``). The caller is the command line
    (user ``cli``), in that channel: what :meth:`~bot.commands.Commands.channel_remove` takes.
    """
    from bot.commands import Caller
    from recommender.store import Channel

    workspace, channel_ref, name = _one_chat_row(cmds, Channel, Channel.channel_ref, Channel.name, platform,
                                                 which.strip().removeprefix("#"), workspace, "channel", "channel id",
                                                 "channels")
    return Caller(platform, workspace, CLI_PLATFORM, display_name="command line", channel_ref=channel_ref,
                  channel_name=name)


def _one_chat_row(cmds: Commands, model, ref_column, name_column, platform: str, which: str, workspace: str | None,
                  noun: str, ref_noun: str, listing: str) -> tuple[str, str, str | None]:
    """``(workspace, id, name)`` of the one ``model`` row (Member or Channel) of ``platform`` whose ``ref_column``
    (a user or channel id) or ``name_column`` is ``which``, in ``workspace`` when given; an id wins over a name.
    Ids (``which`` as an id, and ``workspace``) match in any case, as an operator types them (``u0abc`` is Slack's
    ``U0ABC``), preferring the id typed exactly; names as they are stored. The ids returned are as stored.
    Exits with status 1, changing nothing, when there is none or several (each listed with its workspace and id,
    asking for ``--workspace`` when their ids are the same)."""
    from sqlalchemy import func, or_, select

    where = " in workspace " + workspace if workspace else ""
    with cmds.store.session() as session:  # ids are ASCII (Slack's T0…/U0…/C0…, Discord's digits): lower() folds them
        query = select(model).where(model.platform == platform,
                                    or_(func.lower(ref_column) == which.lower(), name_column == which))
        if workspace:
            query = query.where(func.lower(model.workspace) == workspace.lower())
        found = session.scalars(query.order_by(model.workspace, model.id)).all()
        refs = [getattr(row, ref_column.key) for row in found]
        by_id = ([row for row, ref in zip(found, refs, strict=True) if ref == which]
                 or [row for row, ref in zip(found, refs, strict=True) if ref.lower() == which.lower()])
        if by_id:
            found, refs = by_id, [getattr(row, ref_column.key) for row in by_id]
        if not found:
            fail(f"no {platform} {noun} '{which}'{where} (by {ref_noun} or name; paperbot {listing} list --json "
                 "shows both, with each one's workspace)")
        if len(found) > 1:
            fail(f"'{which}' names {len(found)} {platform} {noun}s: give the {ref_noun}"
                 + (" and --workspace" if len(set(refs)) < len(found) else "") + ", one of "
                 + ", ".join(f"{ref} (workspace {row.workspace})" for row, ref in zip(found, refs, strict=True)))
        return found[0].workspace, refs[0], getattr(found[0], name_column.key)
