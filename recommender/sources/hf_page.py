"""Hugging Face papers pages copied as text or captured as markdown.

Daily Papers, Trending Papers, the week and month pages and a single paper's
page (:mod:`.hf_paper_page`) are all read here.  A listing page is a header (any
lines: tabs, "Subscribe", "by" / "AK" / "and the research community", a page
date) followed by cards; a card is recognised by its structure, never by header
spellings::

    [count / meta]       "12", "Upvote" "42", "Submitted by" user, "-"
    title                one line, or wrapped onto two; not ending in a full stop; a line of abstract
                         length (over 300 characters, no sentence break) only right above the
                         abstract, up to TITLE_MAX_CHARS (500): a longer one there is an error,
                         "title too long (N characters)" at its line
    [meta]               "Published on Jun 5"
    abstract             one or more abstract-length lines (>= ABSTRACT_MIN_CHARS), or
                         one short summary sentence when the card has a meta block
    [meta block]         "• 4 authors", an organisation, "·", a date, "GitHub 3.29k", "arXiv Page"

A short summary is accepted only on a card with meta lines (counts, dates,
authors), so a lone sentence is never mistaken for a card.  The header is what
comes before the first card; it must hold no abstract-length line.  A page is
recognised when its first card is found and either a card has a meta block,
there are two cards or more, or the header carries a date or a known header
word.  Two text lines right above the first abstract are one wrapped title only
when the second reads as a continuation (starts in lower case, or the first ends
with a connective such as "to", "of", ":"); otherwise the first is a header line.

Text lines between a daily page's date (the header's last line) and its first card are a card cut
before its abstract: the page is refused at their line, as a card with no abstract further down is.
Lines after the last card that form no card (a page footer, a card cut off in
its title) and a last abstract that stops mid-sentence with nothing after it (a
truncated file) are dropped with a warning naming the line.  Pages carry no
arXiv ids, except that a markdown link to ``huggingface.co/papers/<id>`` on a
title gives the card its id and arxiv.org link.

The year: Hugging Face omits it for dates in the current year.  When a page has
both year-less and dated cards, the current year is taken as one past the latest
explicit year; otherwise year-less dates (the page date included) stay ``None``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from . import hf_paper_page
from .cleaning import decode_input
from .hf_tokens import (
    ABSTRACT_MIN_CHARS,
    DATE,
    DISTINCTIVE_HEADER,
    HEADER,
    LONG,
    META,
    SEP,
    SHORT,
    SUBMITTED,
    TITLE_MAX_CHARS,
    UPVOTES,
    Token,
    ends_complete,
    is_long_title,
    is_prose,
    is_title_like,
    parse_date,
    submitted_user_on_next_line,
    tokenize,
    upvotes,
)
from .records import DigestRecord, PaperRecord, ParseError

__all__ = ["ABSTRACT_MIN_CHARS", "looks_like", "parse"]

KIND = "hf_page"
#: Lines of text that may make up one wrapped title.
_MAX_TITLE_LINES = 2
#: The first card must start within this many lines of the page.
_MAX_HEADER_TOKENS = 80
#: Lines read to recognise a page.
_DETECT_LINES = 400


@dataclass
class _Card:
    start: int          # token index of the first line of the card (its meta or title)
    title: int          # token index of the title
    title_end: int      # token index after the title's lines
    end: int            # token index after the card
    record: PaperRecord
    date: tuple | None
    has_meta: bool
    tail: int           # meta lines after the abstract


@dataclass
class _Page:
    header: list[Token]
    cards: list[_Card] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Grammar:
    def __init__(self, tokens: list[Token], source: str):
        self.t = tokens
        self.source = source

    def kind(self, i: int) -> str | None:
        return self.t[i].kind if 0 <= i < len(self.t) else None

    def is_org_line(self, i: int) -> bool:
        """A short line directly followed by a separator is meta (organization, user)."""
        return self.kind(i) == SHORT and self.kind(i + 1) == SEP

    def skip_meta(self, i: int, *, stop_at_next_card: bool = False) -> int:
        while i < len(self.t):
            kind = self.kind(i)
            if stop_at_next_card and kind in (UPVOTES, SUBMITTED):
                break
            if kind == SUBMITTED:
                user_next = submitted_user_on_next_line(self.t[i].text)
                i += 1
                if user_next and self.kind(i) == SHORT and self.kind(i + 1) not in (LONG, None):
                    i += 1
            elif kind in META or self.is_org_line(i):
                i += 1
            else:
                break
        return i

    def body_at(self, k: int) -> str | None:
        """``"long"`` for abstract-length text at ``k``, ``"short"`` for a summary sentence, else None."""
        if self.kind(k) == LONG and not (is_title_like(self.t[k]) and self.kind(self.skip_meta(k + 1)) == LONG):
            return "long"
        if self.kind(k) == SHORT and is_prose(self.t[k].text) and not self.t[k].heading:
            return "short"
        return None

    def card_at(self, start: int) -> _Card | None:
        """The card whose meta or title starts at token ``start``, or None."""
        i = self.skip_meta(start)
        if i < len(self.t) and is_long_title(self.t[i]) and self.body_at(self.skip_meta(i + 1)) == "long":
            if len(self.t[i].text) > TITLE_MAX_CHARS:  # a title by position, past any real title's length
                raise ParseError(f"title too long ({len(self.t[i].text)} characters; at most {TITLE_MAX_CHARS}): "
                                 f"{self.t[i].text[:60]!r}...", source=self.source, line=self.t[i].line)
            return self._finish(start, i, i + 1, self.skip_meta(i + 1), "long")
        if i >= len(self.t) or not is_title_like(self.t[i]):
            return None
        j = i + 1
        for _ in range(_MAX_TITLE_LINES):
            k = self.skip_meta(j)
            body = self.body_at(k)
            if body is not None:
                return self._finish(start, i, j, k, body)
            if j >= len(self.t) or self.kind(j) != SHORT or self.t[j].heading or not is_title_like(self.t[j]):
                return None
            j += 1
        return None

    def _finish(self, start: int, i: int, title_end: int, k: int, body: str) -> _Card | None:
        pre, mid = self.t[start:i], self.t[title_end:k]
        parts = [self.t[k].text]
        k += 1
        while body == "long" and self.kind(k) == LONG and not is_title_like(self.t[k]) and not (
                is_long_title(self.t[k]) and self.kind(k + 1) == LONG):  # the next card's (long) title
            parts.append(self.t[k].text)
            k += 1
        end = self.skip_meta(k, stop_at_next_card=True)
        tail = self.t[k:end]
        has_meta = any(t.kind != HEADER for t in pre + mid + tail)
        if body == "short" and not has_meta:
            return None
        date = None  # a date before the title is the page's or a submission date, not the paper's
        for t in mid + tail:
            if t.kind == DATE:
                date = parse_date(t.text)
        count = next((upvotes(t.text) for t in pre if t.kind == UPVOTES), None)
        title_tokens = self.t[i:title_end]
        arxiv_id = next((t.arxiv_id for t in title_tokens + mid + tail if t.arxiv_id), None)
        record = PaperRecord(title=" ".join(t.text for t in title_tokens), abstract=" ".join(parts),
                             upvotes=count, line=self.t[i].line, arxiv_id=arxiv_id,
                             url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None)
        return _Card(start, i, title_end, end, record, date, has_meta, len(tail))

    def first_card(self) -> _Card | None:
        for start in range(min(len(self.t), _MAX_HEADER_TOKENS)):
            if self.kind(start) == LONG and not is_title_like(self.t[start]) and not is_long_title(self.t[start]):
                return None
            card = self.card_at(start)
            if card is not None and card.title_end - card.title > 1 and not _wraps(self.t[card.title], self.t[card.title + 1]):
                # A header line right above a one-line title reads like a wrapped title: prefer the one line.
                one_line = self.card_at(card.title + 1)
                return one_line if one_line is not None and one_line.end == card.end else card
            if card is not None:
                return card
        return None

    def page(self) -> _Page | None:
        """All cards, or None when the tokens do not start like a papers page."""
        first = self.first_card()
        if first is None:
            return None
        page = _Page(header=self.t[:first.title], cards=[first])
        header = self.t[:first.start]
        dated = [n for n, t in enumerate(header) if t.kind == DATE]  # a daily page's header ends with its date
        stray = [t for t in header[dated[-1] + 1:] if t.kind == SHORT] if dated else []
        if stray:  # text between the page's date and its first card: a card cut before its abstract
            raise ParseError(f"card {stray[0].text[:60]!r} has no abstract", source=self.source, line=stray[0].line)
        i = first.end
        while i < len(self.t):
            card = self.card_at(i)
            if card is not None:
                page.cards.append(card)
                i = card.end
                continue
            tok = self.t[self.skip_meta(i)] if self.skip_meta(i) < len(self.t) else self.t[i]
            if any(t.kind == LONG for t in self.t[i:]) or self._card_after(i):  # not a footer: a card is broken
                if tok.kind == LONG:
                    raise ParseError("abstract paragraph without a title before it", source=self.source, line=tok.line)
                raise ParseError(f"card {tok.text[:60]!r} has no abstract", source=self.source, line=tok.line)
            page.warnings.append(
                f"{self.source}:{tok.line}: lines {tok.line}-{self.t[-1].line} after the last card form no card "
                f"(a page footer or a card cut off before its abstract); ignored")
            break
        last = page.cards[-1]
        if last.end == len(self.t) and not last.tail and not ends_complete(last.record.abstract):
            page.warnings.append(
                f"{self.source}:{last.record.line}: last card {last.record.title[:60]!r} stops mid-sentence "
                "with nothing after it (the file looks cut off); dropped")
            page.cards.pop()
        return page

    def _card_after(self, i: int) -> bool:
        """Whether a card (one with a short summary counts) starts after token ``i``."""
        return any(self.card_at(j) is not None for j in range(i + 1, len(self.t)))

    def recognised(self, page: _Page) -> bool:
        header_evidence = any(t.kind == DATE or DISTINCTIVE_HEADER.search(t.letters) for t in page.header)
        return header_evidence or len(page.cards) > 1 or any(c.has_meta for c in page.cards)


_CONNECTOR = re.compile(r"(?:[:,\-–]|\b(?:a|an|and|at|by|for|from|in|into|of|on|or|the|to|via|with))$", re.IGNORECASE)


def _wraps(first: Token, second: Token) -> bool:
    """Does ``second`` read as the continuation of a title wrapped after ``first``?"""
    return second.text[:1].islower() or bool(_CONNECTOR.search(first.text))


def _page_header(tokens: list[Token]) -> list[Token]:
    """Header lines up to the first count or "Submitted by" (later dates are a card's, not the page's)."""
    end = next((n for n, t in enumerate(tokens) if t.kind in (UPVOTES, SUBMITTED)), len(tokens))
    return tokens[:end]


def _has_header_words(tokens: list[Token]) -> bool:
    return any(DISTINCTIVE_HEADER.search(t.letters) or t.kind == DATE for t in tokens[:_MAX_HEADER_TOKENS])


def looks_like(text: str) -> bool:
    """Tell whether ``text`` is a Hugging Face papers page (listing or single paper).

    ``True`` when the first lines hold a card structure (see the module notes) or a single paper's page.  Never
    raises.
    """
    tokens = tokenize("\n".join(text.splitlines()[:_DETECT_LINES]))
    if hf_paper_page.looks_like(tokens):
        return True
    grammar = _Grammar(tokens, "<detect>")
    try:
        page = grammar.page()
    except ParseError:
        try:
            first = grammar.first_card()
        except ParseError:  # its first card's title is too long: a page still, when its header says so
            return _has_header_words(tokens)
        return first is not None and _has_header_words(tokens[:first.title])
    return page is not None and bool(page.cards) and grammar.recognised(page)


def _make_date(parts: tuple[int, int, int | None] | None, year: int | None) -> dt.date | None:
    if not parts or not parts[0]:
        return None
    month, day, explicit = parts
    try:
        return dt.date(explicit or year, month, day) if (explicit or year) else None
    except ValueError:
        return None


def parse(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Parse a Hugging Face papers page copied as text or captured as markdown.

    Parameters
    ----------
    data : bytes or str
        The page text (bytes are decoded as by :func:`.cleaning.decode_bytes`).
    source : str
        File name or URL, used in error messages and warnings.

    Returns
    -------
    DigestRecord
        ``kind="hf_page"``; one :class:`PaperRecord` per card in page order
        (repeated cards kept), with title, abstract (or the page's short
        summary), published date when the card shows one and the year is
        known, upvotes when shown before the title, the card's first line
        number, and the arXiv id when a markdown link gives it.  ``authors`` is
        empty on listing pages (they show only a count or an organization).
        ``warnings`` lists dropped trailing lines and a dropped cut-off last card.

    Raises
    ------
    ParseError
        Empty input, undecodable bytes, text with no card structure, an
        abstract with no title, or a title with no abstract before the last
        card.  The error names ``source`` and the 1-based line.  No partial
        results are returned.
    """
    text = decode_input(data, source)
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty input: no text to parse", source=source)
    if hf_paper_page.looks_like(tokens):
        return hf_paper_page.parse_tokens(tokens, source)
    grammar = _Grammar(tokens, source)
    page = grammar.page()
    if page is None or not page.cards:
        if _has_header_words(tokens) and not any(t.kind == LONG for t in tokens):
            raise ParseError("no paper cards after the page header", source=source, line=tokens[-1].line)
        first = tokens[0]
        raise ParseError(
            "not a Hugging Face papers page: no card (a title, then an abstract or a summary with its "
            f"meta lines) found; first line {first.text[:60]!r}", source=source, line=first.line)
    if not grammar.recognised(page):
        first = tokens[0]
        raise ParseError("not a Hugging Face papers page: one title and one paragraph, with no header, date "
                         "or card meta lines to tell it from other text", source=source, line=first.line)
    cards = [(c.record, c.date) for c in page.cards]
    page_dates = [parse_date(t.text) for t in _page_header(page.header) if t.kind == DATE]
    explicit_years = [d[2] for _, d in cards if d and d[2]]
    has_yearless = any(d and d[0] and d[2] is None for _, d in cards)
    current_year = max(explicit_years) + 1 if explicit_years and has_yearless else None
    papers = [_with_date(record, _make_date(date, current_year)) for record, date in cards]
    for (record, date), paper in zip(cards, papers, strict=True):
        if paper.published is None and date and date[0] and (date[2] or current_year):  # "Feb 30, 2024"
            month, day, year = date
            page.warnings.append(f"{source}:{record.line}: card {record.title[:60]!r} is dated {year or current_year}-"
                                 f"{month:02d}-{day:02d}, no day of the calendar; stored undated")
    page_date = _make_date(page_dates[-1], current_year) if page_dates else None
    return DigestRecord(kind=KIND, papers=papers, date=page_date, warnings=page.warnings)


def _with_date(record: PaperRecord, date: dt.date | None) -> PaperRecord:
    return record if date is None else replace(record, published=date)
