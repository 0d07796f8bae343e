"""Hugging Face Daily Papers API JSON (``GET /api/daily_papers``).

The response is a bare JSON array of items, each with ``paper{id, title, summary,
authors[{name}], publishedAt, upvotes, ...}``; see ``shared/formats/hf_api/NOTES.md``.

Choices:

* ``url`` is the arXiv abstract page ``https://arxiv.org/abs/<id>``, the same URL
  the arXiv parsers give, so one paper has one link whatever digest listed it.
* ``published`` is ``paper.publishedAt`` (the arXiv date).
* The digest day is ``paper.submittedOnDailyAt`` when present, else the date of
  ``item.publishedAt`` (the 2024-era "submitted to Daily" time); the day most
  items agree on is used, the latest on a tie.
* ``upvotes`` is ``paper.upvotes``.
* ``paper.id`` is an arXiv id only when the whole field is one; a DOI there
  (files saved by other tools hold DOIs and PubMed ids) is kept as ``doi`` with a
  doi.org link, and any other id gives neither id nor link.
"""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

from .cleaning import clean_text, decode_input, json_array_lines, load_json
from .records import (
    DigestRecord,
    PaperRecord,
    ParseError,
    impossible_arxiv_id,
    normalize_arxiv_id,
    normalize_doi,
)

__all__ = ["from_value", "is_python_repr_list", "looks_like", "parse"]

KIND = "hf_api"


def is_python_repr_list(value: Any) -> bool:
    """Tell whether ``value`` is a list of Python-repr strings of API items.

    A known saving bug wrote ``str(item)`` for each item, e.g.
    ``["{'paper': {'id': '2412.07730', ...", ...]``.
    """
    return (isinstance(value, list) and bool(value) and isinstance(value[0], str)
            and value[0].lstrip().startswith(("{'paper'", '{"paper"')))


def looks_like(value: Any) -> bool:
    """Tell whether decoded JSON ``value`` is a Daily Papers API response.

    ``True`` for a list whose first element is an object with a ``paper`` object, for an empty list (a day
    without papers) and for the known list-of-Python-repr-strings corruption, which :func:`parse` rejects with a
    specific message.
    """
    if not isinstance(value, list):
        return False
    if not value:
        return True
    first = value[0]
    return (isinstance(first, dict) and isinstance(first.get("paper"), dict)) or is_python_repr_list(value)


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _item(item: Any, number: int, source: str, line: int | None,
          warnings: list[str] | None = None) -> tuple[PaperRecord, dt.date | None]:
    """The record of the array's ``number``-th item (from 1), which starts at ``line``; a ``publishedAt``
    that is no date (``2024-13-45``) leaves the paper undated, said in ``warnings``."""
    where = f"item {number}"
    if not isinstance(item, dict):
        raise ParseError(f"{where} is a {type(item).__name__}, expected an object with a 'paper'",
                         source=source, line=line)
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise ParseError(f"{where} has no 'paper' object", source=source, line=line)
    title = clean_text(paper.get("title") if isinstance(paper.get("title"), str) else item.get("title"))
    if not title:
        raise ParseError(f"{where} has no title", source=source, line=line)
    raw_id = paper.get("id")
    arxiv_id = normalize_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    doi = normalize_doi(raw_id) if isinstance(raw_id, str) and not arxiv_id else None
    if isinstance(raw_id, str) and not arxiv_id and impossible_arxiv_id(raw_id):  # a typo in an id (or in its DOI form)
        raise ParseError(f"{where} ({title[:60]!r}) has id {raw_id.strip()[:40]!r}, which no arXiv paper can have "
                         "(YYMM.NNNNN: a month 01-12, five digits after the dot since 2015, four from April 2007)",
                         source=source, line=line)
    summary = paper.get("summary") if isinstance(paper.get("summary"), str) else item.get("summary")
    authors = paper.get("authors")
    if not isinstance(authors, list):
        authors = []
    names = tuple(n for n in (clean_text(a.get("name")) for a in authors
                              if isinstance(a, dict) and isinstance(a.get("name"), str)) if n)
    published = _date(paper.get("publishedAt"))
    if published is None and isinstance(paper.get("publishedAt"), str) and paper["publishedAt"].strip() \
            and warnings is not None:
        warnings.append(f"{source}:{line or '?'}: {where} ({title[:60]!r}) has publishedAt "
                        f"{paper['publishedAt'][:40]!r}, which is no date; the paper is stored undated")
    record = PaperRecord(
        title=title,
        abstract=clean_text(summary if isinstance(summary, str) else ""),
        authors=names,
        arxiv_id=arxiv_id,
        published=published,
        url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else (f"https://doi.org/{doi}" if doi else None),
        upvotes=_int(paper.get("upvotes")),
        doi=doi,
        line=line,
    )
    day = _date(paper.get("submittedOnDailyAt")) or _date(item.get("publishedAt"))
    return record, day


def parse(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Parse a Hugging Face Daily Papers API response.

    Parameters
    ----------
    data : bytes or str
        The JSON text (a bare array of items); bytes are decoded as UTF-8.
    source : str
        File name or URL, used in error messages.

    Returns
    -------
    DigestRecord
        ``kind="hf_api"``, one :class:`PaperRecord` per item in order (title,
        abstract, authors, arXiv id, arXiv date, arXiv abs URL, upvotes, the line the item
        starts on), and the
        digest day (see the module notes).  An empty array gives no papers and
        no date.

    Raises
    ------
    ParseError
        Invalid JSON or undecodable bytes; a top-level value that is not an
        array; the known corruption where each item was saved as a Python-repr
        string; an item without a ``paper`` object or a title. An item's error names
        it counting from 1 (``item 1``) and the line where it starts.
    """
    text = decode_input(data, source)
    if not text.strip():
        raise ParseError("empty input: no JSON to parse", source=source)
    return from_value(load_json(text, source), text, source)


def from_value(value: Any, text: str, source: str = "<input>") -> DigestRecord:
    """Parse an already decoded API response ``value`` (``text`` is its JSON, for line numbers).

    Same result and errors as :func:`parse`; lets callers that decoded the JSON
    to detect the format avoid decoding it twice.
    """
    if is_python_repr_list(value):
        raise ParseError(
            "items are Python-repr strings (\"{'paper': ...}\"), not JSON objects: the file was "
            "saved with str(item) instead of JSON; fetch the day again from the API",
            source=source,
            line=next((n for n, row in enumerate(text.splitlines(), 1) if row.lstrip().startswith('"')), None))
    if not isinstance(value, list):
        kind = type(value).__name__ if not isinstance(value, dict) else f"object with keys {sorted(value)[:5]}"
        raise ParseError(f"expected a JSON array of Daily Papers items, got {kind}", source=source)
    papers, days, warnings = [], [], []
    lines = json_array_lines(text)
    for index, item in enumerate(value):
        record, day = _item(item, index + 1, source, lines[index] if len(lines) == len(value) else None, warnings)
        papers.append(record)
        if day:
            days.append(day)
    digest_day = None
    if days:
        counts = collections.Counter(days)
        digest_day = max(counts, key=lambda d: (counts[d], d))
    return DigestRecord(kind=KIND, papers=papers, date=digest_day, warnings=warnings)
