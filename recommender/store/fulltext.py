"""Lexical candidates from the database's own full-text index, on SQLite and PostgreSQL.

The index (migration 0004) covers title, abstract and author names:

* SQLite: the FTS5 table ``papers_fts`` (Porter stemming, accents folded), ranked
  by FTS5's ``bm25()`` with the title weighted :data:`TITLE_WEIGHT` times the
  abstract and the authors :data:`AUTHORS_WEIGHT` times (Robertson and Zaragoza,
  "The Probabilistic Relevance Framework: BM25 and Beyond", 2009;
  https://www.sqlite.org/fts5.html#the_bm25_function).
* PostgreSQL: the generated ``tsvector`` column ``papers.search_vector`` (title
  weight A, abstract B, authors C; GIN index), ranked by ``ts_rank``
  (https://www.postgresql.org/docs/current/textsearch-controls.html).

The words of a query are OR-ed, so a word that occurs in a single paper (a model's
name such as "GNNPipe") still matches, and papers holding more of the words rank
higher; the words as one phrase are a further OR-ed term, so papers holding them
in that order rank higher still. Before the index is asked, the query is tried as an exact reference: an
arXiv id or link, a ``#<id>`` reference, or a whole title; those papers come first.
Scores of the two backends are not comparable with each other, only within one
result list.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from recommender.sources.records import normalize_arxiv_id, title_key
from recommender.store.models import Paper

__all__ = ["AUTHORS_WEIGHT", "MAX_WORDS", "TITLE_WEIGHT", "candidates", "filters", "named", "query_words"]

TITLE_WEIGHT = 10.0
"""SQLite bm25 weight of the title column relative to the abstract (1.0)."""
AUTHORS_WEIGHT = 3.0
"""SQLite bm25 weight of the authors column relative to the abstract (1.0)."""
MAX_WORDS = 32
"""Words of a query kept (the first ones), so a pasted abstract stays a fast query."""
_WORD = re.compile(r"\w+", re.UNICODE)
_REF = re.compile(r"#(\d{1,18})")


def query_words(query: str) -> list[str]:
    """The distinct lower-case words of ``query`` in order, English stop words dropped, at most :data:`MAX_WORDS`.

    Stop words are scikit-learn's ``ENGLISH_STOP_WORDS`` (PostgreSQL's 'english'
    configuration drops its own list too), so both backends find nothing for a
    query of stop words alone, rather than every paper.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = dict.fromkeys(w.casefold() for w in _WORD.findall(query))
    return [w for w in words if w not in ENGLISH_STOP_WORDS][:MAX_WORDS]


def filters(since: dt.date | None, until: dt.date | None, sources: Iterable[str] | None) -> list[ColumnElement[bool]]:
    """SQL conditions on ``papers``: published on or after ``since`` / on or before ``until`` (undated never pass), source kind in ``sources``."""
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(Paper.published >= since)  # NULL (undated) never passes
    if until is not None:
        conditions.append(Paper.published <= until)
    if sources is not None:
        conditions.append(Paper.source_kind.in_(list(sources)))
    return conditions


def _exact(session: Session, query: str, conditions: list[ColumnElement[bool]]) -> list[int]:
    """Ids of the papers ``query`` names exactly: arXiv id or link, ``#<id>``, whole title (in that order)."""
    q = query.strip()
    wanted: list[ColumnElement[bool]] = []
    if q and not any(ch.isspace() for ch in q):
        arxiv_id = normalize_arxiv_id(q)
        if arxiv_id:
            wanted.append(Paper.arxiv_id == arxiv_id)
        ref = _REF.fullmatch(q)
        if ref:
            wanted.append(Paper.id == int(ref.group(1)))
    key = title_key(q)
    if key:
        wanted.append(Paper.title_key == key)
    found: list[int] = []
    for condition in wanted:
        for paper_id in session.scalars(select(Paper.id).where(condition, *conditions).order_by(Paper.id)):
            if paper_id not in found:
                found.append(paper_id)
    return found


def named(session: Session, query: str, *, since: dt.date | None = None, until: dt.date | None = None,
          sources: Iterable[str] | None = None) -> list[int]:
    """Ids of the papers ``query`` names exactly (arXiv id or link, ``#<id>``, whole title), passing the filters.

    These are the papers :func:`candidates` puts first.
    """
    return _exact(session, query, filters(since, until, sources))


def _sqlite_ranked(session: Session, words: list[str], conditions, limit: int, every_word: bool = False) -> list[tuple[int, float]]:
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    phrase = ['"' + " ".join(words).replace('"', '""') + '"'] if len(words) > 1 else []  # the phrase scores again
    match = " OR ".join(["(" + " AND ".join(quoted) + ")", *phrase] if every_word else quoted + phrase)
    fts = table("papers_fts", column("rowid"))
    rank = func.bm25(literal_column("papers_fts"), TITLE_WEIGHT, 1.0, AUTHORS_WEIGHT)  # lower is better
    stmt = (
        select(fts.c.rowid, rank)
        .join(Paper, Paper.id == fts.c.rowid)
        .where(literal_column("papers_fts").op("MATCH")(match), *conditions)
        .order_by(rank, fts.c.rowid)
        .limit(limit)
    )
    return [(int(i), -float(r)) for i, r in session.execute(stmt)]


def _postgres_ranked(session: Session, words: list[str], conditions, limit: int, every_word: bool = False) -> list[tuple[int, float]]:
    # websearch_to_tsquery never raises on user text; "or" joins words, a space requires both. Title and
    # abstract are indexed with the 'english' configuration (stemmed), author names with 'simple'.
    terms = [w for w in words if w != "or"] or words[:1]
    together = [f'"{" ".join(terms)}"'] if len(terms) > 1 else []  # the phrase scores again
    phrase = " or ".join([" ".join(terms), *together] if every_word else terms + together)
    tsquery = func.websearch_to_tsquery(literal_column("'english'::regconfig"), phrase).op("||")(
        func.websearch_to_tsquery(literal_column("'simple'::regconfig"), phrase)
    )
    vector: ColumnElement = literal_column("papers.search_vector")
    score = func.ts_rank(vector, tsquery)
    stmt = (
        select(Paper.id, score)
        .where(vector.op("@@")(tsquery), *conditions)
        .order_by(score.desc(), Paper.id)
        .limit(limit)
    )
    return [(int(i), float(s)) for i, s in session.execute(stmt)]


def candidates(
    session: Session,
    query: str,
    *,
    limit: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
    sources: Iterable[str] | None = None,
    named_out: list[int] | None = None,
) -> list[tuple[int, float]]:
    """Papers matching ``query`` by the database's full-text index, best first.

    Papers holding every word are asked for first (an AND query: fewer rows to
    score than the OR of the words on a large store); only when they are fewer
    than ``limit`` does the OR query fill the list, below them.

    Parameters
    ----------
    session : Session
        A session on a SQLite or PostgreSQL store at migration 0004 or later.
    query : str
        What a person typed: words, a paper's name, a whole title, an arXiv id or link, ``#<id>``.
    limit : int
        Most candidates returned.
    since, until : datetime.date, optional
        Keep papers published on or after ``since`` / on or before ``until`` (UTC
        calendar days). Undated papers never pass a date filter (an ingest day is
        not a publication day).
    sources : iterable of str, optional
        Keep papers whose ``source_kind`` (the digest format that first brought
        them: ``hf_page``, ``hf_api``, ``arxiv_atom``, ``arxiv_rss``) is one of these.
    named_out : list, optional
        Receives the ids of the papers the query names exactly (see :func:`named`).

    Returns
    -------
    list of (int, float)
        ``(paper_id, lexical_score)``, highest score first. Papers the query names
        exactly come first, scored one above the best full-text score. Empty when
        nothing matches or the query has no word.

    Raises
    ------
    NotImplementedError
        On a backend other than SQLite and PostgreSQL.
    """
    if limit <= 0:
        return []
    conditions = filters(since, until, sources)
    exact = _exact(session, query, conditions)
    if named_out is not None:
        named_out.extend(exact)
    words = query_words(query)
    ranked: list[tuple[int, float]] = []
    if words:
        backend = session.get_bind().dialect.name
        if backend == "sqlite":
            ask = _sqlite_ranked
        elif backend == "postgresql":
            ask = _postgres_ranked
        else:
            raise NotImplementedError(f"full-text search supports SQLite and PostgreSQL, not {backend}")
        want = limit + len(exact)
        ranked = ask(session, words, conditions, want, every_word=True) if len(words) > 1 else []
        if len(ranked) < want:
            have = {pid for pid, _ in ranked}
            floor = ranked[-1][1] if ranked else None
            more = [(pid, score if floor is None else min(score, floor) * (1 - 1e-6) - 1e-9)
                    for pid, score in ask(session, words, conditions, want) if pid not in have]
            ranked += more
    top = (ranked[0][1] if ranked else 0.0) + 1.0
    named = set(exact)
    return ([(paper_id, top) for paper_id in exact] + [r for r in ranked if r[0] not in named])[:limit]
