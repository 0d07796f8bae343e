"""``/papers import``: a person's library export (BibTeX, RIS, CSL-JSON) becomes their 👍.

Every adapter hands over the file's bytes (a Slack upload fetched with the bot
token, a Discord attachment, a path on the CLI); this module parses, stores in
one transaction and answers. A malformed file answers with the entry and line
that failed and stores nothing of it; a file that is not text in one of the
formats (a PDF, a spreadsheet, notes) is told so, as there is no entry to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.commands import events
from bot.commands.caller import Caller
from bot.commands.reply import Reply
from bot.digest import counted
from bot.platforms import CLI_PLATFORM
from recommender.imports import LibraryEntry, detect_format, parse_library, store_library
from recommender.sources.records import ParseError
from recommender.text.vectors import embed_missing

if TYPE_CHECKING:
    from bot.commands.handlers import Commands

log = logging.getLogger(__name__)

#: Largest library file accepted (bytes); 5,000 BibTeX entries take about 2 MB.
MAX_LIBRARY_BYTES = 20 * 1024 * 1024

#: Papers without a vector embedded right after an import (about 20 s on two cores); the rest are embedded
#: by the scheduler's embedding job at its next source run, or by the next `paperbot ingest`.
IMPORT_EMBED_LIMIT = 1000

#: The formats a library file may be in, as an answer names them.
FORMATS_NAMED = "BibTeX (.bib), RIS (.ris) or CSL-JSON (.json)"

#: The answer to ``/papers import`` typed without a file.
HOWTO = ("Export your library from Zotero, Mendeley or any reference manager as BibTeX (.bib), RIS (.ris) "
         "or CSL-JSON, then upload the file in a direct message with me (Slack), attach it to "
         "`/papers import` (Discord) or run `paperbot import <you> <file>`. Each paper becomes your 👍.")


def _embed_imported(cmds: Commands, paper_ids: list[int], on_progress: Callable[[int, int], None] | None) -> None:
    """Embed up to :data:`IMPORT_EMBED_LIMIT` of the imported papers that have no vector, as ingest embeds what it stores.

    The import is committed already: a failure is logged, not answered, and the papers left are embedded
    by the scheduler's embedding job at its next source run, or by the next ``paperbot ingest``.
    """
    embedder = cmds.recommender.embedder
    if embedder is None or not paper_ids:
        return
    try:
        embed_missing(cmds.store, embedder, paper_ids=paper_ids, limit=IMPORT_EMBED_LIMIT, progress=on_progress)
    except Exception as exc:  # the import stands; the vectors come later
        log.warning("embedding imported papers failed", extra={"papers": len(paper_ids), "model": embedder.name,
                                                               "error": f"{type(exc).__name__}: {exc}"})


def import_library(
    cmds: Commands, caller: Caller, data: bytes, name: str,
    *, on_progress: Callable[[int, int], None] | None = None, event: events.EventKey | None = None,
) -> Reply:
    """Import ``data`` (the file called ``name``) as the caller's library; one transaction.

    With an embedder, the imported papers left without a vector are then embedded (up to
    :data:`IMPORT_EMBED_LIMIT`, in transactions of their own), so searches and picks read them by
    meaning at once. ``on_progress(done, total)`` is called while the 👍 are written, then while those
    papers are embedded.

    ``event``, the platform's event that brought the file, is recorded in the import's transaction, or alone
    before an answer that stores nothing (:mod:`bot.commands.events`): each event is imported and answered once.

    Returns
    -------
    Reply
        Counts of entries, papers found, papers new to the store and 👍 recorded;
        ``ok`` is False (nothing stored) when the file is too large or does not parse,
        with the failing entry and its line, or saying the file is not text or not one of the formats.

    Raises
    ------
    bot.commands.events.AlreadyHandled
        ``event`` was handled before: nothing is imported, nothing is to be answered.
    """
    entries = _entries_or_refusal(caller, data, name)
    if isinstance(entries, Reply):  # nothing to store: the answer alone is the event's effect
        events.record(cmds, event)
        return entries
    with cmds.store.session(immediate=True) as session:
        events.claim(session, event, cmds.clock())
        member = cmds.member(session, caller)
        result = store_library(session, member.id, entries, on_progress=on_progress)
    _embed_imported(cmds, result.paper_ids, on_progress)
    kept = (f" {counted(result.kept, 'paper')} you had already rated {'was' if result.kept == 1 else 'were'} left "
            f"as {'it was' if result.kept == 1 else 'they were'}." if result.kept else "")
    repeats = result.entries - len(result.paper_ids)  # entries of a paper listed before in the file (one 👍 each paper)
    twice = (f", and {counted(repeats, 'entry', 'entries')} listing a paper listed before" if repeats else "")
    return Reply(
        f"Imported {counted(result.entries, 'entry', 'entries')} from `{name}`: "
        f"{counted(result.matched, 'paper')} already known, "
        f"{result.new} new to paperbot (never posted as news){twice}; {result.liked} 👍 recorded.{kept}"
        + (" Your next picks use them." if result.liked else "") + _unread_dates(entries, name)
    )


#: How many entries with an unreadable date an import's answer names; it counts the rest.
UNREAD_DATES_NAMED = 5


def _unread_dates(entries: list[LibraryEntry], name: str) -> str:
    """The answer's note on entries whose date could not be read (``year = {20x1}``), each by its line, or ""."""
    unread = [e for e in entries if e.unread_date is not None]
    if not unread:
        return ""
    named = ", ".join(f"`{name}:{e.record.line}` ({(e.unread_date or '')[:40]})" for e in unread[:UNREAD_DATES_NAMED])
    more = f" and {len(unread) - UNREAD_DATES_NAMED} more" if len(unread) > UNREAD_DATES_NAMED else ""
    by_id = " (an arXiv id dates its paper by its month)" if any(e.record.arxiv_id for e in unread) else ""
    return (f" {counted(len(unread), 'entry', 'entries')} had a date that could not be read and "
            f"{'was' if len(unread) == 1 else 'were'} imported undated{by_id}: {named}{more}.")


def _entries_or_refusal(caller: Caller, data: bytes, name: str) -> list[LibraryEntry] | Reply:
    """The file's entries, or the answer refusing it (too large, not text, no library, an entry that fails)."""
    if len(data) > MAX_LIBRARY_BYTES:
        return Reply(f"`{name}` is {len(data) // 1_000_000} MB; a library file is at most "
                     f"{MAX_LIBRARY_BYTES // 1_000_000} MB.", ok=False)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # no entry to name: the file is not text (a PDF, a spreadsheet)
        return Reply(f"Nothing imported: `{name}` is not a text file in a supported format: {FORMATS_NAMED}.", ok=False)
    try:
        detect_format(text, name)
    except ParseError as exc:  # text, but none of the formats (notes): say what a library has
        return Reply(f"Nothing imported: {exc}.", ok=False)
    try:
        entries = parse_library(text, name)
    except ParseError as exc:
        again = f"run {caller.command('import')} again" if caller.platform == CLI_PLATFORM else "upload the file again"
        return Reply(f"Nothing imported: {exc}. Fix that entry and {again}.", ok=False)
    if not entries:
        return Reply(f"`{name}` holds no entries: nothing imported.", ok=False)
    return entries
