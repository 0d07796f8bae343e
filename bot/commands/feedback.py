"""👍/👎: by command (``like``/``dislike``, taken back by ``unrate``), by button on a posted paper, and by reaction on a paper's message.

One opinion per member and paper (a ``feedback`` row): a new one replaces the old. The 👍/👎 reactions a person
has on a paper's message are kept too (``reactions`` rows), so that taking back one leaves the other standing.
Each function runs in one transaction; :class:`~bot.commands.handlers.Commands` delegates here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.commands import events, rows
from bot.commands.caller import Caller
from bot.commands.parse import UsageError
from bot.commands.reply import Reply
from recommender.store import Delivery, DeliveryItem, Feedback, Member, Paper, Reaction
from recommender.store.dialects import dialect_insert

if TYPE_CHECKING:
    from bot.commands.handlers import Commands


def rate(cmds: Commands, caller: Caller, paper_ref: str, value: int, *, origin: str = "command") -> Reply:
    """👍 (``value=1``) or 👎 (``-1``) a paper given by arXiv id, link or ``#<id>``.

    Raises
    ------
    UsageError
        ``paper_ref`` names no stored paper (:func:`~bot.commands.rows.no_such_paper` says why), as for
        ``who``: the answer is the usage, privately. Nothing is written.
    """
    with cmds.store.session() as session:
        paper = rows.find_paper(session, paper_ref)
        if paper is None:
            raise UsageError(rows.no_such_paper(paper_ref, caller))
        channel = cmds.channel(session, caller) if caller.channel_ref is not None else None
        _, held = set_feedback(cmds, session, caller, paper.id, value, origin, channel.id if channel else None)
        title = paper.title
    if held is not None and (held > 0) == (value > 0):  # dated today again, and said so
        return Reply(f"You had already {'👍' if value > 0 else '👎'} “{title}”; your picks use it, as of today.")
    return Reply(_noted(value, title, replaced=held))


def unrate(cmds: Commands, caller: Caller, paper_ref: str) -> Reply:
    """Take back the caller's 👍 or 👎 on a paper given by arXiv id, link or ``#<id>``: their profile forgets it.

    The paper stays shown (it is not picked again); a reaction still on a posted message is not a new rating.

    Returns
    -------
    Reply
        ``ok`` is False, and nothing changes, when the caller had not rated the paper.

    Raises
    ------
    UsageError
        ``paper_ref`` names no stored paper, as for ``like``. Nothing is written.
    """
    with cmds.store.session(immediate=True) as session:
        paper = rows.find_paper(session, paper_ref)
        if paper is None:
            raise UsageError(rows.no_such_paper(paper_ref, caller))
        member = rows.find_member(session, caller)  # nobody is created to take back nothing
        held = None if member is None else session.scalar(
            select(Feedback).where(Feedback.member_id == member.id, Feedback.paper_id == paper.id))
        if held is None:
            return Reply(f"You had not rated “{paper.title}”; nothing changed.", ok=False)
        was = "👍" if held.value > 0 else "👎"
        session.delete(held)
        title = paper.title
    return Reply(f"Took back your {was} on “{title}”. Your next picks no longer use it.")


def set_feedback(cmds: Commands, session: Session, caller: Caller, paper_id: int, value: int, origin: str,
                 channel_id: int | None) -> tuple[Member, int | None]:
    """The caller's opinion of ``paper_id`` is ``value`` now (inserted, or the old one replaced), in ``session``;
    returns the caller's member row and the value it replaced (None: there was none)."""
    member = cmds.member(session, caller)
    query = select(Feedback).where(Feedback.member_id == member.id, Feedback.paper_id == paper_id)
    row = session.scalar(query)
    if row is None:
        new = Feedback(member_id=member.id, paper_id=paper_id, value=value, origin=origin, channel_id=channel_id, created_at=cmds.clock())
        row = rows.insert_or_get(session, new, query)
        if row is new:
            return member, None
    previous = row.value
    row.value, row.origin, row.created_at = value, origin, cmds.clock()
    if channel_id is not None:
        row.channel_id = channel_id
    return member, previous


def feedback(cmds: Commands, caller: Caller, paper_id: int, value: int, *, origin: str = "button",
             delivery_id: int | None = None) -> Reply:
    """Record 👍/👎 on a paper the bot showed (a button press); the other button changes it.

    Returns
    -------
    Reply
        Names the paper's title; ``ok`` is False (and nothing is recorded) when
        the paper does not exist or is not in the given delivery.
    """
    with cmds.store.session() as session:
        paper = session.get(Paper, paper_id)
        item = session.get(DeliveryItem, (delivery_id, paper_id)) if delivery_id is not None else None
        if paper is None or (delivery_id is not None and item is None):
            return Reply("That paper is no longer available for feedback.", ok=False)
        channel_id = item.delivery.target_id if item is not None and item.delivery.target_kind == "channel" else None
        set_feedback(cmds, session, caller, paper_id, value, origin, channel_id)
        title = paper.title
    return Reply(_noted(value, title))


def reaction(cmds: Commands, caller: Caller, message_ref: str, value: int, *, added: bool,
             event: events.EventKey | None = None) -> bool:
    """A 👍/👎 reaction added to (or removed from) a bot message that carries a paper.

    The message is matched by platform, workspace and message reference
    (a Slack Connect channel shared by two workspaces has the same channel
    id in both). Adding records feedback for the reacting person; removing
    one retracts it when it still holds that value, unless the person's other
    reaction still stands on the message: that is their feedback then (:func:`_react`). Returns False, recording
    nothing, for messages the bot did not post in the caller's workspace,
    which are told apart by reading alone (on SQLite, without waiting for a writer).
    ``event``, the platform's event, is recorded with the feedback (:mod:`bot.commands.events`).

    Raises
    ------
    bot.commands.events.AlreadyHandled
        ``event`` was handled before (a retried 👍 taken back since stays taken back): nothing changes.
    """
    with cmds.store.session() as session:  # reads only: most 👍 are on people's messages, no cause to wait for a writer
        if _posted_item(session, caller, message_ref) is None:
            return False
    with cmds.store.session(immediate=True) as session:  # a retry beside the first delivery waits for it
        item = _posted_item(session, caller, message_ref)
        if item is None:  # its channel was removed meanwhile
            return False
        events.claim(session, event, cmds.clock())
        _react(cmds, session, caller, item, value, added)
    return True


def _posted_item(session: Session, caller: Caller, message_ref: str) -> DeliveryItem | None:
    """The paper of the bot message ``message_ref`` posted in the caller's workspace; None for any other message."""
    for item in rows.posted_items(session, caller.platform, message_ref):
        target = rows.target_of(session, item.delivery)
        if target is not None and target.workspace == caller.workspace:
            return item
    return None


def digest_header(cmds: Commands, caller: Caller, message_ref: str) -> bool:
    """Whether ``message_ref`` is the header of a channel digest posted in the caller's workspace.

    A reaction there names no paper (the header holds several); the adapter may say where to react.
    Reads only: no member is created, no profile changes.
    """
    with cmds.store.session() as session:
        found = session.scalars(select(Delivery).where(
            Delivery.platform == caller.platform, Delivery.message_ref == message_ref, Delivery.target_kind == "channel"))
        return any((target := rows.target_of(session, d)) is not None and target.workspace == caller.workspace for d in found)


def dm_reaction(cmds: Commands, caller: Caller, message_ref: str, value: int, *, added: bool) -> bool:
    """A reaction in a direct message, where the platform names no workspace (Discord DMs).

    Counts only on a DM digest delivered to the reacting person
    (``caller.user_ref``); the workspace is that member's. Returns whether it counted.
    """
    with cmds.store.session() as session:
        for item in rows.posted_items(session, caller.platform, message_ref):
            member = rows.target_of(session, item.delivery)
            if isinstance(member, Member) and member.user_ref == caller.user_ref:
                who = Caller(caller.platform, member.workspace, caller.user_ref, display_name=caller.display_name)
                _react(cmds, session, who, item, value, added)
                return True
    return False


def _react(cmds: Commands, session: Session, caller: Caller, item: DeliveryItem, value: int, added: bool) -> None:
    """Record the reaction ``value`` added to (or removed from) ``item``'s message, and the feedback it makes.

    Adding makes it the caller's opinion of the paper. Removing the one their opinion holds makes the other
    reaction their opinion when it still stands on that message (a 👍 taken back under a 👎 leaves the 👎),
    else retracts it; removing the other changes no opinion. A reaction added before migration 0018 left
    no row, so it does not stand: removing the opinion's reaction then retracts it, as before.
    """
    channel_id = item.delivery.target_id if item.delivery.target_kind == "channel" else None
    if added:
        member, _ = set_feedback(cmds, session, caller, item.paper_id, value, "reaction", channel_id)
        session.execute(dialect_insert(session, Reaction.__table__)
                        .values(member_id=member.id, delivery_id=item.delivery_id, paper_id=item.paper_id, value=value)
                        .on_conflict_do_nothing())
        return
    found = rows.find_member(session, caller)  # a retraction creates nobody (another bot's, one added while down)
    if found is None:
        return
    mine = (Reaction.member_id == found.id, Reaction.delivery_id == item.delivery_id, Reaction.paper_id == item.paper_id)
    session.execute(delete(Reaction).where(*mine, Reaction.value == value))
    held = session.scalar(select(Feedback.id).where(
        Feedback.member_id == found.id, Feedback.paper_id == item.paper_id, Feedback.value == value))
    if held is None:  # the opinion is the other value (or none): this reaction was not what it holds
        return
    if session.scalar(select(Reaction.value).where(*mine, Reaction.value == -value)) is not None:
        set_feedback(cmds, session, caller, item.paper_id, -value, "reaction", channel_id)
    else:
        session.execute(delete(Feedback).where(Feedback.id == held))


def _noted(value: int, title: str, *, replaced: int | None = None) -> str:
    """"👍 noted for …"; ``replaced``, the opposite rating it replaces, is named ("(it replaces your 👎)")."""
    instead = f" (it replaces your {'👍' if replaced > 0 else '👎'})" if replaced is not None else ""
    return ("👍 " if value > 0 else "👎 ") + f"noted for “{title}”{instead}. Your next picks reflect it."
