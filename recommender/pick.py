"""A paper picked for (or found by) someone, as plain values: what every adapter renders.

Kept apart from :mod:`recommender.picks` (which ranks, with numpy and scipy) so
that rendering a result, and a search from the command line, import neither.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from recommender.sources.records import normalize_arxiv_id
from recommender.store import Paper
from recommender.text.analyzer import analyze, singular, word_forms

__all__ = ["RELATED_FORM", "Pick", "search_reason"]


#: What a search result holding none of the words searched is, by words alone (:func:`search_reason`).
RELATED_FORM = "matches a related word form"


def search_reason(query: str, text: str, stop_words: frozenset[str], lead: str = RELATED_FORM) -> str:
    """What a search result holds of the words searched, as its reason line; "" when it holds them all.

    Search answers with its best papers however weak (a store with no paper on quantum codes answers
    "quantum error correction" with papers on rounding errors): the reason names the words a result
    lacks, as a web search's "Missing:" line does, so that a weak answer reads as one.

    Parameters
    ----------
    query : str
        What was searched.
    text : str
        The result's title, abstract and authors.
    stop_words : frozenset of str
        The TF-IDF model's (``FrozenTfidf.stop_words``): such words are not asked for.
    lead : str, default :data:`RELATED_FORM`
        What the result is there for when it holds none of the words (:func:`recommender.reasons.search_lead`:
        ``"close in meaning"``, ``"for your interests"``); by words alone, the full-text index matched a
        word of another form ("robotic" for "robots").

    Returns
    -------
    str
        ``"matches error, correction; missing: quantum"``, ``"{lead}, with none of the words searched"``,
        or ``""`` (every word held, or no word asked for). Plurals count as singulars.
    """
    return _worded(*_held(query, text, stop_words), lead)


def _held(query: str, text: str, stop_words: frozenset[str]) -> tuple[list[str], list[str]]:
    """The words of ``query`` (singular, stop words left out) that ``text`` holds, and those it lacks."""
    typed = analyze(query, stop_words, (1, 1))
    asked = list(dict.fromkeys(singular(w) for w in typed))
    forms = {singular(w): word_forms(w) for w in typed}
    held = {form for w in analyze(text, stop_words, (1, 1)) for form in word_forms(w)}
    return [w for w in asked if forms[w] & held], [w for w in asked if not forms[w] & held]


def _worded(found: list[str], missing: list[str], lead: str) -> str:
    if not missing:
        return ""
    if not found:
        return f"{lead}, with none of the words searched"
    return f"matches {', '.join(found)}; missing: {', '.join(missing)}"


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
    published_precision : str or None
        How much of ``published`` is known (:mod:`recommender.dates`): ``"year"``, ``"month"``, or None
        for the day itself; show it with :func:`recommender.dates.format_date`.
    score : float
        Ranking score, higher is better (0.0 for plain listings).
    reason : str
        One line saying why it was picked or matched ("" when there is none).
    disliked, liked : bool
        The person it was found for gave it 👎 (or 👍): search finds a rated paper, by name for one, and
        says so; the command layer sets them, :func:`bot.commands.rows.mark_rated`. False for picks, which
        never hold a rated paper.
    weak : bool
        A search result that holds none of the words searched and is not close to the query in meaning
        (measured: :attr:`recommender.search.Hit.close` is False). False for picks.
    more_authors : bool
        ``authors`` stops short: a library said "and others" (:attr:`Paper.more_authors
        <recommender.store.models.Paper.more_authors>`).
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
    liked: bool = False
    published_precision: str | None = None
    weak: bool = False
    more_authors: bool = False

    @classmethod
    def found(cls, paper: Paper, score: float, query: str, stop_words: frozenset[str], *,
              lead: str = RELATED_FORM, close: bool | None = None) -> Pick:
        """The search result ``paper`` for ``query``, its reason the words it lacks (:func:`search_reason`).

        ``lead`` is what it is there for should it hold none of them; ``close`` whether it is close to the query in
        meaning (None: not measured), which with none of the words makes it :attr:`weak`. No reason, and not weak,
        when ``query`` names the paper by its reference (arXiv id or link, ``arXiv:`` id or ``#id``).
        """
        asked = {w.casefold().removeprefix("arxiv:") for w in query.split()}
        asked |= {(normalize_arxiv_id(w) or "").casefold() for w in query.split()}  # a link, a versioned id
        if paper.ref.casefold() in asked:
            return cls.from_paper(paper, score=score)
        text = " ".join([paper.title, paper.abstract or "", *(paper.authors or ())])
        found, missing = _held(query, text, stop_words)
        pick = cls.from_paper(paper, score=score, reason=_worded(found, missing, lead))
        return replace(pick, weak=bool(missing) and not found and close is False)

    @classmethod
    def from_paper(cls, paper: Paper, *, score: float = 0.0, reason: str = "") -> Pick:
        """The pick of a stored :class:`~recommender.store.Paper` row."""
        return cls(
            paper_id=paper.id, ref=paper.ref, title=paper.title, url=paper.link,
            authors=tuple(paper.authors or ()), source_kind=paper.source_kind,
            published=paper.published, abstract=paper.abstract or "", score=score, reason=reason,
            published_precision=paper.published_precision if paper.published else None,
            more_authors=bool(paper.more_authors),
        )
