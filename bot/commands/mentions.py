"""``/papers who`` and ``/papers mentions``: the teammates a paper fits, and naming them under digest papers.

* ``who <paper>`` ranks the people of the workspace who opted in by how well
  the paper fits their profile (:func:`recommender.teammates.member_fits`), each
  with the reason, privately. It writes nothing. It works wherever the workspace is
  known: in a channel, in a Slack DM, on the command line (``paperbot who``); not in a
  Discord DM, which belongs to no server.
* ``mentions on|off`` is a channel setting (off by default, logged as a
  channel change like ``channel setup``): the channel digest's papers then
  name the one or two opted-in people they fit best (:mod:`bot.delivery.mentions`).
* ``mentions me on|off`` is each person's own opt-in, per workspace.

Who counts as "the channel's members": everyone of the workspace (Slack team,
Discord guild) who opted in. The opt-in is the consent; asking the platform
who is in the channel would cost an API call per digest and an adapter that
queries, so a channel setting reaches every opted-in person of its workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.commands import channels, rows
from bot.commands.caller import NO_WORKSPACE, Caller
from bot.commands.parse import UsageError
from bot.commands.reply import Reply
from bot.digest import counted
from recommender.store import Feedback, Member
from recommender.teammates import member_fits, min_fit

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

#: How many people ``who`` lists at most.
WHO_LIMIT = 10



def opted_in(session, platform: str, workspace: str) -> list[Member]:
    """The members of a workspace who opted in to be named, by id."""
    return list(session.scalars(
        select(Member).where(Member.platform == platform, Member.workspace == workspace, Member.mentions.is_(True))
        .order_by(Member.id)
    ))


def who(cmds: Commands, caller: Caller, paper_ref: str) -> Reply:
    """The opted-in people of the caller's workspace that ``paper_ref`` fits, best first, with the reason.

    The people are the same in any channel of the workspace, or none: a channel's members are its
    workspace's opted-in people (this module's notes).

    Raises
    ------
    UsageError
        When the workspace is unknown (a Discord DM), or ``paper_ref`` names no stored paper. Nothing is
        written either way.
    """
    if caller.workspace == NO_WORKSPACE:
        raise UsageError("`who` ranks the people of a server who opted in, and a direct message belongs to no "
                         "server: use it in one of the server's channels (only you see the answer)")
    with cmds.store.session() as session:
        paper = rows.find_paper(session, paper_ref)
        if paper is None:
            raise UsageError(rows.no_such_paper(paper_ref))
        people = opted_in(session, caller.platform, caller.workspace)
        opt_in = caller.command("mentions me on")
        title = paper.title
        if not people:
            return Reply(f"Nobody here has opted in to be named for papers yet. Anyone can: {opt_in}.")
        found = [f for f in member_fits(cmds.recommender, session, [paper], people, min_score=0.0) if f.score > 0]
        names = {m.id: m.name for m in people}
        rated = dict(session.execute(select(Feedback.member_id, Feedback.value).where(
            Feedback.paper_id == paper.id, Feedback.member_id.in_(list(names)))).all())
        bar = min_fit(cmds.recommender)
    # who rated it is never said to fit it (they have read it): name them, or "fits none" reads as "nobody cares"
    read = ", ".join(f"{names[m]} {'👍' if v > 0 else '👎'}" for m, v in sorted(rated.items()))
    already = f"\nAlready rated by {read}." if read else ""
    if not found:
        if len(rated) == len(people):
            return Reply(f"Everyone here who opted in already rated “{title}”: {read}.")
        others = counted(len(people) - len(rated), "other person" if rated else "person", "other people" if rated else "people")
        return Reply(f"“{title}” fits none of the {others} who opted in ({opt_in}).{already}")
    lines = [f"Who should read “{title}” (fit, then why; below {bar:.2f} is a weak fit, never named in a digest):"]
    for fit in found[:WHO_LIMIT]:
        weak = " (weak)" if fit.score < bar else ""
        lines.append(f"• {names[fit.member_id]}: {fit.score:.2f}{weak}, {fit.reason}")
    return Reply("\n".join(lines) + already)


def mentions_channel(cmds: Commands, caller: Caller, on: bool) -> Reply:
    """Turn the naming of people under this channel's digest papers on or off (a logged channel change).

    Returns
    -------
    Reply
        ``ok`` is False, and nothing changes, when the channel has no digest: never set up, a journal
        club alone, or turned off (``mentions off`` there still turns the setting off).

    Raises
    ------
    UsageError
        In a direct message.
    """
    with cmds.store.session() as session:
        channel = cmds.channel(session, caller)
        # a journal club alone, or a digest turned off, gives a channel a row but no digest to name anyone under
        if channel is None or (on and not channel.enabled):
            return Reply(f"This channel has no digest yet: {caller.command('channel setup')} turns one on, "
                         f"then {caller.command('mentions on')} names people under its papers. Nothing changed.", ok=False)
        was = bool(channel.mentions)
        channel.mentions = on
        if was != on:
            channels.log_change(session, channel, caller, "mentions " + ("on" if on else "off"))
    if not on:
        return Reply("Mentions are off: this channel's digest names nobody.", ephemeral=False)
    return Reply("Mentions are on: each paper in this channel's digest names the one or two people it fits best "
                 f"(among those who opted in with {caller.command('mentions me on')}), each person at most once a day.", ephemeral=False)


def mentions_me(cmds: Commands, caller: Caller, on: bool) -> Reply:
    """The caller's own opt-in to be named under digest papers (and listed by ``who``) in this workspace."""
    with cmds.store.session() as session:
        member = cmds.member(session, caller)
        member.mentions = on
        has_profile = bool(member.interests) or session.scalar(
            select(Feedback.id).where(Feedback.member_id == member.id).limit(1)) is not None
    if not on:
        return Reply("You will no longer be named under digest papers here.")
    hint = "" if has_profile else (f" Add interests ({caller.command('interests add', '<topic>')}) or 👍 papers "
                                   "so that some fit you.")
    return Reply("You may now be named under a channel digest paper that fits you well, at most once a day." + hint)
