"""A person's library into the store: each entry matched to a stored paper (or stored, not as news) and 👍'd.

Matching follows the store's keys, in order: DOI (its ASCII letters case-insensitive, as DOIs are, alike on
SQLite and PostgreSQL: :func:`recommender.sources.records.doi_key`), then the
digest rule of :func:`recommender.ingest.resolve_records` (arXiv id, then
normalised title). A paper not stored yet is stored with ``is_news=False``, so no
digest ever posts it as new. Every matched or new paper is merged with its entry as a digest's
would be (:func:`recommender.merge.merge_record`: an empty abstract or link filled, a longer
abstract or author list kept) and dated by the export as far as it goes, with that precision
(``2019`` for a year alone, :mod:`recommender.dates`), so ``search --since`` finds it and it is
not shown undated: a paper with no date gets the export's; a stored date is replaced only by a more
precise one (a day over a year alone), never by a less precise one. Each entry becomes a 👍 (``Feedback.value == 1``,
``origin == "import"``) dated when the paper was added to the library, else when
it was published, so recency decay treats an old library as old, and carries the entry's citation key
(``Feedback.citation_key``), which an export writes back. An opinion the person already gave on a paper is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from recommender.imports.formats import LibraryEntry
from recommender.ingest import LOOKUP_CHUNK, IngestResult, insert_new_papers, resolve_records
from recommender.merge import merge_record
from recommender.sources.records import doi_key
from recommender.store import Feedback, Paper
from recommender.store.dialects import dialect_insert, doi_key_sql, lock_paper_writes
from recommender.store.models import utcnow
from recommender.text.embeddings import embedding_text
from recommender.text.vectors import forget_changed_embeddings

__all__ = ["IMPORT_ORIGIN", "ImportResult", "store_library"]

#: ``Feedback.origin`` of a 👍 that came from an imported library.
IMPORT_ORIGIN = "import"
#: ``Paper.source_kind`` of a paper first stored by a library import.
LIBRARY_KIND = "library"


@dataclass
class ImportResult:
    """What one library import did.

    ``entries`` counts the file's entries, ``matched`` the stored papers they were found as (each once: an
    entry listed twice is one paper), ``new`` the papers stored for the first time (not news), ``liked`` the
    👍 recorded, ``kept`` the papers the person had already rated (left as they were);
    ``paper_ids`` the ids of the file's papers, each once, ascending.
    """

    entries: int = 0
    matched: int = 0
    new: int = 0
    liked: int = 0
    kept: int = 0
    paper_ids: list[int] = field(default_factory=list)


def _by_doi(session: Session, entries: list[LibraryEntry]) -> dict[int, int]:
    """Entry index -> stored paper id, for entries whose DOI a stored paper has (one ``IN`` query per chunk).

    An entry whose arXiv id a stored paper has is matched by that id instead (:func:`resolve_records`); one
    whose arXiv id nothing stored has still matches by its DOI (a journal paper stored before its preprint).
    """
    wanted: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        if e.record.doi:
            wanted.setdefault(doi_key(e.record.doi), []).append(i)
    found: dict[int, int] = {}
    keys = sorted(wanted)
    key = doi_key_sql(session)  # the same comparison on SQLite and PostgreSQL, through an index
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start:start + LOOKUP_CHUNK]
        rows = session.execute(select(key, func.min(Paper.id)).where(key.in_(chunk)).group_by(key))
        for doi, paper_id in rows:
            for i in wanted[doi]:
                found[i] = paper_id
    ids = sorted({a for a in (entries[i].record.arxiv_id for i in found) if a})
    stored: set[str] = set()
    for start in range(0, len(ids), LOOKUP_CHUNK):
        stored.update(session.scalars(select(Paper.arxiv_id).where(Paper.arxiv_id.in_(ids[start:start + LOOKUP_CHUNK]))))
    return {i: pid for i, pid in found.items() if entries[i].record.arxiv_id not in stored}


def _merge_by_doi(session: Session, entries: list[LibraryEntry], doi_ids: dict[int, int], counts: IngestResult) -> None:
    """Merge each DOI-matched entry into its stored paper (date, abstract, link), as a match by id or title is."""
    ids = sorted(set(doi_ids.values()))
    papers: dict[int, Paper] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        papers.update((p.id, p) for p in session.scalars(select(Paper).where(Paper.id.in_(ids[start:start + LOOKUP_CHUNK]))))
    merged: set[int] = set()
    given: set[str] = set()  # arXiv ids a paper learned here: one paper each (the column is unique)
    texts: dict[int, str] = {}  # a changed paper's text before the merge
    for i, paper_id in sorted(doi_ids.items()):
        paper = papers[paper_id]
        if paper_id not in merged:  # a paper listed twice: its first entry
            text = embedding_text(paper.title, paper.abstract)
            record = entries[i].record
            if record.arxiv_id and not paper.arxiv_id:
                record = record if record.arxiv_id not in given else replace(record, arxiv_id=None)
                given.add(record.arxiv_id or "")
            if merge_record(paper, record):
                counts.updated += 1
                texts[paper_id] = text
        merged.add(paper_id)
    session.flush()  # the SQL set dates are read back if a later entry matches the same paper by id or title
    forget_changed_embeddings(session, texts)  # a new date, link or DOI keeps the vector


def _liked_at(entry: LibraryEntry, now: dt.datetime) -> dt.datetime:
    when = entry.liked_at
    if when is None:
        return now
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    return min(when, now)


def store_library(
    session: Session, member_id: int, entries: list[LibraryEntry],
    *, on_progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Match or store every entry's paper and record the member's 👍 on it, in the caller's transaction.

    On PostgreSQL the paper-writes lock (:func:`recommender.store.dialects.lock_paper_writes`) is taken
    first, before any paper's row is locked, as ingests take it: an import and an ingest (or two imports)
    over the same papers wait for each other instead of deadlocking.

    Parameters
    ----------
    session : Session
        An open transaction (the caller commits it, or rolls all of it back).
    member_id : int
        ``Member.id`` of the person whose library it is.
    entries : list of LibraryEntry
        From :func:`recommender.imports.formats.parse_library`.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` while the 👍 are written (per :data:`LOOKUP_CHUNK` entries).

    Returns
    -------
    ImportResult
    """
    lock_paper_writes(session)  # before the DOI merges' row locks: a paper writer holding it never waits on ours
    result = ImportResult(entries=len(entries))
    doi_ids = _by_doi(session, entries)
    rest = [i for i in range(len(entries)) if i not in doi_ids]
    counts = IngestResult(source="library")
    _merge_by_doi(session, entries, doi_ids, counts)
    papers, new = resolve_records(session, [entries[i].record for i in rest], LIBRARY_KIND, counts)
    for paper, _ in new:
        paper.is_news = False
    session.flush()
    insert_new_papers(session, new, counts)
    result.new = counts.new
    paper_of = dict(doi_ids)
    paper_of.update({i: p.id for i, p in zip(rest, papers, strict=False) if p.id is not None})

    now = utcnow()
    earliest: dict[int, dt.datetime] = {}
    keys: dict[int, str] = {}  # a paper's citation key: its first entry's that has one
    for i, entry in enumerate(entries):  # a paper listed twice is 👍'd once, from its earliest date
        when = _liked_at(entry, now)
        pid = paper_of[i]
        earliest[pid] = min(earliest.get(pid, when), when)
        if entry.key:
            keys.setdefault(pid, entry.key)
    rated: set[int] = set()
    ids = result.paper_ids = sorted(earliest)
    result.matched = len(ids) - result.new  # papers, each once: an entry listed twice is one paper
    for start in range(0, len(ids), LOOKUP_CHUNK):
        rated.update(session.scalars(select(Feedback.paper_id).where(
            Feedback.member_id == member_id, Feedback.paper_id.in_(ids[start:start + LOOKUP_CHUNK]))))
    rows = [{"member_id": member_id, "paper_id": pid, "channel_id": None, "value": 1, "origin": IMPORT_ORIGIN,
             "created_at": when, "citation_key": keys.get(pid)} for pid, when in earliest.items() if pid not in rated]
    for pid in sorted(rated & keys.keys()):  # a 👍 given before (in chat, or by an import before keys were kept)
        session.execute(update(Feedback).where(Feedback.member_id == member_id, Feedback.paper_id == pid,
                                               Feedback.citation_key.is_(None)).values(citation_key=keys[pid]))
    stmt = dialect_insert(session, Feedback.__table__).on_conflict_do_nothing()
    for start in range(0, len(rows), LOOKUP_CHUNK):
        session.connection().execute(stmt, rows[start:start + LOOKUP_CHUNK])
        if on_progress is not None:
            on_progress(min(start + LOOKUP_CHUNK, len(rows)), len(rows))
    result.liked, result.kept = len(rows), len(rated)
    return result
