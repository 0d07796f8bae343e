"""``paperbot users …`` and ``paperbot channels …``: local people and channels that get digests."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.help import HelpCommand, HelpGroup
from bot.cli.local import caller, refuse_case_twin, user_name
from bot.cli.state import JsonOpt, console, emit_json, fail, state
from bot.pauses import paused_why

users_app = typer.Typer(rich_markup_mode="markdown", cls=HelpGroup, help="People who get picks: local users, and Slack or Discord members.", no_args_is_help=True)
channels_app = typer.Typer(rich_markup_mode="markdown", cls=HelpGroup, help="Team channels: local ones, and Slack or Discord channels.", no_args_is_help=True)

UserArg = Annotated[str, typer.Argument(metavar="PERSON", help="A one-word user name, e.g. ada.")]


@users_app.command("add", cls=HelpCommand)
def users_add(
    ctx: typer.Context,
    name: UserArg,
    interests: Annotated[str | None, typer.Option(metavar="TEXT; TEXT…", help="Interests, separated by ';' or ','.")] = None,
) -> None:
    """Add a local user (or add interests to an existing one).

    Exit status 2, adding nothing, when ``--interests`` holds no interest (only separators or
    punctuation) or an interest is too long or one too many; 1 when the name is new but differs
    from a user's only in case (``Kim`` when ``kim`` exists).
    """
    from bot.commands import UsageError
    from bot.commands.parse import split_interests

    name = user_name(name)
    if not name or any(c.isspace() for c in name):
        fail("a user name is one word, e.g. 'ada'", 2)
    texts = split_interests(interests or "")
    if interests is not None and not texts:  # given, even empty ("" from an unset shell variable): no interest in it
        fail(f"--interests {interests!r} holds no interest: give words, separated by ';' or ','", 2)
    cmds = state(ctx).commands()
    refuse_case_twin(cmds, name)  # kim exists: Kim would be a second person
    who = caller(name)
    if not texts and _exists(cmds, who):  # nothing to add: say so rather than only list what they have
        console.print(escape(f"{name} is already a user; nothing changed."))
    try:
        if texts:
            cmds.interests_add(who, *texts)  # all or none, with the user, in one transaction
        _say_interests(cmds, who, name)
        for typed, respelled in cmds.respellings(texts).items():  # "model quantisation": "model quantization"
            console.print(escape(f"“{typed}”: no stored paper spells it so; did you mean “{respelled}”? "
                                 f"(paperbot users remove-interest {name} \"{typed}\", then add that)"))
    except UsageError as exc:
        fail(str(exc), 2)


def _exists(cmds: Any, who: Any) -> bool:
    """Whether ``who`` has a member row already (nothing is created)."""
    from bot.commands.rows import find_member

    with cmds.store.session() as session:
        return find_member(session, who) is not None


def _say_interests(cmds: Any, who: Any, name: str) -> None:
    """Print a person's interests to the admin who typed the command: named, not "you"."""

    with cmds.store.session() as session:
        held = list(cmds.member(session, who).interests or [])
    if held:
        console.print(escape(f"{name}'s interests:\n" + "\n".join(f"• {i}" for i in held)))
    else:
        console.print(escape(f"{name} has no interests yet. Add one: {who.command('interests add', 'graph neural networks')}"))


@users_app.command("list", cls=HelpCommand)
def users_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List users with their interests, DM digests and mentions."""
    from recommender.store import Member

    _list(ctx, Member, as_json, lambda m: {
        "platform": m.platform, "workspace": m.workspace, "user": m.user_ref, "name": m.name, "interests": m.interests,
        "subscribed": m.subscribed, "time": m.digest_time, "timezone": m.timezone, "mentions": bool(m.mentions),
        "paused": paused_why(m.paused) if m.paused else None,
    }, ("user", "interests", "DM digest", "mentions"), lambda d: (
        d["name"], "; ".join(d["interests"]),
        (f"{d['time']} {d['timezone']}" if d["subscribed"] else "off") + (f" (paused: {d['paused']})" if d["paused"] else ""),
        "on" if d["mentions"] else "off"), whole=(3,))


@users_app.command("subscribe", cls=HelpCommand)
def users_subscribe(
    ctx: typer.Context,
    name: UserArg,
    time: Annotated[str | None, typer.Option(metavar="HH:MM", help="Local delivery time (default: kept, else the [digest] time setting).")] = None,
    timezone: Annotated[str | None, typer.Option(metavar="ZONE", help="IANA timezone, e.g. Europe/Paris.")] = None,
) -> None:
    """Send a local user's daily picks at a time of their own.

    Printed by the console adapter while paperbot run is running.

    Exit status 1 for a user never added, 2 for a bad time or timezone (nothing changes).
    """
    from bot.cli.local import existing_user
    from bot.commands import UsageError

    cmds = state(ctx).commands()
    who = existing_user(cmds, name)
    try:
        cmds.subscribe(who, time, timezone)
    except UsageError as exc:
        fail(str(exc), 2)
    row = _member(cmds, who)
    console.print(escape(f"{who.user_ref}'s picks are printed every day at {row.digest_time} {row.timezone} "
                         "while paperbot run is running."))


@users_app.command("unsubscribe", cls=HelpCommand)
def users_unsubscribe(ctx: typer.Context, name: UserArg) -> None:
    """Stop a local user's daily picks.

    Exit status 1 for a user never added.
    """
    from bot.cli.local import existing_user

    cmds = state(ctx).commands()
    who = existing_user(cmds, name)
    was = _member(cmds, who).subscribed
    cmds.unsubscribe(who)
    console.print(escape(f"{who.user_ref} gets no more daily picks." if was else f"{who.user_ref} was not subscribed."))


def _member(cmds: Any, who: Any) -> SimpleNamespace:
    """Local user ``who``'s subscription as stored: ``subscribed``, ``digest_time`` (HH:MM) and ``timezone`` (IANA)."""
    from bot.commands.rows import find_member

    with cmds.store.session() as session:
        row = find_member(session, who)
        return SimpleNamespace(subscribed=row.subscribed, digest_time=row.digest_time, timezone=row.timezone)


@users_app.command("remove-interest", cls=HelpCommand)
def users_remove_interest(
    ctx: typer.Context,
    name: UserArg,
    interest: Annotated[str, typer.Argument(metavar="TEXT", help="An interest as `users list` shows it (any case), or several separated by ';'.")],
) -> None:
    """Remove a local user's interest (or several 'a; b').

    As /papers interests remove does: several are all removed or none; the others are listed.

    Exit status 1, changing nothing, for a user never added or an interest they do not have;
    2 when TEXT holds no words (only spaces or punctuation).
    """
    from bot.cli.local import existing_user
    from bot.commands.parse import interest_text
    from bot.console import print_reply

    if not interest_text(interest):
        fail(f"{interest!r} is no interest: give its words, as paperbot users list shows them", 2)
    cmds = state(ctx).commands()
    who = existing_user(cmds, name)
    reply = cmds.interests_remove(who, interest)  # all or nothing, in one transaction
    if not reply.ok:  # said to the admin who typed it: the user named, not "you"
        console.print(escape(reply.text.replace("among your interests", f"among {user_name(name)}'s interests")))
        raise typer.Exit(1)
    print_reply(console, reply)
    _say_interests(cmds, who, user_name(name))


@users_app.command("remove", cls=HelpCommand, short_help="Remove a user with their interests and 👍/👎.")
def users_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(
        metavar="PERSON", help="A local user's one-word name, e.g. ada; with --platform, a chat member's user id or "
        "display name, which may hold spaces (quote it: \"Ada Lovelace\"; paperbot users list --json shows both).")],
    platform: Annotated[str, typer.Option(
        metavar="PLATFORM", help="Whose member: cli (a local user, the default), slack or discord, e.g. someone "
        "who left the workspace.")] = "cli",
    workspace: Annotated[str | None, typer.Option(
        metavar="ID", help="With --platform slack or discord: the workspace (team or server id) the member is in, "
        "when their name or id is in several (one Discord user in two servers).")] = None,
) -> None:
    """Remove a user with their interests, subscription and 👍/👎 (the papers stay).

    One transaction. Exit status 1, removing nothing, for a user never added, or a chat member's name or id that
    several members have (each is listed with its workspace and user id); 2 for an unknown platform, or
    --workspace with a local user.
    """
    from bot.cli.local import chat_member, existing_user
    from bot.console import print_reply
    from bot.platforms import CLI_PLATFORM

    platform = chat_platform(platform, workspace, "users")
    cmds = state(ctx).commands()
    who = (existing_user(cmds, name) if platform == CLI_PLATFORM
           else chat_member(cmds, platform, name, workspace and workspace.strip()))
    reply = cmds.member_remove(who)
    print_reply(console, reply)
    if not reply.ok:  # removed by another process meanwhile
        raise typer.Exit(1)


def chat_platform(platform: str, workspace: str | None, kind: str) -> str:
    """``--platform`` of ``paperbot users remove`` and ``channels remove`` (``kind``: ``"users"``, ``"channels"``),
    lowercased: ``cli`` or one of :data:`bot.platforms.CHAT_PLATFORMS`. Exits with status 2, changing nothing,
    for any other platform, or a ``--workspace`` given with ``cli`` (local users and channels have none)."""
    from bot.platforms import CHAT_PLATFORMS, CLI_PLATFORM

    platform = platform.strip().lower()
    if platform not in (CLI_PLATFORM, *CHAT_PLATFORMS):
        fail(f"unknown platform '{platform}': give cli, {' or '.join(CHAT_PLATFORMS)}", 2)
    if platform == CLI_PLATFORM and workspace is not None:
        fail(f"--workspace is a Slack or Discord workspace's id: give --platform slack or discord (local {kind} "
             "have none)", 2)
    return platform


def channel_name(typed: str) -> str:
    """A local channel name as stored: ``#lab`` is ``lab``. Exits with status 2, creating nothing, unless it is one
    word (``paperbot channels add`` and ``paperbot papers --channel`` alike: ``#`` or spaces name no channel)."""
    name = typed.strip().removeprefix("#")
    if not name or any(c.isspace() for c in name) or name.startswith("#"):
        fail("a channel name is one word, e.g. 'ml-reading-group' (a leading '#' is dropped)", 2)
    return name


def channel_alike(cmds: Any, name: str) -> str | None:
    """The local channel whose name differs from ``name`` only in case, when no channel is named ``name`` exactly.

    Compared with casefold in Python, as user names are (SQLite's ``lower()`` folds ASCII letters only).
    """
    from sqlalchemy import select

    from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
    from recommender.store import Channel

    with cmds.store.session() as session:
        names = list(session.scalars(select(Channel.channel_ref).where(
            Channel.platform == CLI_PLATFORM, Channel.workspace == CLI_WORKSPACE).order_by(Channel.channel_ref)))
    folded = name.casefold()
    return None if name in names else next((n for n in names if n.casefold() == folded), None)


def refuse_channel_case_twin(cmds: Any, name: str) -> None:
    """Exit with status 1 when ``name`` is new but a local channel's name differs from it only in case.

    Channel names are kept as typed, as user names are (:func:`bot.cli.local.refuse_case_twin`): ``Lab`` beside
    ``lab`` would be a second channel with a digest of its own, so it is refused, naming the one that exists
    (a command on an existing channel, ``channels remove Lab``, is pointed to it: :func:`bot.cli.local.existing_channel`).
    """
    alike = channel_alike(cmds, name)
    if alike:
        fail(f"a channel '{alike}' exists; names differing only in case would be two channels: use '{alike}' "
             "(or remove it first)")


@channels_app.command("add", cls=HelpCommand)
def channels_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="CHANNEL", help="A local channel name, e.g. ml-reading-group.")],
    topic: Annotated[str, typer.Option(metavar="TEXT", help="What the channel reads about.")] = "",
    time: Annotated[str | None, typer.Option(metavar="HH:MM", help="Local delivery time.")] = None,
    timezone: Annotated[str | None, typer.Option(metavar="ZONE", help="IANA timezone, e.g. Europe/Paris.")] = None,
    size: Annotated[int | None, typer.Option(metavar="N", help="Papers per digest.")] = None,
) -> None:
    """Set up a local channel's daily digest.

    Exit status 2 for a name that is not one word; 1 when the name is new but differs from a
    channel's only in case (``Lab`` when ``lab`` exists).
    """
    from bot.commands import UsageError
    from bot.console import print_reply

    name = channel_name(name)
    cmds = state(ctx).commands()
    refuse_channel_case_twin(cmds, name)  # lab exists: Lab would be a second channel
    try:
        reply = cmds.channel_setup(caller("cli", channel=name), time=time, timezone=timezone, size=size,
                                   topic=topic or None)
    except UsageError as exc:
        fail(str(exc), 2)
    print_reply(console, reply)


@channels_app.command("remove", cls=HelpCommand, short_help="Remove a channel: its digest stops (👍/👎 given in it stay).")
def channels_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="CHANNEL", help="A local channel added with: paperbot channels add; "
                                        "with --platform, a chat channel's id or name (paperbot channels list --json).")],
    platform: Annotated[str, typer.Option(
        metavar="PLATFORM", help="Whose channel: cli (a local one, the default), slack or discord, e.g. one of a "
        "workspace that uninstalled the app or a server that removed the bot.")] = "cli",
    workspace: Annotated[str | None, typer.Option(
        metavar="ID", help="With --platform slack or discord: the workspace (team or server id) the channel is in, "
        "when its name or id is in several.")] = None,
) -> None:
    """Remove a channel: its digest stops and it is no longer listed (👍/👎 given in it stay).

    One transaction, as when a Discord channel is deleted in its server. Exit status 1, removing nothing, for a
    channel never added, or a chat channel's name or id that several channels have (each is listed with its
    workspace and id); 2 for a local name that is not one word, an unknown platform, or --workspace with a
    local channel.
    """
    from bot.cli.local import chat_channel, existing_channel
    from bot.console import print_reply
    from bot.platforms import CLI_PLATFORM

    platform = chat_platform(platform, workspace, "channels")
    cmds = state(ctx).commands()
    where = (existing_channel(cmds, channel_name(name)) if platform == CLI_PLATFORM
             else chat_channel(cmds, platform, name, workspace and workspace.strip()))
    reply = cmds.channel_remove(where)
    print_reply(console, reply)
    if not reply.ok:  # removed by another process meanwhile
        raise typer.Exit(1)


@channels_app.command("list", cls=HelpCommand)
def channels_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List channels with their digest settings."""
    from recommender.store import Channel

    _list(ctx, Channel, as_json, lambda c: {
        "platform": c.platform, "workspace": c.workspace, "channel": c.channel_ref, "name": c.name, "topic": c.topic,
        "enabled": c.enabled, "time": c.digest_time, "timezone": c.timezone, "size": c.digest_size,
        "paused": paused_why(c.paused) if c.paused else None,
    }, ("channel", "topic", "digest"), lambda d: (
        d["name"] or d["channel"], d["topic"],
        (f"{d['size']} at {d['time']} {d['timezone']}" if d["enabled"] else "off")
        + (f" (paused: {d['paused']})" if d["paused"] else "")), whole=(3,))


def _list(ctx: typer.Context, model, as_json: bool, as_dict: Callable[[Any], dict], columns: tuple[str, ...],
          row: Callable[[dict], tuple[str, ...]], whole: tuple[int, ...] = ()) -> None:
    """Print every ``model`` row (members or channels, by platform then id) as JSON or as a table.

    The table's first column is where a row lives: its platform, and a chat row's workspace id (``slack
    T0123ABCD``: two Slack channels named ``papers`` in two workspaces are told apart). In a terminal too narrow
    for the table, that column's words stay whole, those of the columns ``whole`` (indexes counting it; a
    schedule's timezone) too, broken after a slash where they must be (``America/Argentina/`` over
    ``Buenos_Aires``), and every other column keeps its header's words whole (:func:`bot.cli.tables.fit_rows`,
    as ``paperbot status`` does: fixing the timezone's width alone cut ``interests`` and ``mentions`` to
    ``intere``/``sts`` beside a Discord server id at 80 columns). Cells are text, not markup (a topic's ``[b]``).
    """
    from sqlalchemy import select

    from bot.cli.tables import fit_rows
    from bot.platforms import CLI_PLATFORM

    with state(ctx).store().session() as session:
        data = [as_dict(r) for r in session.scalars(select(model).order_by(model.platform, model.id))]
    if as_json:
        return emit_json(data)
    chat = any(d["platform"] != CLI_PLATFORM for d in data)
    rows = [(d["platform"] if d["platform"] == CLI_PLATFORM else f"{d['platform']} {d['workspace']}", *row(d))
            for d in data]
    table = Table()
    for header in ("platform, workspace" if chat else "platform", *columns):
        table.add_column(header, overflow="fold")  # a long name folds rather than being cut with "…"
    for cells in fit_rows(console, table, rows, whole=(0, *whole), breakable=whole):
        table.add_row(*map(escape, cells))
    console.print(table)
