"""Tell a subscriber, privately and once, that their daily picks could not be sent by DM.

A member digest that the platform refuses for good (Discord's 403 "Cannot send messages to this
user", code 50007; a Slack DM Slack will not take, :data:`bot.slack.poster.UNREACHABLE_ERRORS`)
is marked ``unreachable`` by :mod:`bot.delivery` and never retried, so nothing ever reaches the
person. This module finds those days for a caller and words a :class:`DmNotice`, which every
``/papers`` answer carries (``Reply.notice``): :func:`notifying` wraps each :class:`Commands`
method that answers a caller, so no handler has to ask.

Only the same person is told: the member row of the caller's (platform, workspace, user), not
the same user id in another workspace or on another platform. A caller whose platform names no
workspace (:data:`~bot.commands.caller.NO_WORKSPACE`: a Discord DM with the bot, where a user id
is the same person in every server) is told of their digests in any workspace. An adapter shows the notice
privately (a separate ephemeral message, also when the answer itself was for the channel), then
calls :meth:`DmNotice.mark_told`, which records it in one transaction: ``told_at`` set and
``" · person told"`` appended to each row's ``error`` (what ``paperbot status`` shows). A process
killed between the two tells the person again at their next command, never not at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select, update

from bot.commands.caller import NO_WORKSPACE, Caller
from bot.commands.parse import UsageError
from bot.pauses import PAUSED_MARK
from recommender.store import Delivery, Member, Store
from recommender.store.models import utcnow

log = logging.getLogger(__name__)

#: Appended to a delivery's ``error`` once its person was told.
TOLD = " · person told"
#: Days a notice lists one by one; more are given as a count and a range.
LISTED_DAYS = 3
#: The methods :func:`notifying` leaves alone: ``handle`` runs one of the others, which carries the notice.
NOT_WRAPPED = frozenset({"handle"})
#: Methods answering a button press with a result whose ``reply`` answers the caller (a club vote); wrapped too.
RESULT_WRAPPED = frozenset({"club_vote_button"})


@dataclass
class DmNotice:
    """What a caller is to be told about personal picks that never reached their DMs.

    Attributes
    ----------
    text : str
        The notice, in the reply's neutral marks (`` `code` ``); one paragraph.
    delivery_ids : tuple of int
        The ``unreachable`` member deliveries it tells of, oldest day first.
    """

    text: str
    delivery_ids: tuple[int, ...]
    _store: Store = field(repr=False, compare=False)
    _clock: Callable[[], dt.datetime] = field(default=utcnow, repr=False, compare=False)

    def mark_told(self) -> int:
        """Record, in one transaction, that the person was told: how many deliveries it marked.

        Call it once the notice was sent. Each row gets ``told_at`` (now, UTC) and :data:`TOLD`
        after its error; a row marked meanwhile (the same notice shown twice at once) or removed
        with its member is left as it is.
        """
        with self._store.session() as session:
            result = session.execute(
                update(Delivery)
                .where(Delivery.id.in_(self.delivery_ids), Delivery.told_at.is_(None))
                .values(told_at=self._clock(), error=func.coalesce(Delivery.error, "unreachable") + TOLD)
                .execution_options(synchronize_session=False)
            )
            marked = int(result.rowcount or 0)  # type: ignore[attr-defined]
        log.info("dm failure told", extra={"deliveries": list(self.delivery_ids), "marked": marked})
        return marked


def pending(store: Store, caller: Caller, *, clock: Callable[[], dt.datetime] = utcnow) -> DmNotice | None:
    """The notice ``caller`` is owed: their member digests that are ``unreachable`` and not told yet, else None.

    A day that paused the member (:data:`bot.pauses.PAUSED_MARK` in its error: they or the bot had left the
    server) is none: their DM settings were not the cause.

    One read, no write. ``caller`` is matched on its exact (platform, workspace, user); a caller
    with :data:`~bot.commands.caller.NO_WORKSPACE` on its (platform, user) in every workspace.
    """
    person = [Member.platform == caller.platform, Member.user_ref == caller.user_ref]
    if caller.workspace != NO_WORKSPACE:
        person.append(Member.workspace == caller.workspace)
    with store.session() as session:
        failed = session.execute(
            select(Delivery.id, Delivery.day, Delivery.error, Member.id, Member.workspace)
            .join(Member, and_(Delivery.target_kind == "member", Delivery.target_id == Member.id))
            .where(*person, Delivery.status == "unreachable", Delivery.told_at.is_(None),
                   Delivery.error.not_like(f"%{PAUSED_MARK}%"))  # refused as they or the bot had left: nothing to fix
            .order_by(Delivery.day, Delivery.id)
        ).all()
        if not failed:
            return None
        last_failed = {member_id: day for _, day, _, member_id, _ in failed}  # ordered by day: the latest wins
        last_posted = dict(session.execute(
            select(Delivery.target_id, func.max(Delivery.day)).where(
                Delivery.target_kind == "member", Delivery.target_id.in_(list(last_failed)),
                Delivery.status == "posted").group_by(Delivery.target_id)).all())
    # Every profile that failed got a digest since: a later digest in another server (whose DM setting
    # is its own) says nothing of this one.
    since = all(last_posted.get(m) is not None and last_posted[m] > day for m, day in last_failed.items())
    days = sorted({row[1] for row in failed})  # a day failed in two servers is one missed day
    dm_only = all(row[4] == NO_WORKSPACE for row in failed)  # profiles made in a DM with the bot: no server named
    text = notice_text(caller, days, failed[-1][2] or "", arrived_since=since, dm_only=dm_only)
    return DmNotice(text, tuple(row[0] for row in failed), store, clock)


def notice_text(caller: Caller, days: list[dt.date], error: str, *, arrived_since: bool = False,
                dm_only: bool = False) -> str:
    """The notice for ``days`` (oldest first) whose latest failure's ``error`` is ``error`` (a delivery's).

    Says why (the platform's answer, in words where it is known) and what fixes it on ``caller``'s
    platform; with ``arrived_since`` (a later digest got through) only that those days were missed.
    A caller in a DM with the bot (:data:`~bot.commands.caller.NO_WORKSPACE`) is told the DMs were
    closed then, and what to do if they still are: that they can use the DM now proves nothing of
    the bot's own messages, which a server's privacy setting refuses. With ``dm_only`` (the days are of a profile
    made in a DM with the bot, workspace :data:`~bot.commands.caller.NO_WORKSPACE`, which names no server) a
    Discord refusal is worded without "this server": Discord lets a bot DM someone only through a server they
    share whose members may DM them, or none is left.
    """
    when = _days(days)
    picks = caller.command("picks")
    in_dm = caller.workspace == NO_WORKSPACE
    why = _why(caller.platform, error, in_dm=in_dm, dm_only=dm_only)
    if arrived_since:
        return (f"I could not send your daily picks by DM {when}: {why}. "
                f"They have reached you since, so there is nothing to fix; {picks} shows what is new.")
    return (f"I could not send your daily picks by DM {when}: {why}. "
            f"{_fix(caller.platform, error, in_dm=in_dm, dm_only=dm_only)} Meanwhile {picks} gives you your picks right here.")


def _detail(error: str) -> str:
    """The platform's answer in a delivery error (``"unreachable: discord member 42: 403 Cannot send…"``)."""
    return error.removesuffix(TOLD).split(": ", 2)[-1].strip()


def _dms_closed(platform: str, error: str) -> bool:
    return platform == "discord" and ("50007" in error or "Cannot send messages to this user" in error)


def _why(platform: str, error: str, *, in_dm: bool = False, dm_only: bool = False) -> str:
    detail = _detail(error)
    if _dms_closed(platform, error) and dm_only:
        return ("Discord refused them (it lets me DM you only through a server we are both in whose members "
                "may send you direct messages, and there was none)")
    if _dms_closed(platform, error) and in_dm:
        return "your DMs were closed to me then (direct messages from the server's members were off)"
    if _dms_closed(platform, error):
        return "your DMs are closed to me"
    if platform == "slack" and detail == "messages_tab_disabled":
        return "Slack refused them because paperbot's Messages tab is turned off in this workspace"
    if platform == "slack":
        return f"Slack refused them (`{detail}`)"
    if platform == "discord":
        return f"Discord refused them ({detail})"
    return f"they could not be posted ({detail})"


def _fix(platform: str, error: str, *, in_dm: bool = False, dm_only: bool = False) -> str:
    if _dms_closed(platform, error) and dm_only:
        return ("To get the next ones, allow direct messages from the members of a server we share "
                "(Server name → Privacy Settings → Direct Messages), or join one I am in.")
    if _dms_closed(platform, error) and in_dm:
        return ("If they still are, allow direct messages from the server's members "
                "(Server name → Privacy Settings → Direct Messages) to get the next ones.")
    if _dms_closed(platform, error):
        return ("To get them, allow direct messages from this server's members "
                "(Server name → Privacy Settings → Direct Messages).")
    if platform == "slack" and _detail(error) == "messages_tab_disabled":
        return "Whoever manages the paperbot app can turn it on (the app's settings → App Home → Messages Tab)."
    if platform == "slack":
        return "A workspace admin can look into it with that error."
    return "I will try again with your next digest."


def _days(days: list[dt.date]) -> str:
    """``on Thu 03 Dec``, ``on Thu 03 Dec and Fri 04 Dec``, ``on 5 days, Thu 03 Dec to Mon 07 Dec``."""
    named = [f"{day:%a %d %b}" for day in days]
    if len(named) == 1:
        return f"on {named[0]}"
    if len(named) <= LISTED_DAYS:
        return f"on {', '.join(named[:-1])} and {named[-1]}"
    return f"on {len(named)} days, {named[0]} to {named[-1]}"


def notifying(cls: type) -> type:
    """Class decorator: every public method of ``cls`` that takes ``caller`` first and returns ``Reply``
    gets the caller's pending :class:`DmNotice` as ``reply.notice`` (or, when it raises
    :class:`UsageError`, as the error's ``notice``, which :func:`~bot.commands.handlers.usage_reply` keeps).
    The methods of :data:`RESULT_WRAPPED` get it as ``result.reply.notice``: a button press tells it too.

    ``cls`` must give its instances ``store`` and ``clock``. A failure to look the notice up is
    logged and the answer goes without it.
    """
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or name in NOT_WRAPPED or not inspect.isfunction(method):
            continue
        params = list(inspect.signature(method).parameters)
        in_result = name in RESULT_WRAPPED
        if params[1:2] == ["caller"] and (in_result or method.__annotations__.get("return") == "Reply"):
            setattr(cls, name, _with_notice(method, in_result=in_result))
    return cls


def _with_notice(method, *, in_result: bool = False):
    @functools.wraps(method)
    def answer(self, caller: Caller | None = None, *args, **kwargs):
        try:
            result = method(self, caller, *args, **kwargs)
        except UsageError as exc:
            exc.notice = lookup(self, caller)
            raise
        reply = result.reply if in_result else result
        if reply.notice is None:
            reply.notice = lookup(self, caller)
        return result

    return answer


def lookup(commands, caller: Caller | None) -> DmNotice | None:
    """:func:`pending` for ``caller`` of ``commands`` (a :class:`Commands`); None without a caller or when the read fails (logged)."""
    if caller is None:
        return None
    try:
        return pending(commands.store, caller, clock=commands.clock)
    except Exception as exc:  # the answer matters more than the notice, which waits for the next command
        log.warning("dm notice lookup failed", extra={"user": caller.user_ref, "error": f"{type(exc).__name__}: {exc}"})
        return None
