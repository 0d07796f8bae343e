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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.commands import channels, rows
from bot.commands.caller import NO_WORKSPACE, Caller
from bot.commands.parse import UsageError
from bot.commands.reply import Reply
from bot.digest import counted
from recommender.pick import Pick
from recommender.store import Feedback, Member
from recommender.teammates import MemberFit, member_fits, min_fit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.commands.handlers import Commands

#: How many people ``who`` lists at most.
WHO_LIMIT = 10
#: A fit below this prints as 0.00: ``who`` does not list it (it read "alan: 0.00 (weak)" for a paper on quantization).
WHO_SHOWN_FIT = 0.005



def opted_in(session, platform: str, workspace: str) -> list[Member]:
    """The members of a workspace who opted in to be named, by id; none paused (:mod:`bot.pauses`: one who left)."""
    return list(session.scalars(
        select(Member).where(Member.platform == platform, Member.workspace == workspace, Member.mentions.is_(True),
                             Member.paused.is_(None))
        .order_by(Member.id)
    ))


@dataclass
class WhoFits:
    """What ``who`` found: the paper, the opted-in people it fits and who already rated it.

    Attributes
    ----------
    paper : Pick
        The paper (score 0).
    opted_in : int
        People of the workspace who opted in.
    fits : list of (str, MemberFit)
        Name and fit of each opted-in person the paper fits (score above 0), best first, at
        most :data:`WHO_LIMIT`; who rated the paper is never among them.
    rated : list of (str, int)
        Name and 👍 (1) or 👎 (-1) of each opted-in person who rated it, by member id.
    min_fit : float
        Below it a fit is weak: never named in a digest (:func:`recommender.teammates.min_fit`).
    """

    paper: Pick
    opted_in: int
    fits: list[tuple[str, MemberFit]]
    rated: list[tuple[str, int]]
    min_fit: float


def who_fits(cmds: Commands, caller: Caller, paper_ref: str) -> WhoFits:
    """The data of :func:`who` (``paperbot who --json`` shows it). Writes nothing.

    Raises
    ------
    UsageError
        When the workspace is unknown (a Discord DM), or ``paper_ref`` names no stored paper.
    """
    if caller.workspace == NO_WORKSPACE:
        raise UsageError("`who` ranks the people of a server who opted in, and a direct message belongs to no "
                         "server: use it in one of the server's channels (only you see the answer)")
    with cmds.store.session() as session:
        paper = rows.find_paper(session, paper_ref)
        if paper is None:
            raise UsageError(rows.no_such_paper(paper_ref, caller))
        people = opted_in(session, caller.platform, caller.workspace)
        names = {m.id: m.name for m in people}
        found = [f for f in member_fits(cmds.recommender, session, [paper], people, min_score=0.0) if f.score >= WHO_SHOWN_FIT] \
            if people else []
        rated = dict(session.execute(select(Feedback.member_id, Feedback.value).where(
            Feedback.paper_id == paper.id, Feedback.member_id.in_(list(names)))).all()) if names else {}
        return WhoFits(Pick.from_paper(paper, score=0.0), len(people),
                       [(names[f.member_id], f) for f in found[:WHO_LIMIT]],
                       [(names[m], v) for m, v in sorted(rated.items())], min_fit(cmds.recommender))


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
    found = who_fits(cmds, caller, paper_ref)
    opt_in, title, bar = caller.command("mentions me on"), found.paper.title, found.min_fit
    if not found.opted_in:
        return Reply(f"Nobody here has opted in to be named for papers yet. Anyone can: {opt_in}.")
    # who rated it is never said to fit it (they have read it): name them, or "fits none" reads as "nobody cares"
    read = ", ".join(f"{name} {'👍' if v > 0 else '👎'}" for name, v in found.rated)
    already = f"\nAlready rated by {read}." if read else ""
    if not found.fits:
        if len(found.rated) == found.opted_in:
            return Reply(f"Everyone here who opted in already rated “{title}”: {read}.")
        rest, other = found.opted_in - len(found.rated), "other " if found.rated else ""
        fits = (f"does not fit the {other}person" if rest == 1  # "fits none of the 1 person" read oddly
                else f"fits none of the {counted(rest, other + 'person', other + 'people')}")
        return Reply(f"“{title}” {fits} who opted in ({opt_in}).{already}")
    lines = [f"Who should read “{title}” (fit, then why; below {bar:.2f} is a weak fit, never named in a digest):"]
    for name, fit in found.fits:
        weak = " (weak)" if fit.score < bar else ""
        lines.append(f"• {name}: {fit.score:.2f}{weak}, {fit.reason}")
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
    if was == on:  # as a `channel setup` that changes nothing: only the asker hears, the channel is not told again
        return Reply(f"Nothing to change: mentions are already {'on' if on else 'off'} in this channel.")
    if not on:
        return Reply("Mentions are off: this channel's digest names nobody.", ephemeral=False)
    return Reply("Mentions are on: each paper in this channel's digest names the one or two people it fits best "
                 f"(among those who opted in with {caller.command('mentions me on')}), each person at most once a day.", ephemeral=False)


def has_profile(session: Session, member: Member) -> bool:
    """Whether ``member`` has an interest or a 👍/👎, so that some papers can fit them."""
    return bool(member.interests) or session.scalar(
        select(Feedback.id).where(Feedback.member_id == member.id).limit(1)) is not None


def mentions_me(cmds: Commands, caller: Caller, on: bool) -> Reply:
    """The caller's own opt-in to be named under digest papers (and listed by ``who``) in this workspace."""
    with cmds.store.session() as session:
        member = cmds.member(session, caller) if on else rows.find_member(session, caller)  # off: a newcomer's default
        was = bool(member is not None and member.mentions)
        if member is not None:
            member.mentions = on
        profiled = member is not None and has_profile(session, member)
    if not on:
        return Reply("Nothing to change: you are not named under digest papers in this workspace." if not was
                     else "You will no longer be named under digest papers in this workspace.")
    hint = "" if profiled else (f" Add interests ({caller.command('interests add', '<topic>')}) or 👍 papers "
                                   "so that some fit you.")
    lead = "Nothing to change: you may already be named" if was else "You may now be named"
    return Reply(f"{lead} under a channel digest paper that fits you well, at most once a day." + hint)
