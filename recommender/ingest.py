"""Ingest digests into the store: parse, deduplicate, store once.

Each input (file or URL) is handled in its own transaction: a digest that fails
to parse stores nothing, and the other inputs of the same call still go in.
"""

from __future__ import annotations

__all__ = [
    "DIGEST_SUFFIXES",
    "IngestResult",
    "Inputs",
    "Skipped",
    "expand_inputs",
    "ingest",
    "ingest_bytes",
    "insert_new_papers",
    "merge_record",
    "read_input",
    "resolve_records",
    "store_digest",
]

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random

from recommender.inputs import DIGEST_SUFFIXES, Inputs, Skipped, expand_inputs, read_input
from recommender.limits import check_records
from recommender.merge import merge_record
from recommender.sources.records import DigestRecord, PaperRecord, ParseError, title_key
from recommender.store import Digest, DigestEntry, Paper, Store
from recommender.store.dialects import dialect_insert, lock_paper_writes
from recommender.store.models import utcnow
from recommender.text.embeddings import embedding_text
from recommender.text.vectors import forget_changed_embeddings


@dataclass
class IngestResult:
    """Outcome of ingesting one input.

    ``entries`` counts the digest's cards, ``new`` the papers stored for the
    first time, ``known`` the entries whose paper was already stored (including
    repeats within the digest, and papers a racing process stored first),
    ``updated`` known papers whose text changed (an arXiv replacement, an arXiv
    id learned for a title-only paper, a longer abstract or author list).
    """

    source: str
    kind: str | None = None
    entries: int = 0
    new: int = 0
    known: int = 0
    updated: int = 0
    duplicate_digest: bool = False
    error: str | None = None
    new_paper_ids: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def empty(self) -> bool:
        """The digest parsed and listed no papers at all (not "nothing new")."""
        return self.ok and self.entries == 0


LOOKUP_CHUNK = 5000
"""Keys per ``IN (...)`` lookup and rows per bulk insert (under SQLite's and PostgreSQL's bind-parameter limits)."""


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start:start + LOOKUP_CHUNK]


class _Known:
    """The stored papers a digest can match, loaded with one query per key kind, plus the digest's new papers.

    Lookups follow the dedup rule: a record with an arXiv id matches that id, else
    a paper of the same title that has no arXiv id yet (merged); a record without
    one matches any paper of the same title (the lowest id).
    """

    def __init__(self, session: Session, records: list[PaperRecord], keys: list[str]):
        self.by_arxiv: dict[str, Paper | NewPaper] = {}
        self.by_title: dict[str, Paper | NewPaper] = {}
        self.title_only: dict[str, Paper | NewPaper] = {}
        ids = sorted({r.arxiv_id for r in records if r.arxiv_id})
        for chunk in _chunks(ids):
            for paper in session.scalars(select(Paper).where(Paper.arxiv_id.in_(chunk))):
                self.by_arxiv[paper.arxiv_id or ""] = paper
        for chunk in _chunks(sorted(set(keys))):
            for paper in session.scalars(select(Paper).where(Paper.title_key.in_(chunk)).order_by(Paper.id)):
                self.add(paper)

    def add(self, paper: Paper | NewPaper) -> None:
        """Make ``paper`` findable (a new paper, or a stored one that just learned its arXiv id)."""
        if paper.arxiv_id:
            self.by_arxiv[paper.arxiv_id] = paper
            if self.title_only.get(paper.title_key) is paper:
                del self.title_only[paper.title_key]
        else:
            self.title_only.setdefault(paper.title_key, paper)
        self.by_title.setdefault(paper.title_key, paper)  # the lowest id: loaded in id order, new papers come last

    def find(self, record: PaperRecord, key: str) -> Paper | NewPaper | None:
        if record.arxiv_id:
            return self.by_arxiv.get(record.arxiv_id) or self.title_only.get(key)
        return self.by_title.get(key)


_PAPER_COLUMNS = ("arxiv_id", "title_key", "title", "abstract", "authors", "published", "published_precision", "url",
                  "doi", "venue", "entry_type", "pages", "more_authors", "source_kind", "is_news", "first_seen", "updated_at")


@dataclass
class NewPaper:
    """A paper first seen in this digest: the column values of its row, bulk-inserted (``id`` set once inserted)."""

    arxiv_id: str | None
    title_key: str
    title: str
    abstract: str
    authors: list[str]
    published: dt.date | None
    published_precision: str | None
    url: str | None
    doi: str | None
    venue: str | None
    entry_type: str | None
    pages: str | None
    more_authors: bool
    source_kind: str
    is_news: bool
    first_seen: dt.datetime
    updated_at: dt.datetime
    id: int | None = None

    def row(self) -> dict:
        return {name: getattr(self, name) for name in _PAPER_COLUMNS}


def _new_paper(record: PaperRecord, key: str, kind: str, now: dt.datetime) -> NewPaper:
    return NewPaper(
        arxiv_id=record.arxiv_id,
        title_key=key,
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        published=record.published,
        published_precision=record.published_precision if record.published else None,
        url=record.url,
        doi=record.doi,
        venue=record.venue,
        entry_type=record.entry_type,
        pages=record.pages,
        more_authors=record.more_authors,
        source_kind=kind,
        is_news=not record.is_replacement,
        first_seen=now,
        updated_at=now,
    )


def insert_new_papers(session: Session, new: list[tuple[NewPaper, PaperRecord]], result: IngestResult) -> None:
    """Bulk-insert new papers (``ON CONFLICT DO NOTHING``); a paper another process stored meanwhile is merged instead.

    Such a raced paper may already have its sentence vector (the other writer embedded it): it keeps it
    unless the merge changed its title or abstract
    (:func:`~recommender.text.vectors.forget_changed_embeddings`), as in :func:`resolve_records`.
    """
    table = Paper.__table__
    stmt = dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id, table.c.arxiv_id, table.c.title_key)
    texts: dict[int, str] = {}  # a raced paper merged into -> its text before our first merge into it
    for chunk in _chunks(new):
        rows = session.connection().execute(stmt, [p.row() for p, _ in chunk]).all()
        ids = {(row.arxiv_id or "", row.title_key if row.arxiv_id is None else ""): row.id for row in rows}
        for paper, record in chunk:
            paper.id = ids.get((paper.arxiv_id or "", paper.title_key if paper.arxiv_id is None else ""))
            if paper.id is None:  # stored by a racing ingest since our lookup: known, not new
                raced = _Known(session, [record], [paper.title_key]).find(record, paper.title_key)
                if raced is None:
                    raise RuntimeError(f"paper {paper.arxiv_id or paper.title!r} conflicted but cannot be found")
                if isinstance(raced, Paper) and raced.id not in texts:
                    texts[raced.id] = embedding_text(raced.title, raced.abstract)
                if merge_record(raced, record):
                    result.updated += 1  # as resolve_records counts a merge that changed a stored paper
                paper.id = raced.id
                result.new -= 1
                result.known += 1
        inserted = set(ids.values())
        result.new_paper_ids += [p.id for p, _ in chunk if p.id in inserted]
    forget_changed_embeddings(session, texts)  # a DOI, link or date learned keeps the vector


def _claim_digest(session: Session, digest: DigestRecord, source: str, content_hash: str) -> int | None:
    """Insert the digest row; None when a digest with the same content is already stored (maybe just now, by another process)."""
    table = Digest.__table__
    stmt = (
        dialect_insert(session, table)
        .values(kind=digest.kind, source=source, content_hash=content_hash, digest_date=digest.date,
                fetched_at=utcnow(), n_entries=len(digest.papers), n_new=0)
        .on_conflict_do_nothing(index_elements=["content_hash"])
        .returning(table.c.id)
    )
    return session.connection().execute(stmt).scalar()


def _already_stored(source: str, previous: Digest) -> IngestResult:
    return IngestResult(
        source=source, kind=previous.kind, entries=previous.n_entries, known=previous.n_entries, duplicate_digest=True
    )


def resolve_records(
    session: Session, records: list[PaperRecord], kind: str, result: IngestResult
) -> tuple[list[Paper | NewPaper], list[tuple[NewPaper, PaperRecord]]]:
    """Each record's paper (stored, merged, or new), in digest order, and the new papers to insert; counts into ``result``.

    The merges are flushed; a stored paper whose title or abstract they changed loses its vector
    (:func:`~recommender.text.vectors.forget_changed_embeddings`), one that only got a date, link or DOI keeps it.
    On PostgreSQL the transaction first takes the paper-writes lock
    (:func:`recommender.store.dialects.lock_paper_writes`), held until it commits: racing ingests
    decide and write their papers one after the other, so a paper is stored once.
    """
    lock_paper_writes(session)
    keys = [title_key(r.title) for r in records]
    known = _Known(session, records, keys)
    now = utcnow()
    seen: dict[str, Paper | NewPaper] = {}
    new: list[tuple[NewPaper, PaperRecord]] = []
    targets: list[Paper | NewPaper] = []
    texts: dict[int, str] = {}  # stored paper id -> its text before this digest's first merge into it
    merged: set[int] = set()
    for record, key in zip(records, keys, strict=False):
        title = f"title:{key}"
        own = f"arxiv:{record.arxiv_id}" if record.arxiv_id else title
        paper = seen.get(own)
        if paper is None:
            paper = known.find(record, key)
            if paper is None:
                paper = _new_paper(record, key, kind, now)
                new.append((paper, record))
                result.new += 1
            else:
                result.known += 1
                if isinstance(paper, Paper) and paper.id not in texts:
                    texts[paper.id] = embedding_text(paper.title, paper.abstract)
                if merge_record(paper, record) and isinstance(paper, Paper):
                    result.updated += 1
                    merged.add(paper.id)
            known.add(paper)
            seen[own] = seen[title] = paper
        else:
            result.known += 1
        targets.append(paper)
    forget_changed_embeddings(session, {pid: texts[pid] for pid in merged})  # a new date or DOI keeps the vector
    return targets, new


def store_digest(
    session: Session, digest: DigestRecord, source: str, content_hash: str,
    *, on_papers: Callable[[int, int], None] | None = None,
) -> IngestResult:
    """Store one parsed digest in ``session`` (the caller owns the transaction).

    Set-based: one ``IN`` query per key kind finds the stored papers (per
    :data:`LOOKUP_CHUNK` keys), new papers and digest entries are bulk-inserted.
    Papers are deduplicated by arXiv id, else by title key, both unique in the
    database; a paper or digest another process stored meanwhile counts as known.

    Parameters
    ----------
    on_papers : callable, optional
        Called as ``on_papers(done, total)`` while the digest's entries are stored.
    """
    result = IngestResult(source=source, kind=digest.kind, entries=len(digest.papers), warnings=list(digest.warnings))
    digest_id = _claim_digest(session, digest, source, content_hash)
    if digest_id is None:
        return _already_stored(source, session.scalars(select(Digest).where(Digest.content_hash == content_hash)).one())
    records = digest.papers
    targets, new = resolve_records(session, records, digest.kind, result)
    session.flush()  # merges into stored papers, before inserting (their arXiv ids may be what a new row conflicts with)
    insert_new_papers(session, new, result)
    entry_stmt = dialect_insert(session, DigestEntry.__table__)
    done = 0
    for chunk in _chunks(list(zip(targets, records, strict=False))):
        session.connection().execute(entry_stmt, [
            {"digest_id": digest_id, "position": done + i, "paper_id": paper.id, "upvotes": record.upvotes}
            for i, (paper, record) in enumerate(chunk)
        ])
        done += len(chunk)
        if on_papers is not None:
            on_papers(done, len(targets))
    session.execute(update(Digest).where(Digest.id == digest_id).values(n_new=result.new))
    return result


_RETRYABLE = (IntegrityError, OperationalError)


def _retryable(exc: BaseException) -> bool:
    """A deadlock, serialization failure or unique violation between racing ingests: retrying sees the winner's rows."""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, _RETRYABLE) and code in ("40P01", "40001", "23505")


def ingest_bytes(
    store: Store, data: bytes, source: str, *, on_papers: Callable[[int, int], None] | None = None
) -> IngestResult:
    """Parse and store one digest's raw bytes in one transaction.

    A digest whose content was ingested before, here or by a racing process, is a
    no-op (``duplicate_digest``). A parse error, or a value the store cannot hold
    (:func:`recommender.limits.check_records`: an over-long title, arXiv id or DOI, an
    upvote count beyond a 32-bit integer), is reported in ``error`` with the file and
    line; nothing of that input is stored. On SQLite the transaction takes the write lock when it
    begins; on PostgreSQL it takes the paper-writes advisory lock before its lookups
    (:func:`resolve_records`), so racing ingests store their papers one after the other.
    A deadlock or unique violation with another writer (enrichment
    learning an arXiv id) is retried (up to three attempts), and the retry finds the other's rows.
    """
    content_hash = hashlib.sha256(data).hexdigest()
    with store.session() as session:
        previous = session.scalar(select(Digest).where(Digest.content_hash == content_hash))
        if previous is not None:
            return _already_stored(source, previous)
    from recommender.sources.detect import parse_digest  # the parsers' libraries load with the first digest

    try:
        digest = parse_digest(data, source=source)
        check_records(digest.papers, source)
    except ParseError as exc:
        return IngestResult(source=source, error=str(exc))
    for attempt in Retrying(retry=retry_if_exception(_retryable), stop=stop_after_attempt(3), reraise=True,
                            wait=wait_random(0, 0.5)):
        with attempt, store.session(immediate=True) as session:
            result = store_digest(session, digest, source, content_hash, on_papers=on_papers)
    store.papers_added(result.new)  # keeps PostgreSQL's planner statistics up with a backfill
    return result


def ingest(
    store: Store,
    inputs: Iterable[str | Path] | Inputs,
    *,
    fetch: Callable[[str], bytes] | None = None,
    progress: Callable[[IngestResult], None] | None = None,
    on_papers: Callable[[str, int, int], None] | None = None,
) -> list[IngestResult]:
    """Ingest files, folders (every digest file inside) and URLs; one result per input.

    A folder with no digest file at all gives one failed result naming it.

    Parameters
    ----------
    progress : callable, optional
        Called with each input's result when that input is done.
    on_papers : callable, optional
        Called as ``on_papers(source, done, total)`` while a digest's entries are
        stored (in steps of :data:`LOOKUP_CHUNK`), for a progress bar within one large file.
    """
    found = inputs if isinstance(inputs, Inputs) else expand_inputs(inputs)
    results = [IngestResult(source=folder, error=f"{folder}: the folder holds no digest file") for folder in found.empty_folders]
    for source in found.sources:
        try:
            data = read_input(source, fetch)
        except ParseError as exc:
            result = IngestResult(source=source, error=str(exc))
        else:
            step = None if on_papers is None else (lambda done, total, source=source: on_papers(source, done, total))
            result = ingest_bytes(store, data, source, on_papers=step)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
