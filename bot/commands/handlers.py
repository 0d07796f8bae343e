"""The platform-neutral command layer: everything ``/papers``, buttons and reactions can do.

Slack, Discord, the console and the CLI all call :class:`Commands`; an adapter
only translates its platform's requests into these calls and renders the
:class:`~bot.commands.reply.Reply` it gets back. Every method runs in one
transaction; a command that does not parse changes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.commands import (
    channels,
    club,
    dm_notice,
    events,
    feedback,
    interests,
    library,
    mentions,
    onboarding,
    presence,
    rows,
    share,
)
from bot.commands.caller import Caller
from bot.commands.parse import (
    UsageError,
    half_width,
    parse,
    parse_time,
    parse_timezone,
)
from bot.commands.reply import Reply
from bot.digest import counted, found_text, unheld_words
from bot.settings import Settings
from recommender.picks import Recommender
from recommender.store import Channel, Feedback, Member, Store
from recommender.store.models import utcnow

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

log = logging.getLogger(__name__)


@dm_notice.notifying  # each answer to a caller carries their pending DM-failure notice (bot.commands.dm_notice)
class Commands:
    """Every action a person can take on paperbot, independent of the chat platform.

    Parameters
    ----------
    store : Store
        The paper store.
    settings : Settings
        Defaults for digest time, timezone and size.
    recommender : Recommender, optional
        Shared recommender (keeps its TF-IDF cache); one is made when omitted.
    clock : callable, optional
        Returns the aware current time (UTC) for time-bound actions (journal club votes); tests inject one.
    """

    def __init__(self, store: Store, settings: Settings, recommender: Recommender | None = None, *,
                 clock: Callable[[], dt.datetime] | None = None):
        self.store = store
        self.settings = settings
        self.recommender = recommender or Recommender(store, settings.recommender)
        self.clock = clock or utcnow

    # -- text entry point --------------------------------------------------------
    def handle(self, caller: Caller, text: str) -> Reply:
        """Run one ``/papers`` command line; malformed input answers with the usage, privately, changing nothing."""
        try:
            call = parse(text)
            if call.method == "help":
                return self.help(caller, **call.kwargs)
            return getattr(self, call.method)(caller, **call.kwargs)
        except UsageError as exc:
            reply = usage_reply(exc, command=(text.split() or [None])[0])
            reply.notice = reply.notice or dm_notice.lookup(self, caller)  # a line that named no command too
            return reply

    def help(self, caller: Caller | None = None, command: str | None = None) -> Reply:
        """The command list, or ``command``'s lines of it (``caller``: who asked, whose pending notice it carries)."""
        return Reply("", usage=command or True)

    # -- rows ----------------------------------------------------------------------
    def _defaults(self) -> dict:
        digest = self.settings.digest
        return dict(digest_time=digest.time, timezone=digest.timezone, digest_size=digest.size)

    def member(self, session: Session, caller: Caller, *, lock: bool = False) -> Member:
        """The caller's member row, created on first use (safe under concurrent first use).

        ``lock``: for a read-modify-write of the row (:func:`bot.commands.rows.member_row`); open ``session``
        with ``immediate=True`` too, for SQLite.
        """
        return rows.member_row(session, caller, self._defaults(), lock=lock)

    def channel(self, session: Session, caller: Caller, *, create: bool = False) -> Channel | None:
        """The caller's channel row (created when ``create``); raises :class:`UsageError` in a DM."""
        return rows.channel_row(session, caller, self._defaults() if create else None)

    # -- reading -----------------------------------------------------------------------
    def search(self, caller: Caller | None, query: str, k: int = 5) -> Reply:
        """Stored papers ranked by TF-IDF relevance, re-ranked for the caller's profile; those they 👎'd marked.

        Raises
        ------
        UsageError
            The query holds no letter or digit. Nothing is searched.
        """
        query = half_width(query)  # as parse() reads a line: a Discord option or CLI argument comes alone
        if not any(ch.isalnum() for ch in query):
            raise UsageError("`search` needs some words, a title or an arXiv id")
        with self.store.session() as session:
            member = rows.find_member(session, caller) if caller else None  # a search creates nobody
            papers = self.recommender.search(session, query, k=k, member=member)
            respelled = self.recommender.respell(session, query, papers)  # "quantisation": "quantization"
            again = self.recommender.search(session, respelled, k=k, member=member) if respelled else []
            unheld = unheld_words(query, papers)  # "grpah neural": "neural" found papers, "grpah" none
            papers, instead = (again, True) if again else (papers, False)
            papers = rows.mark_rated(session, member, papers) if member is not None else papers
        return Reply(found_text(query, papers, respelled, instead=instead, unheld=unheld), papers)

    def picks(self, caller: Caller, k: int | None = None, *, onboard: bool = True) -> Reply:
        """The caller's picks now, among papers not yet delivered to or rated by them.

        A newcomer gets their onboarding's first round instead (:mod:`bot.commands.onboarding`) unless ``onboard`` is False.
        """
        started = onboarding.start(self, caller, newcomers_only=True) if onboard else None
        if started is not None:
            return started
        with self.store.session() as session:
            member = self.member(session, caller)
            k = k or member.digest_size
            papers = self.recommender.picks(session, [member], k)[0]
            hint = "" if member.interests else f"\nTip: {caller.command('interests add', '<topic>')} makes these yours."
        if not papers:
            return Reply("No new papers to pick from yet." + hint)
        return Reply(f"Your top {counted(len(papers), 'pick')}:" + hint, papers)

    def share(self, paper_ids: list[int]) -> Reply:
        """The papers an answer showed, for the channel, without the asker's marks (:func:`bot.commands.share.shared_papers`)."""
        return share.shared_papers(self, paper_ids)

    # -- interests ---------------------------------------------------------------------
    def interests_list(self, caller: Caller) -> Reply:
        """The caller's interests (:func:`bot.commands.interests.listed`)."""
        return interests.listed(self, caller)

    def interests_add(self, caller: Caller, text: str, *more: str) -> Reply:
        """Add interests, all or none (:func:`bot.commands.interests.add`); raises ``UsageError``, changing nothing."""
        return interests.add(self, caller, text, *more)

    def respellings(self, texts: list[str]) -> dict[str, str]:
        """Interest -> the interest respelled, for those with a word no stored paper holds and a known word
        close to it (:meth:`recommender.picks.Recommender.respell`: "model quantisation" -> "model quantization")."""
        with self.store.session() as session:
            respelled = {i: self.recommender.respell(session, i) for i in texts}
        return {i: r for i, r in respelled.items() if r}

    def interests_remove(self, caller: Caller, text: str) -> Reply:
        """Remove one interest, or the several ``text`` holds, or change nothing (:func:`bot.commands.interests.remove`)."""
        return interests.remove(self, caller, text)

    # -- subscriptions ---------------------------------------------------------------
    def subscribe(self, caller: Caller, time: str | None = None, timezone: str | None = None) -> Reply:
        """Daily picks by DM at ``time`` (HH:MM) in ``timezone`` (IANA), defaulting to current settings."""
        time = parse_time(time) if time else None
        timezone = parse_timezone(timezone) if timezone else None
        with self.store.session() as session:
            member = self.member(session, caller)
            member.subscribed = True
            if time:
                member.digest_time = time
            if timezone:
                member.timezone = timezone
            when = f"{member.digest_time} {member.timezone}"
        return Reply(f"Subscribed: your picks arrive by DM every day at {when}.")

    def unsubscribe(self, caller: Caller) -> Reply:
        with self.store.session() as session:
            member = rows.find_member(session, caller)
            was = member is not None and member.subscribed
            if member is not None:
                member.subscribed = False
        return Reply("Unsubscribed: no more daily DMs." if was else "You were not subscribed.")

    def member_remove(self, caller: Caller) -> Reply:
        """Remove the caller with their interests, subscription and 👍/👎, in one transaction; papers stay.

        :func:`bot.commands.rows.delete_target` says what goes with them.

        Returns
        -------
        Reply
            What went; ``ok`` is False, and nothing changes, when the caller was never a member.
        """
        with self.store.session(immediate=True) as session:  # a digest being composed finishes first
            member = rows.find_member(session, caller)
            if member is None:
                return Reply("You are not a member: there is nothing to remove.", ok=False)
            rated = session.scalar(select(func.count(Feedback.id)).where(Feedback.member_id == member.id)) or 0
            gone = [counted(len(member.interests or []), "interest"), counted(rated, "👍/👎", "👍/👎")]
            gone += ["the daily DM"] if member.subscribed else []
            name = member.name
            rows.delete_target(session, member)
        log.info("member removed", extra={"platform": caller.platform, "workspace": caller.workspace, "user": caller.user_ref})
        return Reply(f"Removed {name} with {', '.join(gone[:-1])} and {gone[-1]}. The papers stay.")

    # -- channels (bot.commands.channels) ---------------------------------------------------
    def channel_setup(self, caller: Caller, *, time: str | None = None, timezone: str | None = None,
                      size: int | None = None, topic: str | None = None) -> Reply:
        """Turn on (or change) the daily digest of the caller's channel (:func:`bot.commands.channels.setup`)."""
        return channels.setup(self, caller, time=time, timezone=timezone, size=size, topic=topic)

    def channel_off(self, caller: Caller) -> Reply:
        return channels.off(self, caller)

    def channel_remove(self, caller: Caller) -> Reply:
        """Delete the caller's channel with its settings and digests (:func:`bot.commands.channels.remove`).

        Raises
        ------
        UsageError
            The caller is in a direct message; nothing changes.
        """
        return channels.remove(self, caller)

    def channel_status(self, caller: Caller, history: int = 5) -> Reply:
        return channels.status(self, caller, history)

    def channel_renamed(self, platform: str, workspace: str, channel_ref: str, name: str, *,
                        event: events.EventKey | None = None) -> bool:
        """A channel renamed on its platform: the stored name follows, once per event (:func:`bot.commands.channels.renamed`)."""
        return channels.renamed(self, platform, workspace, channel_ref, name, event)

    # -- platform events done once (bot.commands.events) -----------------------------------------
    def event_handled(self, event: events.EventKey | None) -> bool:
        """Whether ``event`` was handled already (read only: a retry skips the work before its transaction)."""
        return events.handled(self, event)

    def record_event(self, event: events.EventKey | None) -> None:
        """Record ``event`` as handled before an answer that stores nothing; raises ``AlreadyHandled`` if it was."""
        events.record(self, event)

    # -- the bot and people in a workspace (bot.commands.presence) -----------------------------
    def bot_removed(self, platform: str, workspace: str) -> presence.Presence:
        """The bot was removed from ``workspace``: its channels pause (:func:`bot.commands.presence.bot_removed`)."""
        return presence.bot_removed(self, platform, workspace)

    def bot_present(self, platform: str, workspace: str) -> presence.Presence:
        """The bot is in ``workspace`` (the app installed there): what paused when it was removed resumes
        (:func:`bot.commands.presence.bot_present`)."""
        return presence.bot_present(self, platform, workspace)

    def app_removed(self, platform: str, workspace: str, *, event: events.EventKey | None = None) -> presence.Presence:
        """The app was uninstalled from ``workspace``: its channels and members pause, once per ``event``
        (:func:`bot.commands.presence.app_removed`)."""
        return presence.app_removed(self, platform, workspace, event)

    def member_left(self, platform: str, workspace: str, user_ref: str) -> bool:
        """``user_ref`` left ``workspace``: their DMs and mentions pause (:func:`bot.commands.presence.member_left`)."""
        return presence.member_left(self, platform, workspace, user_ref)

    # -- journal club (bot.commands.club) ------------------------------------------------------
    def club_set(self, caller: Caller, weekday: int, time: str) -> Reply:
        return club.set_club(self, caller, weekday, time)

    def club_off(self, caller: Caller) -> Reply:
        return club.club_off(self, caller)

    def club_status(self, caller: Caller) -> Reply:
        return club.club_status(self, caller)

    def club_vote(self, caller: Caller, choice: int) -> Reply:
        """``/papers club vote <n>``: the text fallback of the vote buttons."""
        return club.vote_number(self, caller, choice)

    def club_vote_button(self, caller: Caller, poll_id: int, paper_id: int) -> club.ClubVoteResult:
        """A vote button pressed on poll ``poll_id``; the result carries the ballot to re-render."""
        return club.vote(self, caller, poll_id, paper_id)

    def club_poll_id(self, caller: Caller) -> int | None:
        """The caller's channel's latest poll, whose message a text vote's adapter refreshes."""
        return club.open_poll_id(self, caller)

    def club_ballot(self, poll_id: int) -> club.ClubVoteResult | None:
        """Poll ``poll_id``'s ballot now, to re-render its message (:func:`bot.commands.club.current_ballot`)."""
        return club.current_ballot(self, poll_id)

    # -- library ------------------------------------------------------------------------------
    def import_library(self, caller: Caller, data: bytes, name: str, *, on_progress=None,
                       event: events.EventKey | None = None) -> Reply:
        """The caller's library export as 👍, once per ``event`` (:func:`bot.commands.library.import_library`)."""
        return library.import_library(self, caller, data, name, on_progress=on_progress, event=event)

    def import_howto(self, caller: Caller) -> Reply:
        """``/papers import`` typed as text: where the file goes on each platform."""
        return Reply(library.HOWTO)

    # -- the teammate who should read this ------------------------------------------------
    def who(self, caller: Caller, paper_ref: str) -> Reply:
        """The opted-in teammates a paper fits best, privately (:func:`bot.commands.mentions.who`)."""
        return mentions.who(self, caller, paper_ref)

    def who_fits(self, caller: Caller, paper_ref: str) -> mentions.WhoFits:
        """What :meth:`who` found, as data (``paperbot who --json``; :func:`bot.commands.mentions.who_fits`)."""
        return mentions.who_fits(self, caller, paper_ref)

    def mentions_channel(self, caller: Caller, on: bool) -> Reply:
        """This channel's digest names people under its papers, or not (:func:`bot.commands.mentions.mentions_channel`)."""
        return mentions.mentions_channel(self, caller, on)

    def mentions_me(self, caller: Caller, on: bool) -> Reply:
        """The caller's own opt-in to be named (:func:`bot.commands.mentions.mentions_me`)."""
        return mentions.mentions_me(self, caller, on)

    # -- onboarding (bot.commands.onboarding) ------------------------------------------------
    def start(self, caller: Caller) -> Reply:
        """``/papers start``: (re)start onboarding by rating; the first round goes by DM."""
        return onboarding.start(self, caller) or Reply(onboarding.NOTHING_TEXT.format(start=caller.command("start")), ok=False)

    def onboarding_rate(self, caller: Caller, paper_id: int, value: int) -> Reply:
        """An onboarding button: 👍/👎 on a paper to rate (:func:`bot.commands.onboarding.rate`)."""
        return onboarding.rate(self, caller, paper_id, value)

    def onboarding_skip(self, caller: Caller) -> Reply:
        """The onboarding skip button: the first picks now."""
        return onboarding.skip(self, caller)

    # -- feedback (bot.commands.feedback) ----------------------------------------------------
    def rate(self, caller: Caller, paper_ref: str, value: int, *, origin: str = "command") -> Reply:
        """👍 (``value=1``) or 👎 (``-1``) a paper given by arXiv id or link, DOI or #id."""
        return feedback.rate(self, caller, paper_ref, value, origin=origin)

    def unrate(self, caller: Caller, paper_ref: str) -> Reply:
        """Take back a 👍 or 👎 (:func:`bot.commands.feedback.unrate`)."""
        return feedback.unrate(self, caller, paper_ref)

    def set_feedback(self, session: Session, caller: Caller, paper_id: int, value: int, origin: str, channel_id: int | None) -> None:
        feedback.set_feedback(self, session, caller, paper_id, value, origin, channel_id)

    def feedback(self, caller: Caller, paper_id: int, value: int, *, origin: str = "button", delivery_id: int | None = None) -> Reply:
        """👍/👎 by button on a paper the bot showed (:func:`bot.commands.feedback.feedback`)."""
        return feedback.feedback(self, caller, paper_id, value, origin=origin, delivery_id=delivery_id)

    def reaction(self, caller: Caller, message_ref: str, value: int, *, added: bool,
                 event: events.EventKey | None = None) -> bool:
        """A 👍/👎 reaction on a bot message carrying a paper, once per ``event``; whether it counted
        (:func:`bot.commands.feedback.reaction`)."""
        return feedback.reaction(self, caller, message_ref, value, added=added, event=event)

    def digest_header(self, caller: Caller, message_ref: str) -> bool:
        """Whether a reacted message is a channel digest's header, which names no paper (:func:`bot.commands.feedback.digest_header`)."""
        return feedback.digest_header(self, caller, message_ref)

    def dm_reaction(self, caller: Caller, message_ref: str, value: int, *, added: bool) -> bool:
        """A reaction in a DM, where the platform names no workspace (:func:`bot.commands.feedback.dm_reaction`)."""
        return feedback.dm_reaction(self, caller, message_ref, value, added=added)


def usage_reply(error: UsageError, command: str | None = None) -> Reply:
    """The private answer to malformed input: what is wrong, then the usage (of ``command`` alone, when it is one)."""
    return Reply(str(error), usage=command or True, ok=False, notice=error.notice)

