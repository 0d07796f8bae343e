"""Plain records that every digest parser returns, and the parse error they raise.

A parser turns the raw text or bytes of one digest into a :class:`DigestRecord`
holding :class:`PaperRecord` entries in the order the digest listed them.  Records
are plain data: they know nothing of the store.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

__all__ = [
    "DigestRecord",
    "PaperRecord",
    "ParseError",
    "doi_key",
    "normalize_arxiv_id",
    "normalize_doi",
    "title_key",
]


class ParseError(ValueError):
    """A digest could not be parsed.

    Parameters
    ----------
    message : str
        What is wrong, in words a user can act on.
    source : str, optional
        The file name or URL the input came from.
    line : int, optional
        1-based line number in the input where the problem was found.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PaperRecord:
    """One paper as a digest listed it.

    Attributes
    ----------
    title, abstract : str
        Cleaned for display: single spaces, no hard line breaks, no HTML entities.
    authors : tuple of str
        Author names in order; empty when the digest gives only a count.
    arxiv_id : str or None
        arXiv identifier without version (``"2401.01234"``, ``"hep-th/9901001"``).
    published : datetime.date or None
        Publication date as the digest gives it (UTC calendar day).
    published_precision : str or None
        How much of ``published`` is known (:mod:`recommender.dates`): ``"year"`` (it is that year's
        1 January), ``"month"`` (its 1st) or None, the day itself (every digest format gives a day).
    url : str or None
        Link to the paper's page.
    upvotes : int or None
        Upvote count shown by the digest, when it shows one.
    announce_type : str or None
        For arXiv listing feeds: ``"new"``, ``"cross"``, ``"replace"`` or
        ``"replace-cross"``.  A replacement updates a stored paper and is not news.
    line : int or None
        1-based line where the entry starts in the input, for error messages.
    doi : str or None
        Digital Object Identifier without resolver or ``doi:`` prefix
        (``"10.1111/j.1751-9004.2011.00352.x"``), when the digest gives one.
    venue, entry_type, pages : str or None
        Where it appeared (a journal's or proceedings' name), its entry type (BibTeX's name, ``"article"``,
        ``"inproceedings"``, ``"misc"``: :data:`recommender.imports.entry.ENTRY_TYPES`) and its pages (``"436-444"``),
        as a library export gives them; digests give none.
    more_authors : bool
        The author list stops short: a library wrote "and others" (BibTeX) or "et al." after it.
    """

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    published: dt.date | None = None
    url: str | None = None
    upvotes: int | None = None
    announce_type: str | None = None
    line: int | None = None
    doi: str | None = None
    published_precision: str | None = None
    venue: str | None = None
    entry_type: str | None = None
    pages: str | None = None
    more_authors: bool = False

    @property
    def key(self) -> str:
        """Deduplication key: ``arxiv:<id>`` when known, else ``title:<normalized title>``."""
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id}"
        return f"title:{title_key(self.title)}"

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in ("replace", "replace-cross")


@dataclass
class DigestRecord:
    """One parsed digest.

    Attributes
    ----------
    kind : str
        Format name: ``"hf_page"``, ``"hf_api"``, ``"arxiv_atom"`` or ``"arxiv_rss"``.
    papers : list of PaperRecord
        Entries in digest order (duplicates within one digest kept as listed).
    date : datetime.date or None
        The digest day when the digest states it (for a page with no year, the
        year is inferred from the card dates or left as ``None``).
    warnings : list of str
        Problems that did not fail the digest, each naming the source and line
        (``"page.txt:412: last card 'X' is cut off mid-sentence; dropped"``).
    encoding : str
        The text encoding the input was decoded with (``"utf-8"``,
        ``"utf-16"``, ``"cp1252"``...); ``"str"`` when text was passed in.
    """

    kind: str
    papers: list[PaperRecord] = field(default_factory=list)
    date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
    encoding: str = "str"

    @property
    def is_empty(self) -> bool:
        """True when the digest listed no papers at all (a weekend feed, a ``[]`` API day)."""
        return not self.papers


# An id field is matched WHOLE: prefixes and versions around the id are allowed,
# nothing else (so the digits of a DOI never become an arXiv id).
_ARXIV_WHOLE = re.compile(
    r"^(?:arxiv\s*:\s*|oai:arxiv\.org:|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    r"|(?:https?://)?(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)/"
    r"|(?:https?://)?huggingface\.co/papers/|(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?10\.48550/arxiv\.)?"
    r"(?P<id>\d{4}\.\d{4,5}|(?P<archive>[a-z][a-z\-]*)(?:\.[a-z]{2})?/(?P<number>\d{7}))(?:v\d+)?(?:\.pdf)?/?(?:[?#]\S*)?$",
    re.IGNORECASE,
)
_DOI_WHOLE = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/[^\s\x00-\x1f\x7f]+)$", re.IGNORECASE)


def normalize_arxiv_id(value: str | None) -> str | None:
    """Return the bare arXiv id of a field that IS an arXiv id, else ``None``.

    The whole field must be one id, optionally with a version, an ``arXiv:`` or
    ``oai:arXiv.org:`` prefix, an arxiv.org abs/pdf URL (a query or fragment after it too:
    ``?context=cs``), an alphaxiv.org abs/overview URL, a Hugging Face paper URL
    or arXiv's own DOI prefix ``10.48550/arXiv.``.  Accepts ``"2401.01234v2"``,
    ``"arXiv:2401.01234"``, ``"https://arxiv.org/abs/2401.01234v1"``,
    ``"oai:arXiv.org:2505.17037v1"``, ``"hep-th/9901001v3"``; rejects
    ``"10.1093/oso/9780197.2401.01234"``, ``"PMC2401.01234"``, free text and ids no arXiv paper can have
    (:func:`possible_arxiv_id`: ``"2401.0408"``, ``"1413.01234"``).

    Returns
    -------
    str or None
        ``"2401.01234"`` (new style) or ``"hep-th/9901001"`` (old style, lower case, without the subject
        class some listings put after the archive: ``math.GT/0309136`` is ``math/0309136``,
        https://info.arxiv.org/help/arxiv_identifier.html).
    """
    if not value:
        return None
    m = _ARXIV_WHOLE.match(value.strip())
    if not m:
        return None
    if m.group("archive"):  # old style: the subject class of math.GT/0309136 is no part of the id
        return f"{m.group('archive').lower()}/{m.group('number')}"
    arxiv_id = m.group("id")
    return arxiv_id if possible_arxiv_id(arxiv_id) else None


def impossible_arxiv_id(value: str | None) -> str | None:
    """The id of a field written as a new-style arXiv id that no paper can have (``arXiv:2401.0408``), else
    ``None``: a digest refuses it rather than keep a paper under no id (a PubMed number is no arXiv id at all,
    and stays allowed)."""
    m = _ARXIV_WHOLE.match(value.strip()) if value else None
    return m.group("id") if m and not m.group("archive") and not possible_arxiv_id(m.group("id")) else None


def possible_arxiv_id(arxiv_id: str) -> bool:
    """Whether a new-style id ``YYMM.NNNNN`` can exist: from April 2007 (``0704.0001``, the first; before it ids
    were old-style, ``hep-th/9901001``), a month 01 to 12, four digits after the dot up to December 2014 and five
    from January 2015 (https://info.arxiv.org/help/arxiv_identifier.html).

    ``2401.0408`` (a digit lost in a hand-written digest or a BibTeX ``eprint``) is no arXiv id: taken as
    one, it linked to a page that does not exist and stored a paper already known as ``2401.04088`` twice.
    """
    yymm, _, number = arxiv_id.partition(".")
    return yymm >= "0704" and 1 <= int(yymm[2:]) <= 12 and len(number) == (4 if yymm <= "1412" else 5)


def normalize_doi(value: str | None) -> str | None:
    """Return the DOI of a field that IS a DOI (``10.<registrant>/<suffix>``), else ``None``.

    A ``doi:`` prefix or a doi.org URL is dropped; the suffix keeps its case. A doi.org URL is read
    percent-decoded (``10.1093%2Fgji%2Fggy423``, ``%3C…%3E`` for ``<…>``, as links are printed), and a
    full stop or comma ending the field is the sentence's, not the DOI's (a library's ``doi = {10.1785/0220180259.}``
    was stored with it, and no lookup found it). A DOI holds no control character (a NUL, a tab): a field
    with one is no DOI. arXiv's own DOIs (``10.48550/arXiv.<id>``) are DOIs too; callers that want
    the arXiv id try :func:`normalize_arxiv_id` first.
    """
    if not value:
        return None
    value = value.strip()
    if "%" in value and "doi.org/" in value.lower():
        value = unquote(value)
    m = _DOI_WHOLE.match(value.rstrip(".,;"))
    return m.group("doi") if m else None


#: ASCII's capital letters to its small ones, and no other letter.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def doi_key(doi: str) -> str:
    """The form two DOIs are compared in: its ASCII letters lowercased, any other letter as written.

    DOIs are case-insensitive in their ASCII letters only (DOI Handbook
    2.4, https://www.doi.org/the-identifier/resources/handbook/2_numbering): ``10.1000/ABC`` is ``10.1000/abc``, but ``10.1000/Ä`` is not ``10.1000/ä``.
    """
    return doi.translate(_ASCII_LOWER)


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """Normalize a title for deduplication: NFKD, accents dropped, lowercase, words joined by one space."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())
