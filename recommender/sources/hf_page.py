"""Hugging Face Daily Papers pages copied as text.

A copied page is a header block (``new``, ``Get trending papers in your email
inbox!``, ``Subscribe``, ``Daily Papers``, ``byAK and the research community``, in
any order and spelling), the page date without a year (``Dec 30``), then cards::

    [upvotes]            "12" or "-", optional
    title                one line, or wrapped onto two
    abstract             one or more long lines
    [meta block]         "• 4 authors" (or "* ...", "- ...", an organization name)
                         "·", a date ("Jul 30, 2023", "Jun 8", "Oct 3, 2023 2")

Copies seen in the wild add ``Submitted by`` / user, ``GitHub 3.29k``, ``arXiv
Page`` and ``Published on ...`` lines around a card and may repeat a card; those
lines are skipped and repeats are kept (deduplication is the store's job).

Lines are told apart by shape: an abstract is a line of at least
:data:`ABSTRACT_MIN_CHARS` characters, a title is a shorter line that is not
recognizably meta (dates, counts, bullets, separators, header text) and is
followed by an abstract (a longer line is taken as a title only when it has no
sentence break, is at most 300 characters and an abstract follows it).  Two
short lines before an abstract are one wrapped title; three are an error.  Pages carry no arXiv ids, so records have
``arxiv_id=None`` and deduplicate by normalized title.

The year: Hugging Face omits it for dates in the current year.  When a page has
both year-less and dated cards, the current year is taken as one past the latest
explicit year; otherwise year-less dates (the page date included) stay ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from .cleaning import clean_text, decode_input
from .records import DigestRecord, PaperRecord, ParseError

__all__ = ["parse", "looks_like", "ABSTRACT_MIN_CHARS"]

KIND = "hf_page"

#: A line at least this long is abstract text; titles are shorter.
ABSTRACT_MIN_CHARS = 200
#: A line this long or shorter, with no sentence break, may still be a (very long) title.
_LONG_TITLE_MAX_CHARS = 300
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
#: Lines of text that may make up one wrapped title.
_MAX_TITLE_LINES = 2

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DATE = re.compile(
    r"^(?:published\s+on\s*:?\s*)?"
    r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:\s*,\s*(?P<year>\d{4}))?(?:\s+\d+(?:[.,]\d+)?[kKmM]?)?$",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(r"^published\s+on\b", re.IGNORECASE)
# Header lines compared with everything but letters removed, lower case.
_HEADER = re.compile(
    r"^(?:new|subscribe|dailypapers|by\s*ak(?:and)?theresearchcommunity|byakandresearchcommunity"
    r"|gettrendingpapersinyouremailinbox|gettrendingpapersinyourinbox)$"
)
_DISTINCTIVE_HEADER = re.compile(r"dailypapers|researchcommunity|trendingpapers|subscribe")
_SEP = re.compile(r"^[·•|∙⋅]$")
_BULLET = re.compile(r"^[•*\-–∙]\s+\S")
_AUTHORS = re.compile(r"^\d+\s+authors?$", re.IGNORECASE)
_UPVOTES = re.compile(r"^(?:upvotes?\s*)?(?P<n>\d+(?:[.,]\d+)?[kK]?|[-–—])(?:\s*upvotes?)?$", re.IGNORECASE)
_SUBMITTED = re.compile(r"^submitted\s+by\b\s*:?\s*(?P<user>.*)$", re.IGNORECASE)
_GITHUB = re.compile(r"^github(?:\s+[\d.,]+\s*[kKmM]?)?$", re.IGNORECASE)
_ARXIV_PAGE = re.compile(r"^(?:view\s+)?arxiv(?:\s+page)?$", re.IGNORECASE)

# Token kinds.
HEADER, DATE, SEP, BULLET, AUTHORS, UPVOTES, SUBMITTED, GITHUB, ARXIV, LONG, SHORT = (
    "header", "date", "sep", "bullet", "authors", "upvotes", "submitted", "github", "arxiv",
    "long", "short")
# Kinds that are never part of a title or abstract.
_META = {HEADER, DATE, SEP, BULLET, AUTHORS, UPVOTES, SUBMITTED, GITHUB, ARXIV}


@dataclass(frozen=True)
class _Token:
    line: int
    text: str
    kind: str


def _classify(text: str) -> str:
    if len(text) >= ABSTRACT_MIN_CHARS:
        return LONG
    if _SEP.match(text):
        return SEP
    if _HEADER.match(re.sub(r"[^a-z]", "", text.lower())):
        return HEADER
    if _DATE.match(text) or _PUBLISHED.match(text):
        return DATE
    if _AUTHORS.match(text):
        return AUTHORS
    if _BULLET.match(text):
        return BULLET
    if _UPVOTES.match(text):
        return UPVOTES
    if _SUBMITTED.match(text):
        return SUBMITTED
    if _GITHUB.match(text):
        return GITHUB
    if _ARXIV_PAGE.match(text):
        return ARXIV
    return SHORT


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = clean_text(raw)
        if line:
            tokens.append(_Token(number, line, _classify(line)))
    return tokens


def _header_end(tokens: list[_Token]) -> int:
    """Index of the first token after the header block (header lines and page date)."""
    i = 0
    while i < len(tokens) and tokens[i].kind in (HEADER, DATE):
        i += 1
    return i


def _has_header(tokens: list[_Token], end: int) -> bool:
    head = tokens[:end]
    return any(t.kind == DATE for t in head) or any(
        _DISTINCTIVE_HEADER.search(re.sub(r"[^a-z]", "", t.text.lower())) for t in head)


def looks_like(text: str) -> bool:
    """Tell whether ``text`` starts like a copied Daily Papers page.

    Parameters
    ----------
    text : str
        Decoded digest text.

    Returns
    -------
    bool
        ``True`` when the first lines are the page header and/or page date and
        something follows them.  Never raises.
    """
    tokens = _tokenize("\n".join(text.splitlines()[:40]))
    end = _header_end(tokens)
    return 0 < end < len(tokens) and _has_header(tokens, end)


def _parse_date(text: str) -> tuple[int, int, int | None]:
    m = _DATE.match(text)
    if not m:
        return (0, 0, None)
    year = int(m.group("year")) if m.group("year") else None
    return (_MONTHS[m.group("mon").lower()[:3]], int(m.group("day")), year)


def _make_date(parts: tuple[int, int, int | None] | None, year: int | None) -> dt.date | None:
    if not parts or not parts[0]:
        return None
    month, day, explicit = parts
    try:
        return dt.date(explicit or year, month, day) if (explicit or year) else None
    except ValueError:
        return None


def _upvotes(text: str) -> int | None:
    m = _UPVOTES.match(text)
    if not m or not m.group("n")[0].isdigit():
        return None
    n = m.group("n").replace(",", ".")
    return int(float(n[:-1]) * 1000) if n[-1] in "kK" else int(float(n))


class _Parser:
    def __init__(self, tokens: list[_Token], source: str):
        self.t = tokens
        self.source = source

    def kind(self, i: int) -> str | None:
        return self.t[i].kind if 0 <= i < len(self.t) else None

    def is_org_line(self, i: int) -> bool:
        """A short line directly followed by a separator is meta (organization, user)."""
        return self.kind(i) == SHORT and self.kind(i + 1) == SEP

    def skip_submitted(self, i: int) -> int:
        """Skip a ``Submitted by`` line and, when it stands alone, the user name after it."""
        m = _SUBMITTED.match(self.t[i].text)
        i += 1
        if m and not m.group("user") and self.kind(i) == SHORT and self.kind(i + 1) not in (LONG, None):
            i += 1
        return i

    def skip_meta(self, i: int) -> int:
        while i < len(self.t):
            if self.kind(i) == SUBMITTED:
                i = self.skip_submitted(i)
            elif self.kind(i) in _META or self.is_org_line(i):
                i += 1
            else:
                break
        return i

    def is_long_title(self, i: int) -> bool:
        """A long line is still a title when it reads like one (one sentence) and an abstract follows."""
        text = self.t[i].text
        return (len(text) <= _LONG_TITLE_MAX_CHARS and not _SENTENCE_BREAK.search(text)
                and self.kind(self.skip_meta(i + 1)) == LONG)

    def title_span(self, i: int) -> tuple[int, int] | None:
        """Return (end of title lines, index of abstract) for a title starting at ``i``."""
        j = i + 1
        for _ in range(_MAX_TITLE_LINES):
            k = self.skip_meta(j)
            if self.kind(k) == LONG:
                return j, k
            if self.kind(j) != SHORT:
                return None
            j += 1
        return None

    def parse(self) -> tuple[list[tuple[PaperRecord, tuple | None]], list[tuple]]:
        cards: list[tuple[PaperRecord, tuple | None]] = []
        i = _header_end(self.t)
        if i == 0 or not _has_header(self.t, i):
            first = self.t[0]
            raise ParseError(
                "not a Hugging Face Daily Papers page: expected the page header "
                f"('Daily Papers', 'byAK and the research community', ...) or page date, found {first.text[:60]!r}",
                source=self.source, line=first.line)
        page_dates = [_parse_date(t.text) for t in self.t[:i] if t.kind == DATE]
        upvotes: int | None = None
        pending_date = None
        while i < len(self.t):
            tok = self.t[i]
            if tok.kind == LONG and not self.is_long_title(i):
                raise ParseError("abstract paragraph without a title before it", source=self.source, line=tok.line)
            if tok.kind == UPVOTES:
                upvotes = _upvotes(tok.text)
                i += 1
            elif tok.kind == SUBMITTED:
                i = self.skip_submitted(i)
            elif tok.kind == DATE:
                pending_date = _parse_date(tok.text)
                i += 1
            elif tok.kind in _META or self.is_org_line(i):
                i += 1
            else:
                span = self.title_span(i)
                if span is None:
                    raise ParseError(f"card {tok.text[:60]!r} has no abstract", source=self.source, line=tok.line)
                title_end, k = span
                title = " ".join(t.text for t in self.t[i:title_end])
                date = pending_date
                for t in self.t[title_end:k]:
                    if t.kind == DATE:
                        date = _parse_date(t.text)
                abstract_parts = []
                while self.kind(k) == LONG:
                    abstract_parts.append(self.t[k].text)
                    k += 1
                # Meta block after the abstract: stop at anything that opens the next card.
                while k < len(self.t) and self.kind(k) not in (UPVOTES, SUBMITTED) and (
                        self.kind(k) in _META or self.is_org_line(k)):
                    if self.kind(k) == DATE:
                        date = _parse_date(self.t[k].text)
                    k += 1
                cards.append((PaperRecord(title=title, abstract=" ".join(abstract_parts),
                                          upvotes=upvotes, line=tok.line), date))
                upvotes, pending_date, i = None, None, k
        return cards, page_dates


def parse(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Parse a Hugging Face Daily Papers page copied as text.

    Parameters
    ----------
    data : bytes or str
        The page text (bytes are decoded as UTF-8).
    source : str
        File name or URL, used in error messages.

    Returns
    -------
    DigestRecord
        ``kind="hf_page"``; one :class:`PaperRecord` per card in page order
        (repeated cards kept), with title, abstract, published date when the
        card shows one and the year is known, upvotes when shown before the
        title, and the card's first line number.  ``authors`` is empty: pages
        show only a count or an organization.

    Raises
    ------
    ParseError
        Empty input, undecodable bytes, text that does not start with the page
        header or date, an abstract with no title, a title with no abstract
        (e.g. a truncated last card), or a page with no cards.  The error names
        ``source`` and the 1-based line.  No partial results are returned.
    """
    text = decode_input(data, source)
    tokens = _tokenize(text)
    if not tokens:
        raise ParseError("empty input: no text to parse", source=source)
    cards, page_dates = _Parser(tokens, source).parse()
    if not cards:
        raise ParseError("no paper cards after the page header", source=source, line=tokens[-1].line)
    explicit_years = [d[2] for _, d in cards if d and d[2]]
    has_yearless = any(d and d[0] and d[2] is None for _, d in cards)
    current_year = max(explicit_years) + 1 if explicit_years and has_yearless else None
    papers = [_with_date(record, _make_date(date, current_year)) for record, date in cards]
    page_date = _make_date(page_dates[-1], current_year) if page_dates else None
    return DigestRecord(kind=KIND, papers=papers, date=page_date)


def _with_date(record: PaperRecord, date: dt.date | None) -> PaperRecord:
    return record if date is None else replace(record, published=date)
