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
in that order rank higher still. Scoring every paper that holds a common word
("learning": most of a year of papers) costs far more than the match, so the OR
query takes the words rarest first and stops before the papers holding them pass
:data:`ROW_BUDGET`: the "quit" strategy of
Moffat and Zobel, "Self-indexing inverted files for fast text retrieval", ACM TOIS
14(4), 1996. Papers holding only the commonest words of a query are then found by
the every-word query or not at all (when every word is common, the OR query is not
asked; on PostgreSQL the every-word query and a one-word query score their newest matches only); the
re-ranking still weighs every word. Before the index is asked, the query is tried as an exact reference: an
arXiv id or link, a ``#<id>`` reference, or a whole title; those papers come first, and so does a paper
among the best matches whose title names it with the query: its part before a colon, or a name in
parentheses written in the same case (:func:`parenthesised_names`).
Scores of the two backends are not comparable with each other, only within one
result list.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable

from sqlalchemy import ColumnElement, and_, column, func, literal_column, or_, select, table
from sqlalchemy.orm import Session

from recommender.sources.records import doi_key, normalize_arxiv_id, normalize_doi, title_key
from recommender.store.dialects import doi_key_sql
from recommender.store.models import Paper
from recommender.store.word_counts import (
    papers_holding,
    postgres_planned_rows,
    postgres_tsquery,
    rarest_within_budget,
    sqlite_quoted,
)

__all__ = ["AUTHORS_WEIGHT", "MAX_WORDS", "NAME_CHECK", "ROW_BUDGET", "TITLE_WEIGHT", "by_name", "candidates", "filters", "named",
           "parenthesised_names", "query_words"]

TITLE_WEIGHT = 10.0
"""SQLite bm25 weight of the title column relative to the abstract (1.0)."""
AUTHORS_WEIGHT = 3.0
"""SQLite bm25 weight of the authors column relative to the abstract (1.0)."""
MAX_WORDS = 32
"""Words of a query kept (the first ones), so a pasted abstract stays a fast query."""
NAME_CHECK = 5
"""Best full-text matches whose title is checked for the query as the paper's name (:func:`by_name`)."""
ROW_BUDGET = {"sqlite": 10_000, "postgresql": 700}
"""Most papers the OR query's words may hold together, per backend (see :func:`candidates` when even the rarest word exceeds it).

Scoring a matched paper costs about 1 µs with FTS5's ``bm25`` and about 17 µs with
PostgreSQL's ``ts_rank`` (it reads the paper's whole ``tsvector``, and a long query
costs more), so PostgreSQL's budget is the smaller (``benchmarks/store_scale.py``
times searches through the store on both). ``benchmarks/search_budget.py`` weighs a
PostgreSQL budget against another on the same store: search times, and how many of
the results and known items stay the same."""
PHRASE_WORDS = 4
"""PostgreSQL's OR query adds the query as a phrase only up to this many words (the every-word query always does)."""
_WORD = re.compile(r"\w+", re.UNICODE)
_REF = re.compile(r"#(\d{1,18})")
_PARENTHESISED = re.compile(r"\((?P<word>[^\W_](?:[\w-]*[^\W_])?)\)")
_ROMAN = re.compile(r"[IVX]+")  # (II), (IV), (XI): a sequel or a part; (LLM), (MCMC), (CD) are names


def query_words(query: str, stop_words: Collection[str] | None = None) -> list[str]:
    """The distinct lower-case words of ``query`` in order, stop words dropped, at most :data:`MAX_WORDS`.

    ``stop_words`` are the TF-IDF model's (``FrozenTfidf.stop_words``); None
    means scikit-learn's ``ENGLISH_STOP_WORDS`` (imported then). PostgreSQL's
    'english' configuration drops its own list too, so both backends find
    nothing for a query of stop words alone, rather than every paper.
    """
    if stop_words is None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        stop_words = ENGLISH_STOP_WORDS
    words = dict.fromkeys(w.casefold() for w in _WORD.findall(query))
    return [w for w in words if w not in stop_words][:MAX_WORDS]


def filters(since: dt.date | None, until: dt.date | None, sources: Iterable[str] | None) -> list[ColumnElement[bool]]:
    """SQL conditions on ``papers``: published on or after ``since`` / on or before ``until`` (undated never pass), source kind in ``sources``.

    A paper known to the year or month (``published_precision``, stored as its first day) passes when
    that year or month reaches into the bounds: "2019" passes ``since=2019-06-01`` and ``until=2019-03-01``.
    """
    conditions: list[ColumnElement[bool]] = []
    if since is not None:  # NULL (undated) never passes
        conditions.append(or_(
            Paper.published >= since,
            and_(Paper.published_precision == "month", Paper.published >= since.replace(day=1)),
            and_(Paper.published_precision == "year", Paper.published >= since.replace(month=1, day=1))))
    if until is not None:
        conditions.append(Paper.published <= until)
    if sources is not None:
        conditions.append(Paper.source_kind.in_(list(sources)))
    return conditions


def is_reference(query: str) -> bool:
    """Whether ``query`` is one paper's reference alone: an arXiv id or link (``arXiv:2409.11111v2``,
    ``https://arxiv.org/abs/2409.11111``), a DOI (``10.1038/…``, a doi.org link) or ``#<paper id>``."""
    q = query.strip()
    return bool(q) and not any(ch.isspace() for ch in q) and bool(
        normalize_arxiv_id(q) or normalize_doi(q) or _REF.fullmatch(q))


def _exact(session: Session, query: str, conditions: list[ColumnElement[bool]]) -> list[int]:
    """Ids of the papers ``query`` names exactly: arXiv id or link, ``#<id>``, DOI, whole title (in that order)."""
    q = query.strip()
    wanted: list[ColumnElement[bool]] = []
    if q and not any(ch.isspace() for ch in q):
        arxiv_id = normalize_arxiv_id(q)
        if arxiv_id:
            wanted.append(Paper.arxiv_id == arxiv_id)
        ref = _REF.fullmatch(q)
        if ref:
            wanted.append(Paper.id == int(ref.group(1)))
        doi = None if arxiv_id else normalize_doi(q)
        if doi:
            wanted.append(doi_key_sql(session) == doi_key(doi))
    key = title_key(q)
    if key:
        wanted.append(Paper.title_key == key)
    found: list[int] = []
    for condition in wanted:
        for paper_id in session.scalars(select(Paper.id).where(condition, *conditions).order_by(Paper.id)):
            if paper_id not in found:
                found.append(paper_id)
    return found


def parenthesised_names(title: str) -> list[str]:
    """The names a title gives its paper in parentheses, in title order.

    A name in parentheses is one word of letters, digits and hyphens, holding at least two letters, with
    an upper-case letter after its first character, a digit, or only capitals: ``"Adaptive Precision
    Training (AdaPT): ..."`` gives ``AdaPT``, ``"... Evolution (TADPOLE) Challenge"`` gives ``TADPOLE``,
    ``"(X-NeSyL)"``, ``"(GPT-4)"``, ``"(LLM)"`` and ``"(MCMC)"`` are names. Phrases (``"(per gradient)"``),
    plain words (``"(Extended)"``), years, ``"(3D)"`` and Roman numerals of the letters I, V and X
    (``"(II)"``, ``"(IV)"``: sequels and parts) are not.
    """
    names = []
    for m in _PARENTHESISED.finditer(title):
        word = m.group("word")
        if (sum(ch.isalpha() for ch in word) >= 2 and not _ROMAN.fullmatch(word)
                and (any(ch.isupper() for ch in word[1:]) or any(ch.isdigit() for ch in word) or word.isupper())):
            names.append(word)
    return names


def by_name(session: Session, query: str, paper_ids: Collection[int]) -> list[int]:
    """Those of ``paper_ids`` whose title names them ``query``: its part before a colon, or :func:`parenthesised_names`.

    A paper's own name (``"GNNPipe"``, ``"AdaPT"``, ``"A Wholistic View of Continual Learning with Deep Neural
    Networks"``) names it as surely as its whole title; checked on the best full-text matches only, by id. The
    part before a colon is read by :func:`title_key` (any case); a name in parentheses only in its own case, word
    for word, since its letters are often a plain word's (``"adapt"`` is not ``"AdaPT"``). A query holding a colon
    is no such name (:func:`candidates` does not ask).
    """
    key = title_key(query)
    if not key or not paper_ids:
        return []
    cased = _WORD.findall(query)
    titles = session.execute(select(Paper.id, Paper.title).where(Paper.id.in_(list(paper_ids))).order_by(Paper.id))
    return [pid for pid, title in titles
            if (":" in title and title_key(title.split(":", 1)[0]) == key)
            or any(_WORD.findall(name) == cased for name in parenthesised_names(title))]


def named(session: Session, query: str, *, since: dt.date | None = None, until: dt.date | None = None,
          sources: Iterable[str] | None = None) -> list[int]:
    """Ids of the papers ``query`` names exactly (arXiv id or link, ``#<id>``, whole title), passing the filters.

    These are the papers :func:`candidates` puts first.
    """
    return _exact(session, query, filters(since, until, sources))


def _sqlite_ranked(session: Session, words: list[str], conditions, limit: int, every_word: bool = False,
                   phrase_of: list[str] | None = None) -> list[tuple[int, float]]:
    quoted = sqlite_quoted(words)
    together = phrase_of if phrase_of is not None else words
    phrase = sqlite_quoted([" ".join(together)]) if len(together) > 1 else []  # the phrase scores again
    match = " OR ".join(["(" + " AND ".join(quoted) + ")", *phrase] if every_word else quoted + phrase)
    fts = table("papers_fts", column("rowid"))
    rank = func.bm25(literal_column("papers_fts"), TITLE_WEIGHT, 1.0, AUTHORS_WEIGHT)  # lower is better
    stmt = select(fts.c.rowid, rank)
    if conditions:  # the index's rowid is the paper id: join only to filter
        stmt = stmt.join(Paper, Paper.id == fts.c.rowid)
    stmt = stmt.where(literal_column("papers_fts").op("MATCH")(match), *conditions).order_by(rank, fts.c.rowid).limit(limit)
    return [(int(i), -float(r)) for i, r in session.execute(stmt)]


def _postgres_ranked(session: Session, words: list[str], conditions, limit: int, every_word: bool = False,
                     phrase_of: list[str] | None = None, newest: int | None = None) -> list[tuple[int, float]]:
    terms = [w for w in words if w != "or"] or words[:1]
    whole = [w for w in (phrase_of if phrase_of is not None else words) if w != "or"]
    # The phrase scores again; in the OR query only for a short one: ts_rank's cost grows with the query's
    # terms, and a long query's papers holding its words in order hold them all (the every-word query's).
    together = [f'"{" ".join(whole)}"'] if 1 < len(whole) and (every_word or len(whole) <= PHRASE_WORDS) else []
    phrase = " or ".join([" ".join(terms), *together] if every_word else terms + together)
    tsquery = postgres_tsquery(phrase)
    vector: ColumnElement = literal_column("papers.search_vector")
    if newest is None:
        score = func.ts_rank(vector, tsquery)
        stmt = select(Paper.id, score).where(vector.op("@@")(tsquery), *conditions).order_by(score.desc(), Paper.id)
    else:  # score only the newest matches: reading every match's tsvector is what costs (5 to 17 us a row)
        # A word the planner expects in a tenth of the papers or more: walk the newest papers back until enough
        # hold it. Rarer: the index's matches, newest first (``id + 0`` keeps the planner off that walk, which
        # would read most of the table to find them, as the planner chose for a word held by 2 % of the papers).
        often = postgres_planned_rows(session, " ".join(terms) if every_word else terms[0]) >= 10 * newest
        order = Paper.id.desc() if often else (Paper.id + 0).desc()
        held = (select(Paper.id, vector.label("search_vector")).where(vector.op("@@")(tsquery), *conditions)
                .order_by(order).limit(newest).subquery())
        score = func.ts_rank(held.c.search_vector, tsquery)
        stmt = select(held.c.id, score).order_by(score.desc(), held.c.id)
    return [(int(i), float(s)) for i, s in session.execute(stmt.limit(limit))]


def candidates(
    session: Session,
    query: str,
    *,
    limit: int,
    since: dt.date | None = None,
    until: dt.date | None = None,
    sources: Iterable[str] | None = None,
    named_out: list[int] | None = None,
    stop_words: Collection[str] | None = None,
    document_frequency: Callable[[str], float | None] | None = None,
) -> list[tuple[int, float]]:
    """Papers matching ``query`` by the database's full-text index, best first.

    Papers holding every word are asked for first (an AND query: fewer rows to
    score than the OR of the words on a large store); only when they are fewer
    than ``limit`` does the OR query of the rarest words
    (:func:`rarest_within_budget`) fill the list, below them. When even the
    rarest word is held by more papers than the row budget, a query of several
    words keeps the AND query's papers alone (scoring every paper that holds one
    common word scores most of the store and finds little worth showing). On PostgreSQL the every-word
    query, and a one-word query, score only the newest :data:`ROW_BUDGET` papers that match (``ts_rank``
    reads each match's ``tsvector``, and a common query such as "graph neural networks" matches thousands of 100,000 papers).

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
    stop_words : collection of str, optional
        Words of the query not asked for (see :func:`query_words`).
    document_frequency : callable, optional
        Papers that held a word when the TF-IDF model was fitted (None when it does not
        know the word): which words to count first, and how (see :func:`rarest_within_budget`).

    Returns
    -------
    list of (int, float)
        ``(paper_id, lexical_score)``, highest score first. Papers the query names
        exactly come first, scored one above the best full-text score: by reference or whole
        title, else, among the :data:`NAME_CHECK` best matches, by a name their title gives them (:func:`by_name`). Empty when
        nothing matches, the query has no word, or it is a reference alone (:func:`is_reference`) to no stored paper.

    Raises
    ------
    NotImplementedError
        On a backend other than SQLite and PostgreSQL.
    """
    if limit <= 0:
        return []
    conditions = filters(since, until, sources)
    exact = _exact(session, query, conditions)
    if is_reference(query):  # "#6", "2409.11111v2", an arXiv link: that paper (or none), not papers holding "http"
        if named_out is not None:
            named_out.extend(exact)
        return [(paper_id, 1.0) for paper_id in exact]
    words = query_words(query, stop_words)
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
        budget = ROW_BUDGET[backend]
        if len(words) < 2:
            ranked = []
        elif backend == "postgresql":  # ts_rank reads each match's tsvector: the newest matches only
            ranked = _postgres_ranked(session, words, conditions, want, every_word=True, newest=budget)
        else:
            ranked = _sqlite_ranked(session, words, conditions, want, every_word=True)
        rare = rarest_within_budget(session, words, budget, document_frequency=document_frequency) if len(ranked) < want else []
        common = len(rare) == 1 and papers_holding(session, rare[0], budget + 1) > budget
        if common and len(words) > 1:
            rare = []  # every word is common: the every-word query stands alone
        if rare:
            have = {pid for pid, _ in ranked}
            floor = ranked[-1][1] if ranked else None
            if common and backend == "postgresql":
                asked = _postgres_ranked(session, rare, conditions, want, phrase_of=words, newest=budget)
            else:
                asked = ask(session, rare, conditions, want, phrase_of=words)
            more = [(pid, score if floor is None else min(score, floor) * (1 - 1e-6) - 1e-9)
                    for pid, score in asked if pid not in have]
            ranked += more
    if ranked and not exact and ":" not in query:  # "zkDL" names "zkDL: Efficient Zero-Knowledge Proofs of ..."
        exact = by_name(session, query, [pid for pid, _ in ranked[:NAME_CHECK]])
    if named_out is not None:
        named_out.extend(exact)
    top = (ranked[0][1] if ranked else 0.0) + 1.0
    named = set(exact)
    return ([(paper_id, top) for paper_id in exact] + [r for r in ranked if r[0] not in named])[:limit]
