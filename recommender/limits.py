"""A digest's records checked against what the store's columns hold, before anything is written.

PostgreSQL refuses a value longer than its ``VARCHAR`` or beyond its ``INTEGER`` when the
transaction writes it (an error naming neither file nor entry), and SQLite stores it as it is, or
cannot convert an integer beyond 64 bits. Checking the records first gives both databases the
same answer: the digest is refused with a :class:`ParseError` naming the file and the entry's
line, and nothing of it is stored. Numbers out of range are refused, never clamped: a count no
column can hold is a broken file, not a popular paper.

The limits are read from the models (:mod:`recommender.store.models`): ``papers.title_key``
(the normalised title, 1000 characters), ``papers.arxiv_id`` (64), ``papers.doi`` (255) and
``digest_entries.upvotes`` (a 32-bit ``INTEGER``). The normalised title is indexed, and a
PostgreSQL B-tree entry holds at most 2704 bytes: it is also held to :data:`TITLE_KEY_BYTES` of
UTF-8 (1000 Chinese characters take 3000). A title, abstract, author list and URL have no
limit of their own (``TEXT`` and ``JSON`` columns), but no text PostgreSQL stores may hold a
NUL character: a record holding one anywhere is refused too.
"""

from __future__ import annotations

from sqlalchemy import String

from recommender.sources.records import PaperRecord, ParseError, title_key
from recommender.store.models import Paper

__all__ = ["INTEGER_RANGE", "TITLE_KEY_BYTES", "check_records"]

INTEGER_RANGE = (-(2**31), 2**31 - 1)
"""What an ``INTEGER`` column holds on PostgreSQL (32 bits); SQLite's holds more, the store keeps the smaller."""


def _length(column: str) -> int:
    """The ``VARCHAR`` length of ``papers.<column>``."""
    kind = Paper.__table__.c[column].type
    if not isinstance(kind, String) or kind.length is None:
        raise TypeError(f"papers.{column} has no length")
    return kind.length


_TITLE_KEY, _ARXIV_ID, _DOI = _length("title_key"), _length("arxiv_id"), _length("doi")

TITLE_KEY_BYTES = 2000
"""UTF-8 bytes of a normalised title at most: under the 2704 bytes of a PostgreSQL B-tree index entry
(https://www.postgresql.org/docs/current/btree.html, "Index Entry Size"), with room for its header."""


def _nul_field(record: PaperRecord) -> str | None:
    """The first field of ``record`` holding a NUL character, which PostgreSQL text refuses; None when none does."""
    for name in ("title", "abstract", "arxiv_id", "doi", "url", "venue", "pages"):
        value = getattr(record, name)
        if isinstance(value, str) and "\x00" in value:
            return name
    return "authors" if any("\x00" in a for a in record.authors) else None


def _problem(record: PaperRecord) -> str | None:
    key = title_key(record.title)
    if len(key) > _TITLE_KEY:
        return (f"title too long ({len(key)} characters once normalised for matching; at most {_TITLE_KEY}): "
                f"{record.title[:60]!r}...")
    if len(key.encode()) > TITLE_KEY_BYTES:
        return (f"title too long ({len(key.encode())} bytes of UTF-8 once normalised for matching; at most "
                f"{TITLE_KEY_BYTES}): {record.title[:60]!r}...")
    nul = _nul_field(record)
    if nul is not None:
        return f"the {nul} holds a NUL character, which no stored text can hold: {record.title[:60]!r}"
    if record.arxiv_id and len(record.arxiv_id) > _ARXIV_ID:
        return f"arXiv id too long ({len(record.arxiv_id)} characters; at most {_ARXIV_ID}): {record.arxiv_id[:60]!r}..."
    if record.doi and len(record.doi) > _DOI:
        return f"DOI too long ({len(record.doi)} characters; at most {_DOI}): {record.doi[:60]!r}..."
    low, high = INTEGER_RANGE
    if record.upvotes is not None and not low <= record.upvotes <= high:
        return f"upvote count {record.upvotes} out of range (the store holds {low} to {high}): {record.title[:60]!r}"
    return None


def check_records(records: list[PaperRecord], source: str) -> None:
    """Refuse the digest when one of its ``records`` holds a value the store cannot hold.

    Raises
    ------
    ParseError
        For the first such record, naming ``source`` and the record's line (``PaperRecord.line``,
        which every parser sets), the field, its length or value and the limit.
    """
    for record in records:
        problem = _problem(record)
        if problem is not None:
            raise ParseError(problem, source=source, line=record.line)
