"""A newer record of a paper merged into the paper stored (or about to be): what is filled in, what wins.

Kept out of :mod:`recommender.ingest` (which stores digests) because library imports and
enrichment merge through it too. For a stored :class:`~recommender.store.Paper` the fields two racing
writers could both change (the abstract, the date and its precision) are set by SQL ``CASE``
expressions over the row as it is when the ``UPDATE`` runs, so whichever commits last keeps the better value.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, or_
from sqlalchemy.orm import object_session
from sqlalchemy.sql import ClauseElement

from recommender.dates import MONTH, YEAR, precision_rank, replaces
from recommender.sources.records import PaperRecord, title_key
from recommender.store import Paper
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from recommender.ingest import NewPaper

__all__ = ["merge_date", "merge_record"]

#: The columns a merge into a stored paper sets by SQL ``CASE`` (read back only after a flush).
_CASE_SET = ("abstract", "published", "published_precision")


def _settle(paper: Paper) -> None:
    """Flush ``paper`` when an earlier merge left a SQL ``CASE`` in it, so this merge compares real values.

    A digest or a library may hold one paper twice (by title, then by arXiv id): the second merge must
    read the date and abstract the first one chose, which only the ``UPDATE`` computes.
    """
    pending = paper.__dict__  # the instance's loaded state: reading it loads nothing
    if any(isinstance(pending.get(name), ClauseElement) for name in _CASE_SET):
        session = object_session(paper)
        if session is not None:
            session.flush()


def merge_date(paper: Paper | NewPaper, day: dt.date | None, precision: str | None) -> bool:
    """Give ``paper`` the date ``day`` known to ``precision`` (:mod:`recommender.dates`) when it is better.

    Better is :func:`recommender.dates.replaces`: any date over none, a more precise one over a less precise
    one, the earlier at the same precision; a less precise date (a library's ``year = 2019``) never replaces a
    day. Returns True when the date was set (in memory; the caller's flush writes it).
    """
    if not replaces(day, precision, paper.published, paper.published_precision):
        return False
    if isinstance(paper, Paper):
        stored = case((Paper.published_precision == YEAR, 0), (Paper.published_precision == MONTH, 1), else_=2)
        rank = precision_rank(precision)
        keep = and_(Paper.published.is_not(None),
                    or_(stored > rank, and_(stored == rank, Paper.published <= day)))
        paper.published = case((keep, Paper.published), else_=day)
        paper.published_precision = case((keep, Paper.published_precision), else_=precision)
    else:
        paper.published, paper.published_precision = day, precision
    return True


def merge_record(paper: Paper | NewPaper, record: PaperRecord) -> bool:
    """Fill in or refresh ``paper`` from a newer record; True when anything changed.

    Empty fields are filled; a replacement (arXiv ``replace``) overwrites; a longer
    abstract or author list replaces a shorter one (a truncated digest came first), with the new list's
    ``more_authors`` ("and others"); the same list with "and others" gets it.
    ``published`` is set by :func:`merge_date`: never replaced by None nor by a less precise date (a
    library's year), replaced by a more precise one, else only by an earlier day. Sources differ: the arXiv
    API and Atom feeds give the first version's day, an RSS item of a first release its announcement day (a
    day or so later), a replacement none, a Hugging Face page its card's day, in a year maybe guessed from
    the page. For a stored :class:`Paper` the abstract and the date are set by a SQL ``CASE`` (longer text,
    better date), so two racing ingests keep those whichever commits last."""
    if isinstance(paper, Paper):
        _settle(paper)
    changed = False
    if record.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = record.arxiv_id
        changed = True
    replace = record.is_replacement
    if merge_date(paper, record.published, record.published_precision):
        changed = True
    for attr in ("url", "doi", "venue", "entry_type", "pages"):
        value = getattr(record, attr)
        if value and (replace or not getattr(paper, attr)) and getattr(paper, attr) != value:
            setattr(paper, attr, value)
            changed = True
    current = paper.abstract or ""
    if record.abstract and record.abstract != current and (replace or len(record.abstract) > len(current)):
        if isinstance(paper, Paper) and not replace:
            paper.abstract = case((func.length(Paper.abstract) < len(record.abstract), record.abstract), else_=Paper.abstract)
        else:
            paper.abstract = record.abstract
        changed = True
    authors = list(record.authors)
    if authors and authors != paper.authors and (replace or len(authors) > len(paper.authors or [])):
        paper.authors, paper.more_authors = authors, record.more_authors
        changed = True
    elif record.more_authors and authors == paper.authors and not paper.more_authors:
        paper.more_authors = True  # the same authors, and a library that says there are more
        changed = True
    if replace and record.title and record.title != paper.title:
        paper.title = record.title
        paper.title_key = title_key(record.title)
        changed = True
    if changed:
        paper.updated_at = utcnow()
    return changed
