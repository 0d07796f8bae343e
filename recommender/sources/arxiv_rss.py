"""rss.arxiv.org listing feeds: the daily new/cross/replace announcements.

Two inputs are accepted, told apart by content:

* the raw feed as served (RSS 2.0 or Atom, see ``arxiv-docs_rss_specifications.md``),
  parsed with ``feedparser``;
* feedparser's already-parsed result saved as JSON, as feed-reading tools cache it:
  either one ``{"feed": {...}, "entries": [...]}`` object or an object mapping feed
  URLs to such objects (entries of all feeds are returned in file order).

Each entry's description reads ``arXiv:2203.01250v3 Announce Type: replace-cross
\\nAbstract: ...``; the announce type comes from ``<arxiv:announce_type>`` when
present, else from that text, and the abstract is the text after ``Abstract:``.
``url`` is the canonical ``https://arxiv.org/abs/<id>``; the digest date is the
channel's announcement date (``pubDate``), else its ``updated`` day.

An item's ``pubDate`` is the day of *this* announcement, which is the paper's
publication date only when the paper is first released that day. So ``published``
is the item's day for a ``new`` announcement; ``None`` (unknown) for ``replace`` and
``replace-cross`` (a new version of a paper first published earlier; the feed does
not say when); and for ``cross`` (or no announce type) the item's day only when
the arXiv id was assigned in that month or the month before, since a listing added
to an older paper is announced as ``cross`` too (``2411.17411v1`` in the listing of
2025-05-26). No day is guessed from the id: the store shows such papers as undated
until a source that knows the date (the arXiv API) brings it.

Feeds re-serialised by other tools are read too:

* namespace prefixes stripped (``<announce_type>``, ``<creator>``, ``<doi>``, or
  JSON keys ``announce_type``, ``creator``, ``dc_creator``);
* HTML or other text before ``arXiv:<id> Announce Type: <type> Abstract:`` in
  the description: only the text after ``Abstract:`` is the abstract;
* no announce type anywhere: an entry whose id carries a version above 1
  (``2203.01250v3``) is a replacement, since new papers are announced at v1.
"""

from __future__ import annotations

import collections
import datetime as dt
import re
from typing import Any

from .arxiv_atom import abs_url, entry_lines, feed_date, read_feed, xml_root
from .cleaning import clean_text, decode_input, json_array_lines, load_json, split_authors, strip_tags
from .records import (
    DigestRecord,
    PaperRecord,
    ParseError,
    normalize_arxiv_id,
    normalize_doi,
)

__all__ = ["ANNOUNCE_TYPES", "from_json", "looks_like_json", "looks_like_xml", "parse"]

KIND = "arxiv_rss"
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")

_HEAD = 4000
_RSS_MARK = re.compile(r"rss\.arxiv\.org|announce_type|oai:arXiv\.org|arXiv\.org e-print archive", re.IGNORECASE)
# The marker may follow other text (HTML, journal references) that re-serialisers put first.
_DESCRIPTION = re.compile(
    r"(?:arXiv:(?P<id>\S+)\s+)?Announce\s+Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)$",
    re.DOTALL | re.IGNORECASE,
)
_ABSTRACT_LABEL = re.compile(r"(?:^|\s)Abstract:\s*(?P<abstract>.*)$", re.DOTALL)
_VERSION = re.compile(r"v(?P<n>\d+)(?:\.pdf)?/?$")
# The year and month an arXiv id was assigned: 2411.17411 (new style, since 2007), hep-th/9901001 (old style).
_ID_MONTH = re.compile(r"(?:^|/)(?P<yy>\d{2})(?P<mm>\d{2})(?:\.\d{4,5}|\d{3})$")
# Keys an entry's fields have under feedparser, with and without namespace prefixes.
_ANNOUNCE_KEYS = ("arxiv_announce_type", "announce_type")
_AUTHOR_KEYS = ("author", "dc_creator", "creator")
_DOI_KEYS = ("arxiv_doi", "doi", "dc_identifier")


def looks_like_xml(text: str) -> bool:
    """Tell whether ``text`` is a raw rss.arxiv.org feed (RSS 2.0 or Atom).

    ``True`` for an ``<rss>``/``<feed>`` document whose first few kilobytes carry an rss.arxiv.org marker (feed
    link, ``announce_type``, ``oai:arXiv.org``).
    """
    return xml_root(text) in ("rss", "feed", "rdf:RDF") and bool(_RSS_MARK.search(text[:_HEAD]))


def _feeds(value: Any) -> list[tuple[tuple[str, ...], dict]] | None:
    """The ``{"feed", "entries"}`` objects in a cached JSON value, each with its keys from the top, or ``None``."""
    if isinstance(value, dict) and isinstance(value.get("entries"), list):
        return [((), value)]
    if isinstance(value, dict) and value and all(
            isinstance(v, dict) and isinstance(v.get("entries"), list) for v in value.values()):
        return [((url,), feed) for url, feed in value.items()]
    return None


def looks_like_json(value: Any) -> bool:
    """Tell whether decoded JSON ``value`` is a cached feedparser result of an arXiv listing.

    ``True`` for ``{"feed", "entries"}`` (or a map of URLs to such objects) whose first entry, if any, has an
    arXiv id or an ``Announce Type``.
    """
    feeds = _feeds(value)
    if not feeds:
        return False
    entries = [e for _, f in feeds for e in f["entries"]]
    if not entries:
        return True
    first = entries[0]
    if not isinstance(first, dict):
        return False
    probe = " ".join(str(first.get(k, "")) for k in ("id", "summary", "link"))
    return "announce type" in probe.lower() or "arxiv" in probe.lower()


def _first_str(entry: dict, keys: tuple[str, ...]) -> str | None:
    return next((entry[k] for k in keys if isinstance(entry.get(k), str) and entry[k].strip()), None)


def _summary(entry: dict) -> tuple[str, re.Match | None]:
    """The description as text (HTML tags dropped when feedparser says it is HTML) and its marker match."""
    raw = entry.get("summary") if isinstance(entry.get("summary"), str) else ""
    detail = entry.get("summary_detail")
    if isinstance(detail, dict) and "html" in str(detail.get("type", "")):
        raw = strip_tags(raw)
    return raw, _DESCRIPTION.search(raw)


def _abstract(raw: str, m: re.Match | None) -> str:
    if m:
        return clean_text(m.group("abstract"))
    label = _ABSTRACT_LABEL.search(raw)
    return clean_text(label.group("abstract") if label else raw)


def _version(values: list) -> int | None:
    for value in values:
        m = _VERSION.search(value) if isinstance(value, str) and normalize_arxiv_id(value) else None
        if m:
            return int(m.group("n"))
    return None


def _first_release(arxiv_id: str, announce: str | None, day: dt.date | None) -> dt.date | None:
    """``day`` when this announcement is the paper's first release (see the module docstring), else ``None``."""
    if day is None or announce in ("replace", "replace-cross"):
        return None
    if announce == "new":
        return day
    m = _ID_MONTH.search(arxiv_id)
    if m is None:
        return None
    yy, mm = int(m.group("yy")), int(m.group("mm"))
    year = 1900 + yy if "/" in arxiv_id and yy >= 91 else 2000 + yy  # old-style ids began in 1991
    return day if 0 <= (day.year - year) * 12 + day.month - mm <= 1 else None


def _entry(entry: Any, index: int, source: str, line: int | None) -> PaperRecord:
    """The record of the digest's ``index``-th entry (from 1), which starts at ``line``."""
    if not isinstance(entry, dict):
        raise ParseError(f"entry {index} is a {type(entry).__name__}, expected an object", source=source, line=line)
    title = clean_text(entry.get("title")) if isinstance(entry.get("title"), str) else ""
    raw_summary, m = _summary(entry)
    announce = _first_str(entry, _ANNOUNCE_KEYS) or (m.group("type") if m else None)
    announce = clean_text(announce).lower() or None if announce else None
    if announce is not None and announce not in ANNOUNCE_TYPES:
        raise ParseError(f"entry {index} ({title[:50]!r}) has unknown announce type {announce!r}", source=source,
                         line=line)
    ids = [entry.get("id"), f"arXiv:{m.group('id')}" if m and m.group("id") else None, entry.get("link")]
    arxiv_id = next((normalize_arxiv_id(v) for v in ids if isinstance(v, str) and normalize_arxiv_id(v)), None)
    if not title or not arxiv_id:
        raise ParseError(f"entry {index} has no {'title' if not title else 'arXiv id'}", source=source, line=line)
    if announce is None and (_version(ids) or 1) > 1:
        announce = "replace"
    author = _first_str(entry, _AUTHOR_KEYS)
    if author is None:
        people = entry.get("authors") if isinstance(entry.get("authors"), list) else []
        author = ", ".join(a["name"] for a in people if isinstance(a, dict) and isinstance(a.get("name"), str))
    return PaperRecord(
        title=title,
        abstract=_abstract(raw_summary, m),
        authors=split_authors(author),
        arxiv_id=arxiv_id,
        published=_first_release(arxiv_id, announce,
                                 feed_date(entry.get("published")) or feed_date(entry.get("published_parsed"))),
        url=abs_url(arxiv_id, entry),
        announce_type=announce,
        doi=normalize_doi(_first_str(entry, _DOI_KEYS)),
        line=line,
    )


def _digest(feeds: list[tuple[Any, list[int | None]]], source: str) -> DigestRecord:
    """The digest of ``feeds``, each with the lines its entries start on; entries are counted across feeds."""
    papers: list[PaperRecord] = []
    dates = []
    for feed, lines in feeds:
        meta = feed.get("feed") if isinstance(feed.get("feed"), dict) else {}
        date = (feed_date(meta.get("published")) or feed_date(meta.get("updated"))
                or feed_date(meta.get("published_parsed")) or feed_date(meta.get("updated_parsed")))
        if date:
            dates.append(date)
        for entry, line in zip(feed["entries"], lines, strict=True):
            papers.append(_entry(entry, len(papers) + 1, source, line))
    if not dates:
        dates = [p.published for p in papers if p.published]
    counts = collections.Counter(dates)
    day = max(counts, key=lambda d: (counts[d], d)) if counts else None
    return DigestRecord(kind=KIND, papers=papers, date=day)


def from_json(value: Any, source: str = "<input>", text: str | None = None) -> DigestRecord:
    """Parse feedparser's cached result, already decoded from JSON (see :func:`parse`).

    ``text`` is the JSON ``value`` was decoded from, for the line each entry starts on; without it
    (or when it does not hold ``value``'s entries) records and errors carry no line.
    """
    feeds = _feeds(value)
    if feeds is None:
        raise ParseError("JSON is not a cached feed: expected {'feed': ..., 'entries': [...]} "
                         "or a map of feed URLs to such objects", source=source)
    with_lines = []
    for path, feed in feeds:
        count = len(feed["entries"])
        lines = json_array_lines(text, (*path, "entries")) if text is not None else []
        with_lines.append((feed, lines if len(lines) == count else [None] * count))
    return _digest(with_lines, source)


def parse(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Parse an rss.arxiv.org listing feed, raw XML or feedparser's cached JSON.

    Parameters
    ----------
    data : bytes or str
        The feed; bytes are decoded as UTF-8.  JSON is recognised by a leading
        ``{``; anything else is read as XML.
    source : str
        File name or URL, used in error messages.

    Returns
    -------
    DigestRecord
        ``kind="arxiv_rss"``; one :class:`PaperRecord` per entry in order, with
        title, abstract (the ``Abstract:`` part), authors, version-less arXiv id,
        ``published`` (the announcement day for a first release, else ``None``:
        see the module docstring), canonical abs URL and ``announce_type``.  An
        empty feed (weekends, holidays) gives no papers; the digest date is the
        channel's announcement day.

    Raises
    ------
    ParseError
        Undecodable bytes; invalid JSON or JSON of another shape; text that is
        not a feed; an entry without title or arXiv id, or with an announce type
        other than ``new``, ``cross``, ``replace``, ``replace-cross``. An entry's error
        names it counting from 1 (``entry 1``) and the line it starts on (its ``<item>``
        or ``<entry>``, or its object in the JSON).
    """
    text = decode_input(data, source)
    if not text.strip():
        raise ParseError("empty input: nothing to parse", source=source)
    if text.lstrip().startswith("{"):
        return from_json(load_json(text, source), source, text)
    parsed = read_feed(text, source)
    feed = {"feed": dict(parsed.get("feed", {})), "entries": [dict(e) for e in parsed.entries]}
    return _digest([(feed, entry_lines(text, len(parsed.entries)))], source)
