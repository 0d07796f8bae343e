"""BibTeX (and biblatex) exports read into :class:`~recommender.imports.entry.LibraryEntry` values.

The parsing is ``bibtexparser``'s (v2), its LaTeX decoding (``pylatexenc``) turning ``M{\\"u}ller`` into
``Müller`` in titles, authors, abstracts and venues (an abstract's math is kept as written; ``and others`` ends an
author list, it is no author; an arXiv id is also read where Google Scholar and DBLP put it,
:mod:`recommender.imports.ids`). A malformed entry (an unclosed brace, a missing comma) refuses the whole
file, naming the line the entry starts on; an entry whose date has no readable year (``year = {20x1}``) is
read as undated and says so (:attr:`~recommender.imports.entry.LibraryEntry.unread_date`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from recommender.dates import parse_date
from recommender.imports.entry import (
    YEAR_FIRST_DATE,
    LibraryEntry,
    entry_type,
    library_entry,
    listed_authors,
    pages,
)
from recommender.imports.ids import identifiers, mentioned_arxiv_id
from recommender.imports.names import bibtex_name
from recommender.sources.records import ParseError

__all__ = ["read_bibtex"]

#: The fields whose LaTeX markup is decoded (``journal`` or ``booktitle``: the venue) (identifiers and URLs are read as written: ``%`` is no comment there);
#: an abstract's math (``$O(n^2)$``) is kept as written.
_LATEX_FIELDS = frozenset({"title", "author", "abstract", "journal", "booktitle"})
#: The next line's ``name =`` inside a value: a comma was missing between two fields, and bibtexparser read
#: both as one value (which then has no enclosing pair of braces or quotes).
_SWALLOWED_FIELD = re.compile(r"\n[ \t]*([A-Za-z][\w.:-]*)[ \t]*=")


def _latex_decoder():
    """bibtexparser's LaTeX decoding, applied to :data:`_LATEX_FIELDS` only; ``author`` becomes a list of names,
    each "Given Family" (:func:`recommender.imports.names.bibtex_name`: ``Ba, Jimmy Lei`` -> ``Jimmy Lei Ba``).

    The names are split and turned round before decoding, which drops braces: ``{Research and Development
    Team} and Lovelace, Ada`` is a group and a person, as BibTeX reads it.
    """
    from bibtexparser.middlewares import LatexDecodingMiddleware
    from bibtexparser.middlewares.names import split_multiple_persons_names

    class TitleAndAuthors(LatexDecodingMiddleware):
        def transform_entry(self, entry, library):
            rest = [f for f in entry.fields if f.key.lower() not in _LATEX_FIELDS]
            entry.fields = [f for f in entry.fields if f.key.lower() in _LATEX_FIELDS]
            authors = [f for f in entry.fields if f.key.lower() == "author" and isinstance(f.value, str)]
            entry.fields = [f for f in entry.fields if f not in authors]
            block = super().transform_entry(entry, library)
            for field in authors:
                field.value = [self._transform_python_value_string(bibtex_name(name))[0]
                               for name in split_multiple_persons_names(field.value)]
            entry.fields = entry.fields + authors + rest
            return block

    return TitleAndAuthors()


def _check_fields(e, where: str) -> None:
    """Refuse an entry one of whose values swallowed the next field (a missing comma), naming that field's line.

    Such a value is not one enclosed value, number or macro (bibtexparser's ``no-enclosing``) and holds a line
    starting ``name =``; a braced value split over lines with an ``=`` in it is fine.
    """
    for field in e.fields:
        value = field.value if isinstance(field.value, str) else ""
        m = _SWALLOWED_FIELD.search(value) if field.enclosing == "no-enclosing" else None
        if m is not None:
            line = (field.start_line if field.start_line is not None else e.start_line or 0) + 1
            raise ParseError(f"BibTeX entry '{e.key}' is malformed: a comma is missing before field "
                             f"'{m.group(1)}' (it was read as part of '{field.key}')",
                             source=where, line=line + value.count("\n", 0, m.end()))


def read_bibtex(text: str, where: str) -> list[LibraryEntry]:
    """Every entry of a BibTeX file's ``text``, in file order (``where`` names the file in messages).

    Raises
    ------
    ParseError
        An entry is malformed (an unclosed brace or quote, a missing comma) or has no title; the message names
        it, and the error's ``line`` is the 1-based line it starts on (a missing comma: the swallowed field's).
    """
    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # failed blocks are reported below, as a ParseError
    raw = bibtexparser.parse_string(text)
    failed = list(raw.failed_blocks)
    if not failed:
        for e in raw.entries:  # on the values as written, before any decoding
            _check_fields(e, where)
        library = _latex_decoder().transform(raw)  # in place: the entries were checked
        failed = list(library.failed_blocks)
    if failed:
        first = min(failed, key=lambda b: b.start_line or 0)
        block = first.raw or ""
        line = (first.start_line or 0) + 1 + block.count("\n", 0, len(block) - len(block.lstrip()))
        brace = _open_brace(block.strip())
        said = f": the brace opened on line {line + brace} is never closed" if brace is not None else ""
        raise ParseError(f"BibTeX entry {block.strip().splitlines()[0][:60]!r} is malformed{said}",
                         source=where, line=line)
    out = []
    for e in library.entries:
        f = {k.lower(): v for k, v in e.fields_dict.items()}
        value = lambda name, f=f: f[name].value if name in f else None  # noqa: E731
        authors, more = listed_authors(value("author") or [])
        added = value("timestamp") or value("added-at") or value("dateadded") or value("date-added")
        arxiv_id, doi = identifiers(value("eprint"), value("arxivid"), value("doi"), value("url"), value("journal"))
        ids = (arxiv_id or mentioned_arxiv_id(value, doi), doi)
        try:
            date, written = _bibtex_date(value)
            where_from = (value("journal") or value("booktitle"), entry_type(e.entry_type, "bibtex"), pages(value("pages")))
            out.append(library_entry(where, (e.start_line or 0) + 1, value("title") or "", authors, date, ids,
                                     value("url"), added, value("abstract"), unread_date=written, where_from=where_from,
                                     key=e.key, more_authors=more))
        except ParseError as exc:
            raise ParseError(f"BibTeX entry '{e.key}': {exc.message}", source=where, line=exc.line) from None
    return out


def _open_brace(raw: str) -> int | None:
    """Where the brace a failed entry leaves open is, as lines after the entry's first (0: its own); None when its
    braces balance (an unclosed quote, a stray character).

    Braces are paired as BibTeX pairs them (``\\{`` is no brace). A brace left open inside the entry is named, the
    innermost; else the value's brace that took the entry's closing brace (a ``}`` alone on its line), or that
    holds the next field's ``name =`` line (``title = {Open,`` before ``author = {X},``); else the entry's own.
    """
    stack: list[int] = []
    took: int | None = None
    for m in re.finditer(r"\\[{}]|[{}]", raw):
        if m.group() == "{":
            stack.append(m.start())
        elif m.group() == "}" and stack:
            start = stack.pop()
            closer = raw[raw.rfind("\n", 0, m.start()) + 1:m.start()].strip() == ""  # the line holds "}" alone
            if len(stack) == 1 and (closer or (took is None and _SWALLOWED_FIELD.search(raw, start, m.start()))):
                took = start
    if not stack:
        return None
    return raw.count("\n", 0, stack[-1] if len(stack) > 1 else took if took is not None else stack[0])


def _bibtex_date(value) -> tuple[tuple[dt.date, str | None] | None, str | None]:
    """An entry's date and the text it was read from: its ``year``/``month``/``day``, else biblatex's ``date``
    (``2019-06-01``, ``2019-06``, a range's start: Zotero's BibLaTeX export writes no ``year``), so the month its
    arXiv id gives never wins over its own date. The date is None when neither holds a readable year
    (``year = {20x1}``), or the entry has neither; the text is None when the entry has neither."""
    if value("year"):
        return parse_date(value("year"), value("month"), value("day")), str(value("year"))
    written = value("date")
    m = YEAR_FIRST_DATE.match(written or "")  # ISO 8601, as RIS's YYYY-MM-DD: a range's "/" ends its start
    return (parse_date(m["year"], m["month"], m["day"]) if m else None), (str(written) if written else None)
