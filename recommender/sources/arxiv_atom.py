"""arXiv API responses (``export.arxiv.org/api/query``), an Atom feed.

Both shapes in ``shared/formats/arxiv/`` are handled: the legacy one (namespaces
declared on each element, hard-wrapped summaries, http links) and the current one
(namespaces on ``<feed>``, https links, one-line summaries).  Parsing is done by
``feedparser``.

Choices: ``arxiv_id`` is the entry ``<id>`` without version; ``url`` is the
canonical ``https://arxiv.org/abs/<id>`` (no version, the same URL the other
parsers give); ``published`` is the entry's ``<published>`` day, the first
version's (``<updated>`` is the latest version's and is never used for it: an
entry without ``<published>`` is undated); ``doi`` is
``<arxiv:doi>`` when given; the digest date is the day the API generated the
response (feed ``<updated>``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import re
import time
from typing import Any
from xml.parsers import expat

import feedparser

from .cleaning import clean_text, decode_input
from .records import (
    DigestRecord,
    PaperRecord,
    ParseError,
    normalize_arxiv_id,
    normalize_doi,
)

__all__ = ["entry_lines", "feed_date", "looks_like", "parse", "read_feed"]

KIND = "arxiv_atom"

_HEAD = 4000
_ROOT = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:[\w.-]+:)?(?P<root>feed|rss|rdf:RDF)\b",
                   re.DOTALL)
_CLOSED = re.compile(r"</(?:[\w.-]+:)?(?:feed|rss|RDF)\s*>\s*(?:<!--.*?-->\s*)*$", re.DOTALL)
_API_MARK = re.compile(r"arxiv\.org/api|arxiv\.org/schemas/atom|arxiv\.org/abs/", re.IGNORECASE)


def xml_root(text: str) -> str | None:
    """Return the root element name (``feed``, ``rss``, ``rdf:RDF``) of a feed document, else ``None``."""
    m = _ROOT.match(text[:_HEAD])
    return m.group("root") if m else None


def looks_like(text: str) -> bool:
    """Tell whether ``text`` is an arXiv API Atom response.

    ``True`` for an Atom ``<feed>`` that mentions the arXiv API or the arXiv Atom schema near its start and is
    not an rss.arxiv.org listing feed.
    """
    head = text[:_HEAD]
    return (xml_root(text) == "feed" and bool(_API_MARK.search(head))
            and "rss.arxiv.org" not in head and "announce_type" not in head)


def read_feed(text: str, source: str) -> Any:
    """Parse feed XML text with feedparser, offline.

    Parameters
    ----------
    text : str
        The XML document (already decoded).
    source : str
        Name used in error messages.

    Returns
    -------
    feedparser.FeedParserDict
        The parsed feed.

    Raises
    ------
    ParseError
        When feedparser finds no feed at all (no version detected), the XML is
        broken badly enough that no entries or feed title could be read, or the
        document stops before its root element is closed (a truncated file:
        its last entry would be cut off).
    """
    # A file-like object keeps feedparser from treating the text as a URL or path;
    # the header tells it the bytes are UTF-8 whatever the XML declaration says.
    try:
        parsed = feedparser.parse(io.BytesIO(text.encode("utf-8", "replace")),
                                  response_headers={"content-type": "application/xml; charset=utf-8"})
    except Exception as exc:  # noqa: BLE001 - feedparser reports errors in .bozo; this is a last guard
        raise ParseError(f"could not parse feed XML: {exc}", source=source) from None
    if not parsed.get("version") and not parsed.get("entries"):
        problem = parsed.get("bozo_exception")
        raise ParseError(f"not an Atom/RSS feed{f': {problem}' if problem else ''}", source=source,
                         line=_bozo_line(problem))
    if parsed.get("bozo") and not parsed.get("entries") and not parsed.get("feed", {}).get("title"):
        problem = parsed.get("bozo_exception")
        raise ParseError(f"broken feed XML: {problem}", source=source, line=_bozo_line(problem))
    if not _CLOSED.search(text[-2000:]):
        raise ParseError("the feed stops before its closing tag: the file is cut off (truncated download?)",
                         source=source, line=text.count("\n") + 1)
    return parsed


def entry_lines(text: str, count: int) -> list[int | None]:
    """1-based line where each of a feed's ``count`` entries starts (``<entry>`` in Atom, ``<item>`` in RSS).

    Read with the standard library's expat parser, which counts lines as written: an entry or
    item element with any namespace prefix, not inside another one. Feedparser gives no lines,
    so when expat finds a number of entries other than ``count`` (XML broken enough that
    feedparser fell back to its loose parser) every line is None (unknown) rather than a wrong one.
    """
    lines: list[int] = []
    depth = 0
    parser = expat.ParserCreate(encoding="UTF-8")

    def start(name: str, _attrs: Any) -> None:
        nonlocal depth
        if name.rpartition(":")[2] in ("entry", "item"):
            if depth == 0:
                lines.append(parser.CurrentLineNumber)
            depth += 1

    def end(name: str) -> None:
        nonlocal depth
        if name.rpartition(":")[2] in ("entry", "item"):
            depth -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(text.encode("utf-8", "replace"), True)
    except expat.ExpatError:
        pass  # the entries before the break were counted; the count decides below
    return list(lines) if len(lines) == count else [None] * count


def _bozo_line(problem: Any) -> int | None:
    getter = getattr(problem, "getLineNumber", None)
    try:
        return int(getter()) if getter else None
    except Exception:  # noqa: BLE001 - a line number is a nicety; any failure means "unknown"
        return None


def feed_date(value: Any) -> dt.date | None:
    """Return the calendar day a feed date states, else ``None``.

    Parameters
    ----------
    value : str or time.struct_time or None
        An ISO-8601 (``2012-01-23T21:15:02Z``) or RFC 822 (``Mon, 26 May 2025
        00:00:00 -0400``) string, read in its own time zone, or a feedparser
        ``*_parsed`` tuple (UTC).

    Returns
    -------
    datetime.date or None
        Never raises.
    """
    if isinstance(value, str):
        text = value.strip()
        m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
        try:
            if m:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            return email.utils.parsedate_to_datetime(text).date() if text else None
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if isinstance(value, (time.struct_time, tuple)) and len(value) >= 3:
        try:
            return dt.date(value[0], value[1], value[2])
        except (TypeError, ValueError):
            return None
    return None


def _entry_date(entry: Any, *keys: str) -> dt.date | None:
    """Date of the first of ``keys`` present, from the text as written, else feedparser's UTC tuple."""
    for key in keys:
        date = feed_date(entry.get(key)) or feed_date(entry.get(f"{key}_parsed"))
        if date:
            return date
    return None


def abs_url(arxiv_id: str | None, entry: Any) -> str | None:
    """Canonical abstract URL for ``arxiv_id``, else the entry's alternate link."""
    if arxiv_id:
        return f"https://arxiv.org/abs/{arxiv_id}"
    for link in entry.get("links", []) or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return entry.get("link") or None


def _authors(entry: Any) -> tuple[str, ...]:
    names = (clean_text(a.get("name")) for a in entry.get("authors", []) or [] if isinstance(a, dict))
    return tuple(n for n in names if n)


def parse(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Parse an arXiv API Atom response.

    Parameters
    ----------
    data : bytes or str
        The Atom XML; bytes are decoded as UTF-8.
    source : str
        File name or URL, used in error messages.

    Returns
    -------
    DigestRecord
        ``kind="arxiv_atom"``; one :class:`PaperRecord` per entry in order with
        title, abstract, authors, version-less arXiv id, published date (the
        first version's ``<published>``, else ``None``) and the canonical abs URL; ``date`` is the feed's ``<updated>`` day.  A response
        with no entries gives no papers.

    Raises
    ------
    ParseError
        Undecodable bytes, text that is not a feed, an API error response
        (``<id>http://arxiv.org/api/errors...``, its message is passed on), or an
        entry with no title or no arXiv id; an entry's error names it counting from 1
        (``entry 1``) and the line its ``<entry>`` starts on.
    """
    text = decode_input(data, source)
    if not text.strip():
        raise ParseError("empty input: no XML to parse", source=source)
    feed = read_feed(text, source)
    papers = []
    lines = entry_lines(text, len(feed.entries))
    # Plain dicts: FeedParserDict maps missing keys (updated -> published) with a warning.
    for index, (entry, line) in enumerate(zip(map(dict, feed.entries), lines, strict=True), start=1):
        entry_id = entry.get("id", "") or ""
        if "arxiv.org/api/errors" in entry_id:
            raise ParseError(f"the arXiv API returned an error: {clean_text(entry.get('summary'))}",
                             source=source, line=line)
        title = clean_text(entry.get("title"))
        arxiv_id = normalize_arxiv_id(entry_id) or normalize_arxiv_id(entry.get("link"))
        if not title or not arxiv_id:
            raise ParseError(f"entry {index} has no {'title' if not title else 'arXiv id'}", source=source,
                             line=line)
        papers.append(PaperRecord(
            title=title,
            abstract=clean_text(entry.get("summary")),
            authors=_authors(entry),
            arxiv_id=arxiv_id,
            published=_entry_date(entry, "published"),
            url=abs_url(arxiv_id, entry),
            doi=normalize_doi(entry.get("arxiv_doi")) if isinstance(entry.get("arxiv_doi"), str) else None,
            line=line,
        ))
    date = _entry_date(dict(feed.get("feed", {})), "updated", "published")
    return DigestRecord(kind=KIND, papers=papers, date=date)
