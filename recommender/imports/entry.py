"""One entry of a library export as every reader builds it: :class:`LibraryEntry` and what the readers share.

The readers (:mod:`.bibtex`, :mod:`.formats`) hand each entry's title, authors, date, identifiers and
added-date to :func:`library_entry`, which cleans them alike and dates an undated entry by the month its arXiv
id gives (:func:`recommender.dates.arxiv_month`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from recommender.dates import arxiv_month
from recommender.sources.records import PaperRecord, ParseError

__all__ = ["ENTRY_TYPES", "NO_DATE", "YEAR_FIRST_DATE", "LibraryEntry", "clean", "entry_type", "library_entry", "pages",
           "timestamp"]

#: The entry types stored (``papers.entry_type``, BibTeX's names) and how RIS (``TY``) and CSL-JSON (``type``)
#: write each; a BibTeX ``@misc`` is arXiv's preprint, CSL's ``article``. An entry of another type stores none.
ENTRY_TYPES = {"article": ("JOUR", "article-journal"), "inproceedings": ("CPAPER", "paper-conference"),
               "misc": ("GEN", "article"), "book": ("BOOK", "book"), "incollection": ("CHAP", "chapter"),
               "phdthesis": ("THES", "thesis"), "techreport": ("RPRT", "report")}
#: Other names of those types, by format: BibTeX's ``@conference`` and ``@mastersthesis``, RIS's ``CONF`` and
#: ``ELEC``, CSL's ``manuscript``.
_ALIASES = {"bibtex": {"conference": "inproceedings", "mastersthesis": "phdthesis"},
            "ris": {"CONF": "inproceedings", "ELEC": "misc"}, "csl-json": {"manuscript": "misc"}}
#: Each format's type names (as written, any case) -> the stored type.
_TYPE_NAMES = {fmt: {name.lower(): stored for stored, names in ENTRY_TYPES.items() for name in [(stored, *names)[i]]}
               | {name.lower(): stored for name, stored in _ALIASES[fmt].items()}
               for i, fmt in enumerate(("bibtex", "ris", "csl-json"))}
#: A date written year first: year, then month and day, each maybe empty, after ``/`` (or ``-``), as RIS and
#: ISO 8601 write it (``2017/06/12``, ``2017///``, ``2019-06``); what follows the day is free text.
YEAR_FIRST_DATE = re.compile(r"^\s*(?P<year>\d{4})(?:[/-](?P<month>[^/-]*)(?:[/-](?P<day>\d*))?)?")


@dataclass(frozen=True)
class LibraryEntry:
    """One paper of a person's library, as their reference manager exported it.

    Attributes
    ----------
    record : PaperRecord
        The paper (title, abstract, authors, arXiv id, DOI, ``line``: where the entry starts, 1-based) and its
        publication date as far as the export knows it: ``record.published`` with
        ``record.published_precision`` (:mod:`recommender.dates`: a year alone is its 1 January at ``"year"``,
        a month its 1st at ``"month"``; a month that cannot be read leaves the year alone).
    added : datetime.datetime or None
        When the person added it to their library (UTC), when the export says; else ``None``.
    unread_date : str or None
        The entry's date as written when it holds no readable year (BibTeX ``year = {20x1}``: ``"20x1"``; RIS
        ``DA  - SEP 22``; CSL-JSON ``{"raw": "spring"}``); the entry is then read as undated (dated by its arXiv id,
        when it has one). None otherwise, and for a date written to say there is none (``n.d.``).
    key : str or None
        Its citation key in the library (BibTeX's key, RIS ``ID``, CSL-JSON ``id``), kept with the 👍 so that an
        export gives it back and ``\\cite{nagel2020up}`` still finds its paper; None when it has none.
    """

    record: PaperRecord
    added: dt.datetime | None = None
    unread_date: str | None = None
    key: str | None = None

    @property
    def liked_at(self) -> dt.date | dt.datetime | None:
        """The date the 👍 carries: when the paper was added, else (about) when it was published."""
        return self.added or self.record.published


def timestamp(value: str | None) -> dt.datetime | None:
    """An ISO-like timestamp (``2019-05-02``, ``2019.05.02``, ``2019-05-02T10:00:00+0200``) as UTC; None if unreadable."""
    if not value:
        return None
    text = value.strip().replace(".", "-", 2) if re.match(r"^\d{4}\.\d", value.strip()) else value.strip()
    try:
        when = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text and len(text) > 10 else text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def clean(text: str | None) -> str:
    """BibTeX protective braces and line breaks dropped: ``{BERT}:  Pre-training`` -> ``BERT: Pre-training``."""
    return " ".join((text or "").replace("{", "").replace("}", "").split())


def entry_type(name: object, fmt: str) -> str | None:
    """The stored entry type (:data:`ENTRY_TYPES`) of a type name in ``fmt`` (``"bibtex"``, ``"ris"``, ``"csl-json"``),
    any case: RIS's ``"JOUR"`` and CSL's ``"article-journal"`` are ``"article"``; None for another (``"patent"``)."""
    return _TYPE_NAMES[fmt].get(name.strip().lower()) if isinstance(name, str) else None


def pages(first: object, last: object = None) -> str | None:
    """Pages as stored, ``436-444``: BibTeX's ``436--444``, an en dash, or RIS's first and last page apart; None
    for none."""
    text = "-".join(str(p).strip() for p in (first, last) if isinstance(p, str | int) and str(p).strip())
    text = re.sub(r"\s*(?:--|\u2013|-)\s*", "-", clean(text))
    return text or None


#: Dates written to say there is none ("n.d.", as citation styles write it): undated without a word.
NO_DATE = frozenset({"n.d.", "n.d", "nd", "no date", "undated", "-", "--", "?"})


def library_entry(where: str, line: int, title: str, authors, date: tuple[dt.date, str | None] | None, ids: tuple,
                  url, added, abstract=None, unread_date: str | None = None,
                  where_from: tuple[object, str | None, str | None] = (None, None, None), key=None,
                  more_authors: bool = False) -> LibraryEntry:
    """The entry of one record; ``date`` is :func:`recommender.dates.parse_date`'s answer (None: undated, when the
    month its arXiv id was given dates it, :func:`recommender.dates.arxiv_month`); ``where_from`` its venue, entry
    type (:func:`entry_type`) and pages (:func:`pages`); ``key`` its citation key in the library (:func:`citation_key`);
    ``more_authors`` whether ``authors`` stops short ("and others" after it).

    Raises
    ------
    ParseError
        The entry has no title (at ``where``, ``line``).
    """
    title = clean(title)
    if not title:
        raise ParseError("the entry has no title", source=where, line=line)
    arxiv_id, doi = ids
    published, precision = date or arxiv_month(arxiv_id) or (None, None)  # undated: the month its arXiv id gives
    venue, kind, page_range = where_from
    record = PaperRecord(title=title, abstract=" ".join(abstract.split()) if isinstance(abstract, str) else "",
                         authors=tuple(a for a in (clean(a) for a in authors) if a), arxiv_id=arxiv_id,
                         doi=doi, published=published, published_precision=precision, url=url or None, line=line,
                         venue=clean(venue) or None if isinstance(venue, str) else None, entry_type=kind,
                         pages=page_range, more_authors=more_authors)
    unread = unread_date if date is None and unread_date and unread_date.strip().lower() not in NO_DATE else None
    return LibraryEntry(record, timestamp(added), unread, citation_key(key))


#: What stands in an author list for the authors left out (``A and B and others``): not an author, and the list
#: stops short (:attr:`~recommender.sources.records.PaperRecord.more_authors`).
NOT_AN_AUTHOR = frozenset({"others", "et al", "et al."})


def listed_authors(names) -> tuple[list[str], bool]:
    """The authors of ``names`` (cleaned, empty ones left out) and whether the list stops short: a name of
    :data:`NOT_AN_AUTHOR` ("others") is no author, and says there are more."""
    cleaned = [clean(n) for n in names if isinstance(n, str)]
    return ([n for n in cleaned if n and n.lower() not in NOT_AN_AUTHOR],
            any(n.lower() in NOT_AN_AUTHOR for n in cleaned if n))


#: The longest citation key kept (``feedback.citation_key``); a longer one is no key a person types.
MAX_CITATION_KEY = 200


def citation_key(value) -> str | None:
    """A library's citation key as written (``nagel2020up``), None when there is none or it could not follow
    ``\\cite{`` (empty, too long, holding a space, a comma or a brace, or a link: Zotero's CSL-JSON ``id`` is its
    item's URL)."""
    key = value.strip() if isinstance(value, str) else ""
    typed = key and len(key) <= MAX_CITATION_KEY and not re.search(r"[\s,{}]", key) and "://" not in key
    return key if typed else None
