"""A paper picked for (or found by) someone, as plain values: what every adapter renders.

Kept apart from :mod:`recommender.picks` (which ranks, with numpy and scipy) so
that rendering a result, and a search from the command line, import neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from recommender.store import Paper

__all__ = ["Pick"]


@dataclass(frozen=True)
class Pick:
    """A paper recommended to (or found for) a target: what every adapter renders.

    Plain values, no ORM object, so it can cross threads and outlive the session.

    Attributes
    ----------
    paper_id : int
        ``papers.id`` in the store.
    ref : str
        What people type to name it: the arXiv id, else ``#<paper_id>``.
    title, abstract : str
    url : str or None
        The paper's link (arXiv abs page when only the id is known); None when unknown.
    authors : tuple of str
    source_kind : str
        Parser that first stored it: ``hf_page``, ``hf_api``, ``arxiv_atom``, ``arxiv_rss``.
    published : datetime.date or None
        Publication day (UTC); None when the digest gave none (never the ingest day).
    score : float
        Ranking score, higher is better (0.0 for plain listings).
    reason : str
        One line saying why it was picked or matched ("" when there is none).
    disliked : bool
        The person it was found for gave it 👎 (search finds such a paper, by name for one, and says so;
        the command layer sets it, :func:`bot.commands.rows.mark_disliked`). False for picks, which never
        hold a rated paper.
    """

    paper_id: int
    ref: str
    title: str
    url: str | None
    authors: tuple[str, ...]
    source_kind: str
    published: dt.date | None
    abstract: str
    score: float = 0.0
    reason: str = ""
    disliked: bool = False

    @classmethod
    def from_paper(cls, paper: Paper, *, score: float = 0.0, reason: str = "") -> Pick:
        """The pick of a stored :class:`~recommender.store.Paper` row."""
        return cls(
            paper_id=paper.id, ref=paper.ref, title=paper.title, url=paper.link,
            authors=tuple(paper.authors or ()), source_kind=paper.source_kind,
            published=paper.published, abstract=paper.abstract or "", score=score, reason=reason,
        )
