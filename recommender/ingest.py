"""Ingest digests into the store: parse, deduplicate, store once.

Each input (file or URL) is handled in its own transaction: a digest that fails
to parse stores nothing, and the other inputs of the same call still go in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.sources import parse_digest
from recommender.sources.records import DigestRecord, PaperRecord, ParseError, title_key
from recommender.store import Digest, DigestEntry, Paper, Store
from recommender.store.models import utcnow

DIGEST_SUFFIXES = {".txt", ".json", ".xml", ".atom", ".rss", ""}


@dataclass
class IngestResult:
    """Outcome of ingesting one input.

    ``entries`` counts the digest's cards, ``new`` the papers stored for the
    first time, ``known`` the entries whose paper was already stored (including
    repeats within the digest), ``updated`` known papers whose text changed (an
    arXiv replacement, or an arXiv id learned for a title-only paper).
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


@dataclass(frozen=True)
class Skipped:
    """Something in a folder that is not ingested, and why."""

    source: str
    reason: str


@dataclass
class Inputs:
    """What :func:`expand_inputs` found: sources to read, things left out, folders with no digest."""

    sources: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    empty_folders: list[str] = field(default_factory=list)


def expand_inputs(inputs: Iterable[str | Path]) -> Inputs:
    """Expand folders into their digest files; keep files and URLs as given.

    A folder contributes its files with a digest suffix (``.txt``, ``.json``,
    ``.xml``, ``.atom``, ``.rss`` or none), sorted by name. Hidden files,
    subfolders and other file types are returned as :class:`Skipped`, with the
    reason, so callers can say what they left out.
    """
    found = Inputs()
    out, skipped = found.sources, found.skipped
    for item in inputs:
        text = str(item)
        if text.startswith(("http://", "https://")):
            out.append(text)
            continue
        path = Path(text)
        if not path.is_dir():
            out.append(text)
            continue
        before = len(out)
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir():
                skipped.append(Skipped(str(child), "a folder (folders are not searched recursively)"))
            elif child.suffix.lower() not in DIGEST_SUFFIXES:
                skipped.append(Skipped(str(child), f"not a digest file type ({child.suffix})"))
            else:
                out.append(str(child))
        if len(out) == before:
            found.empty_folders.append(text)
    return found


def read_input(source: str, fetch: Callable[[str], bytes] | None = None) -> bytes:
    """Read a file's bytes, or fetch a URL with ``fetch`` (default: :func:`recommender.fetch.fetch_bytes`).

    Raises
    ------
    ParseError
        When the file cannot be read or the URL cannot be fetched.
    """
    if source.startswith(("http://", "https://")):
        if fetch is None:
            from recommender.fetch import fetch_bytes as fetch
        try:
            return fetch(source)
        except Exception as exc:  # network errors of any kind become one clear message
            raise ParseError(f"could not fetch: {exc}", source=source) from exc
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", source=source) from exc


def _find_paper(session: Session, record: PaperRecord) -> Paper | None:
    if record.arxiv_id:
        paper = session.scalar(select(Paper).where(Paper.arxiv_id == record.arxiv_id))
        if paper is not None:
            return paper
    key = title_key(record.title)
    if record.arxiv_id:
        # A title-only paper that now arrives with its arXiv id is merged.
        return session.scalar(select(Paper).where(Paper.title_key == key, Paper.arxiv_id.is_(None)).limit(1))
    return session.scalar(select(Paper).where(Paper.title_key == key).order_by(Paper.id).limit(1))


def _new_paper(record: PaperRecord, kind: str) -> Paper:
    now = utcnow()
    return Paper(
        arxiv_id=record.arxiv_id,
        title_key=title_key(record.title),
        title=record.title,
        abstract=record.abstract,
        authors=list(record.authors),
        published=record.published,
        url=record.url,
        doi=record.doi,
        source_kind=kind,
        is_news=not record.is_replacement,
        first_seen=now,
        updated_at=now,
    )


def _merge(paper: Paper, record: PaperRecord) -> bool:
    """Fill in or refresh a stored paper from a newer record; True when anything changed."""
    changed = False
    if record.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = record.arxiv_id
        changed = True
    replace = record.is_replacement
    for attr in ("abstract", "url", "published", "doi"):
        value = getattr(record, attr)
        longer = attr == "abstract" and len(value or "") > len(paper.abstract or "")
        if value and (replace or longer or not getattr(paper, attr)) and getattr(paper, attr) != value:
            setattr(paper, attr, value)
            changed = True
    if record.authors and (replace or not paper.authors) and list(record.authors) != paper.authors:
        paper.authors = list(record.authors)
        changed = True
    if replace and record.title and record.title != paper.title:
        paper.title = record.title
        paper.title_key = title_key(record.title)
        changed = True
    if changed:
        paper.updated_at = utcnow()
    return changed


def store_digest(session: Session, digest: DigestRecord, source: str, content_hash: str) -> IngestResult:
    """Store one parsed digest in ``session`` (the caller owns the transaction)."""
    result = IngestResult(source=source, kind=digest.kind, entries=len(digest.papers), warnings=list(digest.warnings))
    row = Digest(kind=digest.kind, source=source, content_hash=content_hash, digest_date=digest.date, fetched_at=utcnow())
    session.add(row)
    seen: dict[str, Paper] = {}
    for position, record in enumerate(digest.papers):
        paper = seen.get(record.key)
        if paper is None:
            paper = _find_paper(session, record)
            if paper is None:
                paper = _new_paper(record, digest.kind)
                session.add(paper)
                session.flush()
                result.new += 1
                result.new_paper_ids.append(paper.id)
            else:
                result.known += 1
                if _merge(paper, record):
                    result.updated += 1
            seen[record.key] = paper
            seen[f"title:{title_key(record.title)}"] = paper
        else:
            result.known += 1
        row.entries.append(DigestEntry(position=position, paper_id=paper.id, upvotes=record.upvotes))
    row.n_entries = result.entries
    row.n_new = result.new
    return result


def ingest_bytes(store: Store, data: bytes, source: str) -> IngestResult:
    """Parse and store one digest's raw bytes in one transaction.

    A digest whose content was ingested before is a no-op (``duplicate_digest``).
    A parse error is reported in ``error``; nothing of that input is stored.
    """
    content_hash = hashlib.sha256(data).hexdigest()
    with store.session() as session:
        previous = session.scalar(select(Digest).where(Digest.content_hash == content_hash))
        if previous is not None:
            return IngestResult(
                source=source, kind=previous.kind, entries=previous.n_entries, known=previous.n_entries, duplicate_digest=True
            )
    try:
        digest = parse_digest(data, source=source)
    except ParseError as exc:
        return IngestResult(source=source, error=str(exc))
    with store.session() as session:
        return store_digest(session, digest, source, content_hash)


def ingest(
    store: Store,
    inputs: Iterable[str | Path] | Inputs,
    *,
    fetch: Callable[[str], bytes] | None = None,
    progress: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Ingest files, folders (every digest file inside) and URLs; one result per input.

    A folder with no digest file at all gives one failed result naming it.
    """
    found = inputs if isinstance(inputs, Inputs) else expand_inputs(inputs)
    results = [IngestResult(source=folder, error=f"{folder}: the folder holds no digest file") for folder in found.empty_folders]
    for source in found.sources:
        try:
            data = read_input(source, fetch)
        except ParseError as exc:
            result = IngestResult(source=source, error=str(exc))
        else:
            result = ingest_bytes(store, data, source)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
