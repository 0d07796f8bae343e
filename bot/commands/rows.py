"""The rows a command works on: members, channels, papers and the bot's posted messages.

Each function takes an open session (the caller's transaction) and creates a
member or channel on first use, safely when two requests do so at once, or
deletes one with everything that is theirs (:func:`delete_target`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.club import CLOSE, POLL
from bot.commands.caller import Caller
from bot.commands.parse import UsageError, half_width, shown
from bot.commands.presence import resume_caller
from recommender.pick import Pick
from recommender.sources.records import doi_key, normalize_arxiv_id, normalize_doi
from recommender.store import Channel, Delivery, DeliveryItem, Feedback, Member, Paper
from recommender.store.dialects import doi_key_sql


def insert_or_get(session: Session, row, query):
    """Insert ``row``; when a concurrent request inserted the same unique row first, return that one.

    The row is part of the caller's transaction (on SQLite too: see :func:`recommender.store.db.make_engine`).
    """
    try:
        with session.begin_nested():
            session.add(row)
        return row
    except IntegrityError:
        return session.scalar(query)


def _member_query(caller: Caller):
    return select(Member).where(
        Member.platform == caller.platform, Member.workspace == caller.workspace, Member.user_ref == caller.user_ref
    )


def find_member(session: Session, caller: Caller, *, lock: bool = False) -> Member | None:
    """The caller's member row, or None when they never used paperbot (nothing is created); ``lock``: as
    :func:`member_row`'s."""
    return session.scalar(_member_query(caller).with_for_update() if lock else _member_query(caller))


def member_row(session: Session, caller: Caller, defaults: dict, *, lock: bool = False) -> Member:
    """The caller's member row, created with ``defaults`` (time, timezone, size) on first use; a pause lifted when
    the caller acts from a channel of its workspace (:func:`bot.commands.presence.resume_caller`).

    ``lock``: read it ``FOR UPDATE`` (PostgreSQL), so a read-modify-write of its interests waits for another
    one under way instead of overwriting it; on SQLite open the session with ``immediate=True`` instead.
    """
    query = _member_query(caller).with_for_update() if lock else _member_query(caller)
    row = session.scalar(query)
    if row is not None:
        if caller.display_name and row.display_name != caller.display_name:
            row.display_name = caller.display_name
        resume_caller(session, row, caller)  # paused when they left the server: they are back
        return row
    row = Member(platform=caller.platform, workspace=caller.workspace, user_ref=caller.user_ref,
                 display_name=caller.display_name, interests=[], **defaults)
    return insert_or_get(session, row, query)


def channel_row(session: Session, caller: Caller, defaults: dict | None = None) -> Channel | None:
    """The caller's channel row; created with ``defaults`` when given and missing.

    Raises
    ------
    UsageError
        The caller is in a direct message.
    """
    if caller.channel_ref is None:
        raise UsageError("this command works in a channel, not in a direct message")
    query = select(Channel).where(
        Channel.platform == caller.platform, Channel.workspace == caller.workspace, Channel.channel_ref == caller.channel_ref
    )
    row = session.scalar(query)
    if row is None and defaults is not None:
        row = Channel(platform=caller.platform, workspace=caller.workspace, channel_ref=caller.channel_ref,
                      name=caller.channel_name, topic="", enabled=True, **defaults)
        row = insert_or_get(session, row, query)
    return row


def delete_target(session: Session, row: Member | Channel) -> None:
    """Delete a member or a channel and every row that is theirs, in the caller's transaction; papers stay.

    What points to the row by a foreign key goes by the schema's ``ON DELETE``: a member's
    👍/👎, mentions, journal club votes and onboarding; a channel's change log (the 👍/👎
    given in a channel stay their givers', no longer tied to it). Deliveries name their
    target by kind and id, with no foreign key, so they are deleted here, and their items,
    mentions and votes with them: a member's DM digests; a channel's digests, club polls and
    closes. A target added later must not inherit them, and SQLite gives the id of the
    latest row deleted to the next row inserted.
    """
    kinds = ("channel", POLL, CLOSE) if isinstance(row, Channel) else ("member",)
    session.execute(delete(Delivery).where(Delivery.target_kind.in_(kinds), Delivery.target_id == row.id))
    session.delete(row)
    session.flush()


#: The largest paper id: ``papers.id`` is a 32-bit integer column (PostgreSQL ``integer``).
MAX_PAPER_ID = 2**31 - 1
#: A paper's ``#<id>`` as shown under it: ASCII digits only (``#²`` and ``#٣`` are no id).
_PAPER_ID = re.compile(r"#([0-9]+)")


def paper_id(ref: str) -> int | None:
    """The number of a ``#<id>`` reference (``"#12"`` -> 12), else None; an id beyond :data:`MAX_PAPER_ID`
    is 0, which no paper has (the database would refuse to look it up)."""
    match = _PAPER_ID.fullmatch(ref.strip())
    if match is None:
        return None
    number = int(match.group(1)) if len(match.group(1)) <= 10 else 0  # int() refuses over 4,300 digits
    return number if number <= MAX_PAPER_ID else 0


#: What may wrap a paper reference typed in a sentence: quotes, brackets, and punctuation after it.
_AROUND = " \t\"'“”‘’«»`()[]{}<>"
_AFTER = ".,;:!?"


def reference(text: str) -> str:
    """A paper reference as typed, unwrapped: ``"(#1)."`` -> ``"#1"``; a Slack link ``<url|label>`` -> its url;
    full-width forms as ASCII (``＃２４`` -> ``#24``, :func:`~bot.commands.parse.half_width`)."""
    ref = half_width(text).strip()
    if ref.startswith("<") and "|" in ref:
        ref = ref[1:].split("|", 1)[0]
    while True:
        unwrapped = ref.strip(_AROUND).rstrip(_AFTER)
        if unwrapped == ref:
            return ref
        ref = unwrapped


def find_paper(session: Session, ref: str) -> Paper | None:
    """A stored paper by arXiv id or link (any version), DOI (``10.1038/…``, ``doi:``, a doi.org link; the first
    stored), or ``#<id>`` as shown under a paper; quotes, brackets and punctuation around it are dropped
    (:func:`reference`)."""
    ref = reference(ref)
    number = paper_id(ref)
    if number is not None:
        return session.get(Paper, number) if number else None
    arxiv_id = normalize_arxiv_id(ref)
    if arxiv_id:
        return session.scalar(select(Paper).where(Paper.arxiv_id == arxiv_id))
    doi = normalize_doi(ref)
    if doi:
        key = doi_key_sql(session)  # DOIs differ in ASCII case only: the comparison the library import makes
        return session.scalar(select(Paper).where(key == doi_key(doi)).order_by(Paper.id).limit(1))
    return None


def stored_picks(session: Session, paper_ids: Sequence[int]) -> list[Pick]:
    """The stored papers of ``paper_ids`` as plain picks (:class:`~recommender.pick.Pick`: no reason, no mark),
    in that order, read in one query; ids of papers no longer stored are left out."""
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(paper_ids)))} if paper_ids else {}
    return [Pick.from_paper(papers[i]) for i in paper_ids if i in papers]


def mark_rated(session: Session, member: Member, picks: Sequence[Pick]) -> list[Pick]:
    """``picks`` with :attr:`~recommender.pick.Pick.disliked` set on those ``member`` gave 👎 and
    :attr:`~recommender.pick.Pick.liked` on those they gave 👍, in the same order.

    Search still finds a paper its asker rated (they may look for it by name); every adapter then says so.
    """
    ids = [p.paper_id for p in picks]
    found = session.execute(select(Feedback.paper_id, Feedback.value).where(
        Feedback.member_id == member.id, Feedback.paper_id.in_(ids))) if ids else ()
    rated = {paper: value for paper, value in found}
    return [replace(p, disliked=rated[p.paper_id] < 0, liked=rated[p.paper_id] > 0)
            if p.paper_id in rated else p for p in picks]


def no_such_paper(ref: str, caller: Caller | None = None) -> str:
    """Why :func:`find_paper` found nothing for ``ref``: no stored paper has that id, or ``ref`` is not a paper's id
    (then, for a ``caller``, the search that finds papers by words such as ``ref``'s: a trial typed `who grokking`)."""
    ref = reference(ref) or ref.strip()
    if paper_id(ref) is not None:
        return f"no stored paper is {shown(ref)}: the #id is the one shown beside a paper; an arXiv id or link works too"
    if re.fullmatch(r"[0-9]+", ref):  # "like 2" after a list: its 2nd paper, or paper #2? (the CLI reads #2)
        return (f"`{shown(ref)}` alone is no paper: write the #id shown beside a paper (`#{shown(ref)}`), not its "
                "place in a list; an arXiv id or link works too")
    arxiv_id = normalize_arxiv_id(ref)
    if arxiv_id:
        return f"no stored paper has the arXiv id {arxiv_id} (papers are stored as digests list them)"
    doi = normalize_doi(ref)
    if doi:
        return (f"no stored paper has the DOI {shown(doi)} (papers are stored as digests and imported libraries "
                "list them; an arXiv id or the #id shown with a paper works too)")
    search = f"; {caller.command('search', shown(ref))} finds papers by their words" if caller and re.search(r"[^\W\d_]", ref) else ""
    return (f"no stored paper `{shown(ref)}`: give an arXiv id (2401.01234), an arXiv link, a DOI, or the #id shown with "
            f"a paper (#12){search}")


def posted_items(session: Session, platform: str, message_ref: str) -> list[DeliveryItem]:
    """The delivered papers a bot message on ``platform`` carries (normally one)."""
    return list(session.scalars(
        select(DeliveryItem).where(DeliveryItem.platform == platform, DeliveryItem.message_ref == message_ref)
    ))


def target_of(session: Session, delivery: Delivery) -> Channel | Member | None:
    """The channel or member a delivery went to."""
    return session.get(Channel if delivery.target_kind == "channel" else Member, delivery.target_id)
