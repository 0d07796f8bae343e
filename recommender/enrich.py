"""Enrichment: papers known by title only get their arXiv record (id, link, authors, abstract, dates).

Copied Hugging Face pages carry no arXiv id, link, authors or date.  For each
stored paper with neither an arXiv id nor a link, :func:`enrich` asks the arXiv
API for its title (:class:`recommender.arxiv_api.ArxivClient`, one request every
3 s) and accepts a hit only when the normalized titles agree
(:func:`recommender.sources.title_key`) and exactly one arXiv paper agrees.
The hit is merged into the stored paper by the ingest merge
(:func:`recommender.merge.merge_record`): the arXiv id and link are set, empty
fields filled, a longer abstract replaces a shorter one. The paper keeps its
sentence vector unless the merge changed its title or abstract
(:func:`recommender.text.vectors.forget_changed_embeddings`).

Every answer is cached in ``arxiv_lookups`` by normalized title: a match is
reused without asking again; "not found" and "ambiguous" are asked again once
older than ``retry_after`` (a week).  Each paper's answer and merge are written
in one transaction; an HTTP error or a bad answer is reported and not cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from recommender.arxiv_api import ArxivClient
from recommender.merge import merge_record
from recommender.sources.records import PaperRecord, ParseError, title_key
from recommender.store import ArxivLookup, Paper, Store
from recommender.store.models import utcnow
from recommender.text.embeddings import embedding_text
from recommender.text.vectors import forget_changed_embeddings

__all__ = ["RETRY_AFTER", "EnrichReport", "count_unlinked", "enrich", "match"]

#: "Not found" answers are asked again after this long.
RETRY_AFTER = dt.timedelta(days=7)
#: Consecutive failed requests after which a run stops (the API is down or unreachable).
MAX_CONSECUTIVE_ERRORS = 3
_CHUNK = 500


@dataclass
class EnrichReport:
    """What one enrichment run did.

    Attributes
    ----------
    candidates : int
        Papers without arXiv id or link when the run started.
    asked : int
        Papers looked up through the API in this run.
    linked : int
        Papers that got their arXiv id and link (from the API or the cache).
    not_found, ambiguous : int
        Papers the API had no agreeing title for, or several arXiv papers for.
    skipped : int
        Papers not asked because an answer of less than ``retry_after`` says "not found".
    failed : int
        Papers asked whose lookup failed (each one line of ``errors``); asked again next run.
    errors : list of str
        Failed lookups (timeouts, HTTP errors, bad answers); those are not cached.
    remaining : int
        Papers still without a link after the run (:func:`count_unlinked`).
    """

    candidates: int = 0
    asked: int = 0
    linked: int = 0
    not_found: int = 0
    ambiguous: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    remaining: int = 0


def _unlinked():
    return (Paper.arxiv_id.is_(None), Paper.url.is_(None))


def count_unlinked(store: Store) -> int:
    """Number of stored papers with no link at all: no URL, arXiv id or DOI (what ``paperbot status`` shows).

    A paper with only a DOI links to ``https://doi.org/<doi>`` (:attr:`Paper.link`) and is not counted,
    though enrichment still looks it up on arXiv (for its arXiv id and abstract).
    """
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Paper).where(*_unlinked(), Paper.doi.is_(None))) or 0


def match(title: str, hits: list[PaperRecord]) -> tuple[str, PaperRecord | None]:
    """Pick the arXiv record for ``title`` among an answer's ``hits``.

    Returns
    -------
    (str, PaperRecord or None)
        ``("found", hit)`` when exactly one arXiv paper's title agrees after
        normalization; ``("ambiguous", None)`` when several distinct arXiv ids do;
        ``("not_found", None)`` when none does (near matches are not accepted).
    """
    key = title_key(title)
    agreeing = {hit.arxiv_id: hit for hit in hits if hit.arxiv_id and title_key(hit.title) == key}
    if len(agreeing) == 1:
        return "found", next(iter(agreeing.values()))
    return ("ambiguous" if agreeing else "not_found"), None


def _to_json(record: PaperRecord) -> dict:
    return {"arxiv_id": record.arxiv_id, "title": record.title, "abstract": record.abstract,
            "authors": list(record.authors), "url": record.url, "doi": record.doi,
            "published": record.published.isoformat() if record.published else None}


def _from_json(value: dict) -> PaperRecord:
    published = value.get("published")
    return PaperRecord(title=value["title"], abstract=value.get("abstract") or "",
                       authors=tuple(value.get("authors") or ()), arxiv_id=value["arxiv_id"],
                       url=value.get("url"), doi=value.get("doi"),
                       published=dt.date.fromisoformat(published) if published else None)


def _lookups(session: Session, keys: list[str]) -> dict[str, ArxivLookup]:
    found: dict[str, ArxivLookup] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = session.scalars(select(ArxivLookup).where(ArxivLookup.title_key.in_(keys[start:start + _CHUNK])))
        found.update((row.title_key, row) for row in rows)
    return found


def _link(session: Session, paper_id: int, hit: PaperRecord) -> bool:
    """Merge ``hit`` into the paper; True when the paper now has its arXiv link."""
    paper = session.get(Paper, paper_id)
    if paper is None or paper.arxiv_id:
        return paper is not None
    owner = session.scalar(select(Paper).where(Paper.arxiv_id == hit.arxiv_id))
    if owner is not None:
        # Another row already holds this arXiv id (its title was stored differently):
        # give this one the link; joining the two rows is the store's deduplication.
        paper.url = paper.url or hit.url or f"https://arxiv.org/abs/{hit.arxiv_id}"
        paper.updated_at = utcnow()
        return True
    text = embedding_text(paper.title, paper.abstract)
    if merge_record(paper, hit):
        forget_changed_embeddings(session, {paper.id: text})  # an id, link, authors or date keep the vector
    return True


def _remember(session: Session, key: str, status: str, hit: PaperRecord | None, now: dt.datetime) -> None:
    row = session.scalar(select(ArxivLookup).where(ArxivLookup.title_key == key))
    if row is None:
        row = ArxivLookup(title_key=key)
        session.add(row)
    row.status, row.checked_at = status, now
    row.arxiv_id = hit.arxiv_id if hit else None
    row.record = _to_json(hit) if hit else None


def enrich(store: Store, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None,
           client: ArxivClient | None = None, now: dt.datetime | None = None,
           retry_after: dt.timedelta = RETRY_AFTER) -> EnrichReport:
    """Resolve title-only papers to their arXiv records and merge them in.

    Parameters
    ----------
    store : Store
        The paper store.
    limit : int, optional
        Ask the API about at most this many papers (cached matches do not count).
    progress : callable, optional
        Called as ``progress(done, total)`` after each paper considered.
    client : ArxivClient, optional
        The API client (default: arXiv itself, one request every 3 s); closed
        here only when created here.
    now : datetime, optional
        The current time (UTC), for the cache's retry interval.
    retry_after : timedelta
        Age after which a "not found" or "ambiguous" answer is asked again.

    Returns
    -------
    EnrichReport
        Counts of what was linked, not found, skipped, and the errors.  A run
        stops early after :data:`MAX_CONSECUTIVE_ERRORS` failed requests in a row.
    """
    now = now or utcnow()
    report = EnrichReport()
    with store.session() as session:
        papers = session.execute(select(Paper.id, Paper.title, Paper.title_key).where(*_unlinked())
                                 .order_by(Paper.first_seen.desc(), Paper.id.desc())).all()
        cache = {key: (row.status, row.record, row.checked_at)
                 for key, row in _lookups(session, sorted({p.title_key for p in papers})).items()}
    report.candidates = len(papers)
    own_client = client is None
    client = client or ArxivClient()
    failures = 0
    try:
        for done, (paper_id, title, key) in enumerate(papers, start=1):
            status, record, checked_at = cache.get(key, (None, None, None))
            if status == "found" and record:
                with store.session() as session:
                    report.linked += _link(session, paper_id, _from_json(record))
            elif status in ("not_found", "ambiguous") and checked_at and now - checked_at < retry_after:
                report.skipped += 1
            elif limit is None or report.asked < limit:
                report.asked += 1
                try:
                    status, hit = match(title, client.search_title(title))
                except (httpx.HTTPError, ParseError) as exc:
                    failures += 1
                    report.failed += 1
                    report.errors.append(f"{title[:80]!r}: {type(exc).__name__}: {exc}")
                    if failures >= MAX_CONSECUTIVE_ERRORS:
                        report.errors.append(f"stopped after {failures} failed requests in a row")
                        break
                    continue
                failures = 0
                with store.session() as session:
                    _remember(session, key, status, hit, now)
                    if hit is not None:
                        report.linked += _link(session, paper_id, hit)
                cache[key] = (status, _to_json(hit) if hit else None, now)
                report.not_found += status == "not_found"
                report.ambiguous += status == "ambiguous"
            if progress is not None:
                progress(done, len(papers))
    finally:
        if own_client:
            client.close()
    report.remaining = count_unlinked(store)
    return report
