"""A newer record of a paper merged into the paper stored (or about to be): what is filled in, what wins.

Kept out of :mod:`recommender.ingest` (which stores digests) because library imports and
enrichment merge through it too. For a stored :class:`~recommender.store.Paper` the fields two racing
writers could both change (the abstract, the date) are set by SQL ``CASE`` expressions over the row as it
is when the ``UPDATE`` runs, so whichever commits last keeps the better value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import case, func

from recommender.sources.records import PaperRecord, title_key
from recommender.store import Paper
from recommender.store.models import utcnow

if TYPE_CHECKING:
    from recommender.ingest import NewPaper

__all__ = ["merge_record"]


def merge_record(paper: Paper | NewPaper, record: PaperRecord) -> bool:
    """Fill in or refresh ``paper`` from a newer record; True when anything changed.

    Empty fields are filled; a replacement (arXiv ``replace``) overwrites; a longer
    abstract or author list replaces a shorter one (a truncated digest came first).
    ``published`` is only ever replaced by an earlier day, never by None. Sources differ: the arXiv API
    and Atom feeds give the first version's day, an RSS item of a first release its announcement day (a day
    or so later), a replacement none, a Hugging Face page its card's day, in a year maybe guessed from the
    page. For a stored :class:`Paper` the abstract and the day are set by a SQL ``CASE`` (longer text,
    earlier day), so two racing ingests keep those whichever commits last."""
    changed = False
    if record.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = record.arxiv_id
        changed = True
    replace = record.is_replacement
    if record.published and (paper.published is None or record.published < paper.published):
        day = record.published
        paper.published = case((Paper.published <= day, Paper.published), else_=day) if isinstance(paper, Paper) else day
        changed = True
    for attr in ("url", "doi"):
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
        paper.authors = authors
        changed = True
    if replace and record.title and record.title != paper.title:
        paper.title = record.title
        paper.title_key = title_key(record.title)
        changed = True
    if changed:
        paper.updated_at = utcnow()
    return changed
