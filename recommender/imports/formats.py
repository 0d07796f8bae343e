"""Reference-manager exports read into :class:`LibraryEntry` values: BibTeX, RIS and CSL-JSON.

Each reader takes the whole file's text and returns its entries in file order, or
raises :class:`~recommender.sources.records.ParseError` naming the first entry that
failed and its 1-based line; nothing of a failed file is returned. The parsing
itself is done by well-kept libraries: ``bibtexparser`` (v2) for BibTeX (:mod:`recommender.imports.bibtex`),
``rispy`` for RIS (https://en.wikipedia.org/wiki/RIS_(file_format); a record's date is the most precise of its
``Y1``, ``DA`` and ``PY``), :mod:`json` for
CSL-JSON as Zotero exports it (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html).
Every author is stored "Given Family" (``Ba, Jimmy Lei`` -> ``Jimmy Lei Ba``), as digests give them:
:mod:`recommender.imports.names`."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import PurePath

from recommender.dates import parse_date, replaces
from recommender.imports.bibtex import read_bibtex
from recommender.imports.entry import (
    NO_DATE,
    YEAR_FIRST_DATE,
    LibraryEntry,
    entry_type,
    library_entry,
    listed_authors,
    pages,
    timestamp,
)
from recommender.imports.ids import csl_arxiv_id, identifiers, ris_arxiv_id
from recommender.imports.names import csl_name, ris_name
from recommender.limits import check_records
from recommender.sources.records import ParseError

__all__ = ["FORMATS", "SUFFIXES", "LibraryEntry", "detect_format", "format_of_name", "parse_library"]

#: The formats :func:`parse_library` reads, by name.
FORMATS = ("bibtex", "ris", "csl-json")
#: The file name suffixes (lowercase) that say a library's format, as reference managers name their exports.
SUFFIXES = {".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".json": "csl-json"}


def format_of_name(name: str) -> str | None:
    """The format (one of :data:`FORMATS`) a file name's suffix says, any case (``lib.BIB``: ``"bibtex"``), else
    None (``lib.txt``, ``lib``)."""
    return SUFFIXES.get(PurePath(name).suffix.lower())


# -- RIS ------------------------------------------------------------------------------------------------
_RIS_START = re.compile(r"^[ \t]*(TY  -)", re.MULTILINE)
#: A record's closing line; rispy drops, without a word, a record that has none.
_RIS_END = re.compile(r"^[ \t]*ER  -.*$", re.MULTILINE)
#: Any tag line (``TI  - ...``, ``AU  -``); outside a ``TY``..``ER`` record rispy drops it without a word.
_RIS_TAG = re.compile(r"^[ \t]*([A-Z][A-Z0-9])  -", re.MULTILINE)
#: A RIS date: year, then month and day, each maybe empty, after ``/`` (or ``-``); what follows the day is free text.
_RIS_DATE = YEAR_FIRST_DATE
#: Dates written with the month's name: PubMed's ``2017 Jun 12``, and Web of Science's ``DA  - SEP 22`` beside
#: ``PY  - 2010`` (no year of its own: the record's year is taken).
_RIS_NAMED_DATE = re.compile(r"^\s*(?:(?P<year>\d{4})\s+)?(?P<month>[A-Za-z]{3,9})\.?(?:\s+(?P<day>\d{1,2}))?\s*$")
#: The month's name first and the year last: Web of Science's ``MAR 2019``, and ``March 12, 2019``.
_RIS_MONTH_FIRST = re.compile(r"^\s*(?P<month>[A-Za-z]{3,9})\.?\s+(?:(?P<day>\d{1,2}),?\s+)?(?P<year>\d{4})\s*$")


def _ris_check(text: str, where: str, starts: list[int]) -> None:
    """Refuse a record not closed by ``ER  -`` and a tag line outside any record (its ``TY  -`` line missing).

    rispy returns no record for either (a record must start ``TY`` and end ``ER``), so the entry would be lost
    silently or, read alone, fail as an unpacking error.
    """
    def outside(start: int, end: int) -> None:
        m = _RIS_TAG.search(text, start, end)
        if m is not None:
            raise ParseError(f'RIS record starting here has no "TY  -" line (found "{m.group(1)}  -" outside '
                             'any record; a record runs from a "TY  -" line to an "ER  -" line)',
                             source=where, line=text.count("\n", 0, m.start()) + 1)

    outside(0, starts[0] if starts else len(text))
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(text)
        end = _RIS_END.search(text, start, stop)
        if end is None:
            raise ParseError('RIS record starting here is not closed by an "ER  -" line',
                             source=where, line=text.count("\n", 0, start) + 1)
        outside(end.end(), stop)


def _ris_date(ref: dict) -> tuple[dt.date, str | None] | None:
    """The most precise of a record's dates, ``Y1``, ``DA`` and ``PY`` (rispy's ``publication_year``, ``date``, ``year``).

    A day wins over a month, a month over a year alone (:func:`recommender.dates.replaces`; at the same
    precision, the earlier): ``PY  - 2017`` with ``DA  - 2017/06/12`` is 12 June 2017. Each is read as the RIS
    spec writes dates, ``YYYY/MM/DD/other info`` with any part after the year left empty (``2017///``,
    ``2017/06//Spring``, ``2022/01/05/``), or ``YYYY-MM-DD``, or with the month's name (``2017 Jun 12``, ``MAR 2019``,
    ``March 12, 2019``; Web of Science's ``SEP 22`` in the year of ``Y1`` or ``PY``); None when none has a readable year.
    """
    texts = [str(ref.get(key) or "") for key in ("publication_year", "date", "year")]
    years = [m["year"] for m in map(_RIS_DATE.match, texts) if m]
    best: tuple[dt.date, str | None] | None = None
    for text in texts:
        m = _RIS_DATE.match(text)
        found = parse_date(m["year"], m["month"], m["day"]) if m else None
        named = (_RIS_NAMED_DATE.match(text) or _RIS_MONTH_FIRST.match(text)) if found is None or found[1] is not None else None
        if named and (named["year"] or years):
            found = parse_date(named["year"] or years[0], named["month"], named["day"]) or found
        if found is not None and (best is None or replaces(*found, *best)):
            best = found
    return best


def _ris_written_date(ref: dict) -> str | None:
    """A record's first date as written (``Y1``, ``DA``, ``PY``) that is not :data:`NO_DATE`, or None: the text
    an import names when :func:`_ris_date` finds no readable year in any of them."""
    texts = (str(ref.get(k) or "").strip() for k in ("publication_year", "date", "year"))
    return next((t for t in texts if t and t.lower() not in NO_DATE), None)


#: The RIS tags (as rispy names them) naming where a record appeared, in the order tried: T2 (a journal's or
#: proceedings' title, as Zotero writes it), JO, JF.
_RIS_VENUE = ("secondary_title", "journal_name", "alternate_title3")


def _ris_venue(ref: dict) -> tuple[object, str | None, str | None]:
    """A RIS record's venue, entry type (``TY``) and pages (``SP``, ``EP``)."""
    venue = next((ref[key] for key in _RIS_VENUE if isinstance(ref.get(key), str) and ref[key].strip()), None)
    return venue, entry_type(ref.get("type_of_reference"), "ris"), pages(ref.get("start_page"), ref.get("end_page"))


def _ris(text: str, where: str) -> list[LibraryEntry]:
    import rispy

    starts = [m.start(1) for m in _RIS_START.finditer(text)]
    _ris_check(text, where, starts)
    out = []
    for i, start in enumerate(starts):
        chunk = text[start:starts[i + 1] if i + 1 < len(starts) else len(text)]
        line = text.count("\n", 0, start) + 1
        try:
            (ref,) = rispy.loads(re.sub(r"^[ \t]+", "", chunk, flags=re.MULTILINE))  # rispy reads tags at a line's start
        except Exception as exc:  # rispy raises IOError, KeyError or ValueError on broken records
            raise ParseError(f"RIS record is malformed ({type(exc).__name__}: {exc})", source=where, line=line) from None
        title = ref.get("title") or ref.get("primary_title") or ref.get("translated_title")
        urls = ref.get("urls") or []
        arxiv_id, doi = identifiers(*([ref.get("doi")] + list(urls)))
        ids = (arxiv_id or ris_arxiv_id(ref, doi), doi)
        added = ref.get("access_date")
        authors, more = listed_authors(ris_name(a) for a in ref.get("authors") or ref.get("first_authors") or [] if isinstance(a, str))
        try:
            out.append(library_entry(where, line, title, authors, _ris_date(ref),
                                     ids, urls[0] if urls else None, added,
                                     ref.get("abstract") or ref.get("notes_abstract"), unread_date=_ris_written_date(ref),
                                     where_from=_ris_venue(ref), key=ref.get("id"), more_authors=more))
        except ParseError as exc:
            raise ParseError(f"RIS record {i + 1}: {exc.message}", source=where, line=line) from None
    if not starts and text.strip():
        raise ParseError("no RIS record (a record starts with 'TY  - ')", source=where, line=1)
    return out


# -- CSL-JSON --------------------------------------------------------------------------------------------
def _csl_items(text: str, where: str) -> list[tuple[int, dict]]:
    """The top-level array's items with the line each starts on (json.JSONDecoder.raw_decode, item by item)."""
    decoder = json.JSONDecoder()
    pos = len(text) - len(text.lstrip())
    if not text.startswith("[", pos):
        raise ParseError("CSL-JSON is an array of items: '[' expected", source=where, line=text.count("\n", 0, pos) + 1)
    items: list[tuple[int, dict]] = []
    pos += 1
    skip = re.compile(r"\s*,?\s*")
    while True:
        pos = skip.match(text, pos).end()  # type: ignore[union-attr]  # this pattern matches everywhere
        if text.startswith("]", pos):
            return items
        line = text.count("\n", 0, pos) + 1
        try:
            item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ParseError(f"CSL-JSON item {len(items) + 1} is not valid JSON: {exc.msg}",
                             source=where, line=exc.lineno) from None
        if not isinstance(item, dict):
            raise ParseError(f"CSL-JSON item {len(items) + 1} is not an object", source=where, line=line)
        items.append((line, item))


def _csl_written_date(value) -> str | None:
    """A CSL date as written, for an import to name when :func:`_csl_date` finds no readable year in it; None when
    there is no date at all."""
    if isinstance(value, dict) and value:
        text = next((value[k] for k in ("raw", "literal") if isinstance(value.get(k), str) and value[k].strip()), None)
        return text.strip() if text and text.strip().lower() not in NO_DATE else None if text else json.dumps(value)
    text = value.strip() if isinstance(value, str) else ""
    return text if text and text.lower() not in NO_DATE else None


def _csl_date(value) -> tuple:
    """(year, month, day) of a CSL date, None for each part not given: its ``date-parts``, else its ``raw`` or
    ``literal`` text (Zotero and citeproc-js write ``{"raw": "2023-01-31"}`` for a date they did not split)."""
    parts = value.get("date-parts") if isinstance(value, dict) else None
    first = list(parts[0]) if parts and parts[0] else []
    if not first:
        text = value if isinstance(value, str) else next(
            (value[k] for k in ("raw", "literal") if isinstance(value, dict) and isinstance(value.get(k), str)), "")
        m = _RIS_DATE.match(text)  # year first, as RIS writes it: 2023-01-31, 2021-05, 2023
        first = [g for g in (m["year"], m["month"], m["day"]) if g] if m else []
    return tuple(first + [None, None, None])[:3]


def _csl(text: str, where: str) -> list[LibraryEntry]:
    out = []
    for n, (line, item) in enumerate(_csl_items(text, where), 1):
        authors, more = listed_authors(csl_name(a) for a in item.get("author") or [] if isinstance(a, dict))
        year, month, day = _csl_date(item.get("issued"))
        accessed = _csl_date(item.get("accessed"))
        accessed_day = parse_date(*accessed) if accessed[0] else None
        added = accessed_day[0].isoformat() if accessed_day else None
        raw = item.get("accessed", {}).get("raw") if isinstance(item.get("accessed"), dict) else None
        if isinstance(raw, str) and "T" in raw and timestamp(raw):  # a time with its offset: its UTC moment
            added = raw
        arxiv_id, doi = identifiers(item.get("DOI"), item.get("URL"), item.get("number"), item.get("archive_location"))
        ids = (arxiv_id or csl_arxiv_id(item, doi), doi)
        title = item.get("title")
        try:
            where_from = (item.get("container-title"), entry_type(item.get("type"), "csl-json"), pages(item.get("page")))
            out.append(library_entry(where, line, title if isinstance(title, str) else "", authors,
                                     parse_date(year, month, day), ids, item.get("URL"), added, item.get("abstract"),
                                     unread_date=_csl_written_date(item.get("issued")), where_from=where_from,
                                     key=item.get("id"), more_authors=more))
        except ParseError as exc:
            raise ParseError(f"CSL-JSON item {n} ({item.get('id', '?')}): {exc.message}", source=where, line=line) from None
    return out


_READERS = {"bibtex": read_bibtex, "ris": _ris, "csl-json": _csl}


def detect_format(text: str, name: str = "") -> str:
    """The export format of ``text``: by content (``@`` entry, ``TY  -`` record, JSON array), else by file suffix.

    Raises
    ------
    ParseError
        Neither the content nor the name says which format it is.
    """
    if _RIS_START.search(text[:4000]):
        return "ris"
    head = text.lstrip()[:1]
    if head == "[":
        return "csl-json"
    if re.search(r"^\s*@\w+\s*[{(]", text, re.MULTILINE):
        return "bibtex"
    named = format_of_name(name)
    if named:
        return named
    raise ParseError('not a BibTeX, RIS or CSL-JSON library (no @entry, "TY  -" record or JSON list found)',
                     source=name or None)


def parse_library(data: bytes | str, name: str = "") -> list[LibraryEntry]:
    """Every entry of a library export (BibTeX, RIS or CSL-JSON, detected), in file order.

    Parameters
    ----------
    data : bytes or str
        The file's content; bytes are decoded as UTF-8 (a BOM is dropped).
    name : str
        The file name, for messages and when the content does not tell the format.

    Raises
    ------
    ParseError
        The file is not one of the formats, or an entry is malformed, has no title or holds a
        value the store cannot hold (:func:`recommender.limits.check_records`: a title over
        1000 characters once normalised, an arXiv id over 64, a DOI over 255); the message
        names the entry or its 1-based line.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ParseError(f"not UTF-8 text (byte {exc.start})", source=name or None) from None
    where = name or "<upload>"
    entries = _READERS[detect_format(data, name)](data, where)
    check_records([e.record for e in entries], where)  # refused here, alike on SQLite and PostgreSQL
    return entries
