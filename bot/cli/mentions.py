"""``paperbot who``, ``paperbot channels mentions`` and ``paperbot users mentions``: the console's teammates.

The same command layer as ``/papers who`` and ``/papers mentions`` on Slack and
Discord, for the local platform (``cli``, workspace ``local``): a local
channel's printed digest names the users a paper fits best as ``@name``.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from bot.cli.local import caller, existing_channel, existing_user, paper_ref
from bot.cli.state import JsonOpt, choice, console, emit_json, fail, state


class Switch(enum.StrEnum):
    """``on`` or ``off``."""

    on = "on"
    off = "off"


ChannelArg = Annotated[str, typer.Argument(metavar="CHANNEL", help="A local channel added with: paperbot channels add.")]
SwitchArg = Annotated[Switch, typer.Argument(metavar="on|off", parser=choice(Switch))]


def who_cmd(
    ctx: typer.Context,
    paper: Annotated[str | None, typer.Argument(
        metavar="PAPER", help="arXiv id or link, DOI, or `#<paper id>` (51 is #51).", show_default=False)] = None,
    channel: Annotated[str | None, typer.Option(
        metavar="CHANNEL", help="Ask in this local channel: its members, the local users who opted in.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The local users a paper fits, best first, each with why.

    Those who opted in: paperbot users mentions PERSON on.

    Exit status 1 when --channel names a channel never added (paperbot channels add) or the paper is not stored,
    as for paperbot like.
    """
    from bot.commands import UsageError
    from bot.console import print_reply

    if paper is None:
        from bot.cli.picks import NO_PAPER

        fail(NO_PAPER, 2)
    cmds = state(ctx).commands()
    if channel is not None:
        from bot.cli.people import channel_name

        channel = channel_name(channel)  # as channels add reads it: "#lab" is lab
    where = existing_channel(cmds, channel) if channel is not None else caller("cli")
    paper = paper_ref(paper)
    try:
        if as_json:
            return emit_json({"channel": channel, **_who_json(cmds, where, paper)})
        reply = cmds.who(where, paper)
    except UsageError as exc:  # no such paper
        fail(str(exc))
    print_reply(console, reply)


def _who_json(cmds, where, paper_ref: str) -> dict:
    """``paperbot who --json``: what ``who`` says, as data (:meth:`bot.commands.Commands.who_fits`).

    ``{"paper": {...the keys of a search result's paper}, "min_fit", "opted_in": how many,
    "people": [{"name", "fit", "weak", "reason"}] best first (at most the command's limit),
    "rated": [{"name", "rating": "like"|"dislike"}]}``: who rated the paper is never listed as fitting it.

    Raises
    ------
    bot.commands.UsageError
        No stored paper is ``paper_ref``.
    """
    from bot.cli.picks import item_json

    found = cmds.who_fits(where, paper_ref)
    about = item_json(found.paper)
    keys = ("paper_id", "ref", "title", "url", "authors", "published", "published_precision", "source", "source_name")
    bar = found.min_fit
    return {
        "paper": {key: about[key] for key in keys}, "min_fit": round(bar, 6), "opted_in": found.opted_in,
        "people": [{"name": name, "fit": round(f.score, 6), "weak": f.score < bar, "reason": f.reason}
                   for name, f in found.fits],
        "rated": [{"name": name, "rating": "like" if v > 0 else "dislike"} for name, v in found.rated],
    }


def channel_mentions_cmd(ctx: typer.Context, channel: ChannelArg, switch: SwitchArg) -> None:
    """Name under each paper of a channel's digest the users it fits.

    on: a local channel's digest names the users each paper fits best; off: it stops.

    Exit status 1, changing nothing, for a channel never added (as ``paperbot who --channel``), one whose digest
    is off, or one named as one differing from it only in case (``Lab`` for ``lab``); 2 for a name that is not
    one word (a leading ``#`` is dropped, as ``channels add`` does).
    """
    from bot.cli.people import channel_name, refuse_channel_case_twin
    from bot.console import print_reply

    cmds = state(ctx).commands()
    channel = channel_name(channel)
    refuse_channel_case_twin(cmds, channel)
    reply = cmds.mentions_channel(existing_channel(cmds, channel), switch is Switch.on)
    print_reply(console, reply)
    if not reply.ok:
        raise typer.Exit(1)


def user_mentions_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="PERSON", help="A user added with: paperbot users add.")],
    switch: SwitchArg,
) -> None:
    """Let a local user be named under channel digest papers.

    on: named under a channel digest paper that fits them well, at most once a day; off: no longer.
    """
    from rich.markup import escape

    cmds = state(ctx).commands()
    who = existing_user(cmds, name)
    cmds.mentions_me(who, switch is Switch.on)
    if switch is Switch.off:
        console.print(f"{escape(who.user_ref)} will no longer be named under channel digest papers.")
        return
    hint = "" if _has_profile(cmds, who) else (
        f" {who.user_ref} has no interests or 👍 yet: paperbot users add {who.user_ref} --interests \"…\" gives some.")
    console.print(escape(f"{who.user_ref} may now be named under a channel digest paper that fits them well, "
                         "at most once a day." + hint))



def _has_profile(cmds, who) -> bool:
    """Whether local user ``who`` has an interest or a 👍/👎 (:func:`bot.commands.mentions.has_profile`)."""
    from bot.commands.mentions import has_profile
    from bot.commands.rows import find_member

    with cmds.store.session() as session:
        return has_profile(session, find_member(session, who))
