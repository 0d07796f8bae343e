"""Lines of a Hugging Face papers page, plain or markdown, told apart by shape.

Pages reach us two ways: text copied from a browser (one visible line per
line) and web-crawler captures in markdown (``#``/``###`` headings, ``[text](url)``
links, ``![alt](src)`` images, ``*`` list items).  :func:`tokenize` turns both
into the same :class:`Token` stream: markdown is reduced to its visible text,
and a link to ``huggingface.co/papers/<id>`` or ``arxiv.org/abs/<id>`` is kept
as the line's arXiv id.

Each line gets one kind from its own text: ``long`` (abstract-length prose,
at least :data:`ABSTRACT_MIN_CHARS` characters), a meta kind (date, count,
author count, bullet, separator, "Submitted by", "GitHub", "arXiv Page",
well-known header words) or ``short`` (everything else: titles, short
summaries, organisation names, unknown header lines).  Whether a short line is
a title or a summary is decided by the card grammar in :mod:`.hf_page`, from
the lines around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .cleaning import clean_text
from .records import normalize_arxiv_id

__all__ = ["ABSTRACT_MIN_CHARS", "META", "TITLE_MAX_CHARS", "Token", "is_long_title", "is_prose", "is_title_like",
           "parse_date", "tokenize"]

#: A line at least this long is abstract text; titles are shorter.
ABSTRACT_MIN_CHARS = 200
#: A line this long or shorter, with no sentence break, may still be a (very long) title.
LONG_TITLE_MAX_CHARS = 300
#: A longer such line is still a title where a card's title stands (right above its abstract), up to this
#: length (arXiv's longest titles are about 300 characters); where a title stands, a longer line is an error.
TITLE_MAX_CHARS = 500
#: A short summary has at least this many words (and ends a sentence).
PROSE_MIN_WORDS = 6

_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
_ENDS_URL = re.compile(r"(?:https?://|www\.)\S+$")

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_DATE = re.compile(r"""
    ^(?:(?:published\s+on|submitted\s+on|on)\s*:?\s*)?                      # "Published on", "Submitted on"
    (?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<day>\d{1,2})
    (?:\s*,\s*(?P<year>\d{4}))?                                              # ", 2025"
    (?:\s+\d+(?:[.,]\d+)?[kKmM]?)?$                                          # a trailing count
""", re.IGNORECASE | re.VERBOSE)
_PUBLISHED = re.compile(r"^published\s+on\b", re.IGNORECASE)
# Dates of week and month pages: "Week 25, 2025", "2025-W25", "June 2025", "Jun 16 - Jun 22, 2025".
_PERIOD = re.compile(
    r"^(?:week\s+\d{1,2}(?:\s*,\s*\d{4})?|\d{4}-w\d{1,2}|\d{4}-\d{2}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\s*[-–]\s*"
    r"(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?\d{1,2}(?:\s*,\s*\d{4})?)$",
    re.IGNORECASE)
# Header words, compared with everything but letters removed, lower case.  Knowing
# them is not needed to find the cards; it lets a page with one card be recognised.
_HEADER = re.compile(
    r"^(?:new|subscribe|dailypapers|trendingpapers|weeklypapers|monthlypapers|papers|daily|weekly|monthly"
    r"|trending|by|ak|byak|andtheresearchcommunity|by\s*ak(?:and)?theresearchcommunity"
    r"|byakandresearchcommunity|gettrendingpapersinyouremailinbox(?:onceaday)?|gettrendingpapersinyourinbox)$"
)
DISTINCTIVE_HEADER = re.compile(r"dailypapers|researchcommunity|trendingpapers|subscribe|weeklypapers|monthlypapers")
_SEP = re.compile(r"^[·•|∙⋅]$")
_BULLET = re.compile(r"^[•*\-–∙]\s+\S")
_AUTHORS = re.compile(r"^(?:[•*\-–∙·]\s*)?\d+\s+authors?$", re.IGNORECASE)
_COUNT = r"\d+(?:[.,]\d+)?[kK]?"
_UPVOTES = re.compile(rf"^(?:upvotes?\s*)?(?P<n>{_COUNT}|[-–—])?(?:\s*upvotes?)?$", re.IGNORECASE)
_SUBMITTED = re.compile(r"^submitted\s+by\b\s*:?\s*(?P<user>.*)$", re.IGNORECASE)
_GITHUB = re.compile(rf"^github(?:\s+{_COUNT})?$", re.IGNORECASE)
_ARXIV_PAGE = re.compile(r"^(?:view\s+)?(?:arxiv(?:\s+page)?|pdf|view\s+pdf)$", re.IGNORECASE)

# Token kinds.
HEADER, DATE, SEP, BULLET, AUTHORS, UPVOTES, SUBMITTED, GITHUB, ARXIV, LONG, SHORT = (
    "header", "date", "sep", "bullet", "authors", "upvotes", "submitted", "github", "arxiv",
    "long", "short")
#: Kinds that are never part of a title or abstract.
META = frozenset({HEADER, DATE, SEP, BULLET, AUTHORS, UPVOTES, SUBMITTED, GITHUB, ARXIV})

# Markdown, reduced to visible text.
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_PAPER_LINK = re.compile(r"(?:huggingface\.co/papers/|arxiv\.org/abs/)(?P<id>[^/?#\s]+)", re.IGNORECASE)
_ONLY_PUNCT = re.compile(r"^[\W_]*$")


@dataclass(frozen=True)
class Token:
    """One non-empty line of a page: 1-based ``line``, cleaned ``text``, ``kind``.

    ``arxiv_id`` is set when the line linked to a paper page; ``heading`` when
    it was a markdown heading.
    """

    line: int
    text: str
    kind: str
    arxiv_id: str | None = None
    heading: bool = False

    @property
    def letters(self) -> str:
        return re.sub(r"[^a-z]", "", self.text.lower())


#: Line patterns tried in order after the length, separator, header and date checks.
_LINE_KINDS = ((_AUTHORS, AUTHORS), (_BULLET, BULLET), (_UPVOTES, UPVOTES), (_SUBMITTED, SUBMITTED),
               (_GITHUB, GITHUB), (_ARXIV_PAGE, ARXIV))


def classify(text: str) -> str:
    """Kind of one cleaned line (see the module notes)."""
    if len(text) >= ABSTRACT_MIN_CHARS:
        return LONG
    if _SEP.match(text):
        return SEP
    if _HEADER.match(re.sub(r"[^a-z]", "", text.lower())):
        return HEADER
    if _DATE.match(text) or _PUBLISHED.match(text) or _PERIOD.match(text):
        return DATE
    for pattern, kind in _LINE_KINDS:
        if pattern.match(text):
            return kind
    return SHORT


def _visible(raw: str) -> tuple[str, str | None, bool]:
    """Markdown line -> (visible text, linked arXiv id, was a heading)."""
    heading = bool(_MD_HEADING.match(raw))
    text = _MD_HEADING.sub("", raw) if heading else raw
    if "](" not in text and "\\" not in text and "**" not in text and "__" not in text:
        return text, None, heading
    text = _MD_IMAGE.sub(" ", text)
    arxiv_id = None
    for m in _MD_LINK.finditer(text):
        found = _PAPER_LINK.search(m.group("url"))
        if found and arxiv_id is None:
            arxiv_id = normalize_arxiv_id(found.group("id"))
    text = _MD_LINK.sub(lambda m: m.group("text"), text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    return text, arxiv_id, heading


def tokenize(text: str) -> list[Token]:
    """Turn page text (plain or markdown) into tokens, one per visible line.

    Lines with no letter or digit left after markdown is removed (an empty
    list item, an image-only link) are dropped, separators excepted.  A count
    line right after ``Upvote`` or ``GitHub`` is folded into that line, so
    ``Upvote`` / ``42`` reads as one upvote count and ``GitHub`` / ``2.3k`` as
    one star count.
    """
    tokens: list[Token] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        visible, arxiv_id, heading = _visible(raw)
        line = clean_text(visible)
        if not line or (_ONLY_PUNCT.match(line) and not _SEP.match(line)):
            continue
        kind = classify(line)
        prev = tokens[-1] if tokens else None
        if (prev is not None and kind == UPVOTES and prev.kind in (UPVOTES, GITHUB)
                and not any(ch.isdigit() for ch in prev.text)):
            tokens[-1] = Token(prev.line, f"{prev.text} {line}", prev.kind, prev.arxiv_id, prev.heading)
            continue
        tokens.append(Token(number, line, kind, arxiv_id, heading))
    return tokens


def is_prose(text: str) -> bool:
    """A short line that reads as a summary: at least a few words, ending a sentence."""
    return len(text.split()) >= PROSE_MIN_WORDS and bool(_ENDS_SENTENCE.search(text))


def is_long_title(token: Token) -> bool:
    """Would ``token`` be title-like but for its length (abstract length, over :data:`LONG_TITLE_MAX_CHARS`)?

    Such a line is a title only by position: the card grammar takes it as one when an abstract
    follows it (and reports it as too long beyond :data:`TITLE_MAX_CHARS`).
    """
    return (token.kind == LONG and len(token.text) > LONG_TITLE_MAX_CHARS and not _SENTENCE_BREAK.search(token.text)
            and (token.heading or not token.text.endswith(".")))


def is_title_like(token: Token) -> bool:
    """Could ``token`` be (the first line of) a title?

    A title is text, not meta; it does not end with a full stop (``?`` and
    ``!`` are fine) unless it is a markdown heading; a line of abstract length
    is a title only when it has no sentence break and is at most
    :data:`LONG_TITLE_MAX_CHARS` characters.
    """
    if token.kind not in (SHORT, LONG):
        return False
    if token.kind == LONG and (len(token.text) > LONG_TITLE_MAX_CHARS or _SENTENCE_BREAK.search(token.text)):
        return False
    return token.heading or not token.text.endswith(".")


def ends_complete(text: str) -> bool:
    """Does abstract text end where an abstract can end (a sentence end or a URL)?"""
    return bool(_ENDS_SENTENCE.search(text) or _ENDS_URL.search(text))


def parse_date(text: str) -> tuple[int, int, int | None]:
    """``(month, day, year or None)`` of a date line; ``(0, 0, None)`` when it has none."""
    m = _DATE.match(text)
    if not m:
        return (0, 0, None)
    year = int(m.group("year")) if m.group("year") else None
    return (_MONTHS[m.group("mon").lower()[:3]], int(m.group("day")), year)


def upvotes(text: str) -> int | None:
    """The count of an upvote line (``"12"``, ``"1.2k"``, ``"Upvote 42"``); None for ``"-"`` or none."""
    m = _UPVOTES.match(text)
    n = m.group("n") if m else None
    if not n or not n[0].isdigit():
        return None
    n = n.replace(",", ".")
    return int(float(n[:-1]) * 1000) if n[-1] in "kK" else int(float(n))


def submitted_user_on_next_line(text: str) -> bool:
    """True for a bare ``Submitted by`` line (the user name is on the next line)."""
    m = _SUBMITTED.match(text)
    return bool(m) and not m.group("user")
