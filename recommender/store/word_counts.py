"""How many stored papers hold a word, by the full-text index: which words a search may OR.

A search ORs a query's rarest words while the papers holding them stay within a
row budget (:func:`rarest_within_budget`, used by :mod:`recommender.store.fulltext`).
Counting is by the index itself, so its stemming decides what a word matches, and
stops at the budget: a word held by more papers is only known to be too common.

* SQLite: ``count(*)`` over the FTS5 table's matches, up to the budget.
* PostgreSQL: counting reads heap rows, so a word the planner's statistics already
  expect in at least the budget is not counted (the "count estimate" of
  https://wiki.postgresql.org/wiki/Count_estimate), and the words the TF-IDF model
  knows to be rare are counted together in one statement
  (:func:`count_rare_words`): planning a statement costs more than counting a rare
  word's few papers.

Counts are cached per process and database and not invalidated as papers arrive:
they only order a query's words and bound the budget, where a day's growth does
not matter. A count of 0 is never cached: a word no paper held (a typo, or a topic
new to the store) may be held after the next digest, and respelling it then would be wrong.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import ColumnElement, Engine, Select, func, literal_column, select, text
from sqlalchemy.orm import Session

from recommender.store.models import Paper

__all__ = ["count_rare_words", "papers_holding", "postgres_planned_rows", "postgres_tsquery",
           "rarest_within_budget", "sqlite_quoted"]

_COUNT_CACHE_SIZE = 100_000
_counts: OrderedDict[tuple[str, str, str, int], int] = OrderedDict()
_counts_lock = threading.Lock()

_POSTGRES_COUNTS = text(
    # MATERIALIZED: each word's tsquery is built once, not again for every heap row the count reads
    "WITH asked AS MATERIALIZED ("
    " SELECT w, websearch_to_tsquery('english'::regconfig, w) || websearch_to_tsquery('simple'::regconfig, w) AS q"
    " FROM unnest(CAST(:words AS text[])) AS w)"
    " SELECT asked.w, (SELECT count(*) FROM (SELECT 1 FROM papers WHERE papers.search_vector @@ asked.q LIMIT :n) AS held)"
    " FROM asked"
)


def sqlite_quoted(words: list[str]) -> list[str]:
    """``words`` as FTS5 strings (double-quoted, inner quotes doubled), so no word is read as an operator."""
    return ['"' + w.replace('"', '""') + '"' for w in words]


def postgres_tsquery(phrase: str) -> ColumnElement:
    """The PostgreSQL ``tsquery`` of ``phrase``, matching ``papers.search_vector`` (migration 0004).

    ``websearch_to_tsquery`` never raises on user text; "or" joins words, a space
    requires both. Title and abstract are indexed with the 'english' configuration
    (stemmed), author names with 'simple', so the query is the OR of both.
    """
    return func.websearch_to_tsquery(literal_column("'english'::regconfig"), phrase).op("||")(
        func.websearch_to_tsquery(literal_column("'simple'::regconfig"), phrase)
    )


def _postgres_holding(word: str) -> Select:
    """``SELECT id FROM papers`` holding ``word`` by the index."""
    return select(Paper.id).where(literal_column("papers.search_vector").op("@@")(postgres_tsquery(word)))


def _cached(session: Session, key: tuple[str, str, int], compute: Callable[[], int]) -> int:
    full = _key(session, key)
    with _counts_lock:
        if full in _counts:
            _counts.move_to_end(full)
            return _counts[full]
    n = compute()
    _remember({full: n})
    return n


def _key(session: Session, key: tuple[str, str, int]) -> tuple[str, str, str, int]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return (engine.url.render_as_string(hide_password=True), *key)


def _remember(found: dict[tuple[str, str, str, int], int]) -> None:
    with _counts_lock:
        _counts.update({key: n for key, n in found.items() if n})  # a word no paper holds may come with the next digest
        while len(_counts) > _COUNT_CACHE_SIZE:
            _counts.popitem(last=False)


def postgres_planned_rows(session: Session, word: str) -> int:
    """The planner's estimate of the papers holding ``word`` (PostgreSQL): the column's lexeme statistics, no row read.

    Cached with the counts.
    """
    def plan() -> int:
        compiled = _postgres_holding(word).compile(session.get_bind())
        found = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar_one()
        found = json.loads(found) if isinstance(found, str) else found
        return int(float(found[0]["Plan"]["Plan Rows"]))

    return _cached(session, ("planned", word, 0), plan)


def _sqlite_count(session: Session, word: str, at_most: int) -> int:
    sql = text("SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH :m LIMIT :n)")
    return int(session.execute(sql, {"m": sqlite_quoted([word])[0], "n": at_most}).scalar_one())


def _postgres_count(session: Session, word: str, at_most: int, rare: bool = False) -> int:
    # A word the planner expects in at least ``at_most`` papers is common: counting it would read that many
    # heap rows. The others are counted, up to ``at_most``. A word known to be rare is counted at once.
    if word == "or":
        return 0
    if not rare and postgres_planned_rows(session, word) >= at_most:
        return at_most
    holding = _postgres_holding(word).limit(at_most).subquery()
    return int(session.scalar(select(func.count()).select_from(holding)) or 0)


def papers_holding(session: Session, word: str, at_most: int = 1_000_000_000, *, rare: bool = False) -> int:
    """How many stored papers hold ``word`` by the full-text index, counted up to ``at_most`` (cached per process and database).

    On PostgreSQL a word the planner's statistics already expect in ``at_most``
    papers or more is not counted at all (counting reads heap rows there), and
    the answer is ``at_most``. ``rare``: the caller knows the word to be held by
    fewer than ``at_most`` papers, so PostgreSQL counts it without asking the
    planner first (a round trip, and its estimate is the same for every word
    outside the column's most common ones).
    """
    if session.get_bind().dialect.name == "sqlite":
        return _cached(session, ("count", word, at_most), lambda: _sqlite_count(session, word, at_most))
    return _cached(session, ("count", word, at_most), lambda: _postgres_count(session, word, at_most, rare))


def count_rare_words(session: Session, words: list[str], at_most: int) -> dict[str, int]:
    """Count ``words`` (each up to ``at_most`` papers) in one PostgreSQL statement, into the cache :func:`papers_holding` reads.

    For words known to be rare (the TF-IDF model saw them in fewer than
    ``at_most`` papers): one statement instead of one per word, each word's
    ``tsquery`` built once. Words already cached are not asked again; on SQLite,
    and for no word, nothing is asked (FTS5 counts a word in microseconds).
    Returns the words asked and their counts, those of 0 included (which the cache does not keep).
    """
    if session.get_bind().dialect.name != "postgresql":
        return {}
    with _counts_lock:
        asked = [w for w in dict.fromkeys(words) if _key(session, ("count", w, at_most)) not in _counts]
    counted = {"or": 0} if "or" in asked else {}
    asked = [w for w in asked if w != "or"]
    if asked:
        counted.update((word, int(n)) for word, n in session.execute(_POSTGRES_COUNTS, {"words": asked, "n": at_most}))
    _remember({_key(session, ("count", word, at_most)): n for word, n in counted.items()})
    return counted


def _or_first(df: float | None) -> float:
    return -1.0 if df is None else df


def _likely_counted(order: list[str], known: dict[str, float | None], rare: set[str], budget: int) -> list[str]:
    """The rare words :func:`rarest_within_budget` will count if the index agrees with the model's frequencies."""
    out: list[str] = []
    within = 0.0
    for word in order:
        if word in rare:
            out.append(word)
            within += known[word] or 0.0
        elif known.get(word) is not None:  # the first word the model puts over the budget ends the counting
            break
        if within > budget:
            break
    return out


def rarest_within_budget(session: Session, words: list[str], budget: int,
                         document_frequency: Callable[[str], float | None] | None = None) -> list[str]:
    """The words to OR: rarest first, while the papers holding them stay within ``budget``; the rarest is always kept.

    Each word is counted by the index (:func:`papers_holding`, up to ``budget + 1``,
    cached): the index's own stemming decides what a word matches ("base" also
    matches "based"), which the TF-IDF vocabulary's counts would miss. Words no
    stored paper holds are dropped. Returned in the query's order.

    With ``document_frequency`` (how many papers held a word when the TF-IDF model
    was fitted; None for a word it does not know), words are counted rarest first
    by it, the words it puts under the budget are counted together without asking
    the planner (:func:`count_rare_words`), and counting stops once the counted
    words it knows hold more than the budget (the rest are commoner by the model), or once a word
    the model saw in more papers than the budget is reached after a word some paper holds (the index,
    which holds every paper the model saw, holds it in as many: it could join no word kept before it).
    A word the model does not know is counted first, by the planner's leave: it is
    rare, or so common that the model dropped it, which the index tells.
    """
    known = {w: document_frequency(w) for w in words} if document_frequency is not None else {}
    order = sorted(words, key=lambda w: _or_first(known.get(w))) if known else list(words)
    rare = {w for w, df in known.items() if df is not None and df < budget}
    fresh = count_rare_words(session, _likely_counted(order, known, rare, budget), budget + 1)
    counts: dict[str, int] = {}
    within = 0
    for word in order:
        df = known.get(word)
        if df is not None and df > budget and any(counts.values()):
            # The index holds this word in at least the papers the model saw holding it: more than the budget, as
            # are the words after it (commoner by the model). None of them would join the words kept below.
            break
        counts[word] = fresh[word] if word in fresh else papers_holding(session, word, budget + 1, rare=word in rare)
        within += counts[word] if df is not None and counts[word] <= budget else 0  # unknown words are out of order
        if known and within > budget:
            break
    kept: set[str] = set()
    total = 0
    for word in sorted((w for w in counts if counts[w] > 0), key=lambda w: counts[w]):
        if kept and total + counts[word] > budget:
            break
        kept.add(word)
        total += counts[word]
    return [w for w in words if w in kept]
