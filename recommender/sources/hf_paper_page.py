"""A single paper's Hugging Face page (``huggingface.co/papers/<arXiv id>``), copied or captured.

The page shows, top to bottom: the arXiv id (``arxiv:2506.01234``), the title
(a ``#`` heading in markdown captures), ``Published on`` date, "Submitted by",
an upvote count, ``Authors:`` with names separated by commas, then
``Abstract`` with an optional ``AI-generated summary`` box and the abstract
itself, then links (arXiv page, PDF, GitHub) and the community section.  Labels,
not positions, are used; everything after the abstract is ignored.
"""

from __future__ import annotations

import datetime as dt
import re

from .hf_tokens import (
    AUTHORS,
    DATE,
    LONG,
    SHORT,
    SUBMITTED,
    UPVOTES,
    Token,
    is_title_like,
    parse_date,
    upvotes,
)
from .records import DigestRecord, PaperRecord, ParseError, normalize_arxiv_id

__all__ = ["looks_like", "parse_tokens"]

KIND = "hf_page"
#: The id and the title are near the top.
_TOP = 40
_ARXIV_LINE = re.compile(r"^arxiv\s*:\s*(?P<id>\S+)$", re.IGNORECASE)
_AUTHORS_LABEL = re.compile(r"^authors?\s*:?$", re.IGNORECASE)
_ABSTRACT_LABEL = re.compile(r"^abstract\s*:?$", re.IGNORECASE)
_SUMMARY_LABEL = re.compile(r"^ai[- ]generated\s+summary$", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"^(?:\+\s*\d+|·|•|and|et al\.?)$", re.IGNORECASE)


def _id_index(tokens: list[Token]) -> int | None:
    for n, tok in enumerate(tokens[:_TOP]):
        m = _ARXIV_LINE.match(tok.text)
        if m and normalize_arxiv_id(m.group("id")):
            return n
    return None


def _label_index(tokens: list[Token], label: re.Pattern, start: int = 0) -> int | None:
    return next((n for n in range(start, len(tokens)) if label.match(tokens[n].text)), None)


def looks_like(tokens: list[Token]) -> bool:
    """Tell whether page tokens are a single paper's page: an ``arxiv:<id>`` line near
    the top and an ``Abstract`` label followed by text (the abstract or the AI summary)."""
    at = _id_index(tokens)
    if at is None:
        return False
    label = _label_index(tokens, _ABSTRACT_LABEL, at)
    return label is not None and any(t.kind in (LONG, SHORT) for t in tokens[label + 1:label + 4])


def _title(tokens: list[Token], at: int) -> Token | None:
    headings = [t for t in tokens[:_TOP] if t.heading and is_title_like(t) and not _ARXIV_LINE.match(t.text)
                and t.kind in (SHORT, LONG) and not _ABSTRACT_LABEL.match(t.text) and t.text.lower() != "papers"]
    if headings:
        return max(headings, key=lambda t: len(t.text))
    return next((t for t in tokens[at + 1:_TOP] if t.kind == SHORT and is_title_like(t)), None)


def _authors(tokens: list[Token], start: int, stop: int) -> tuple[str, ...]:
    label = _label_index(tokens[:stop], _AUTHORS_LABEL, start)
    if label is None:
        return ()
    names: list[str] = []
    for tok in tokens[label + 1:stop]:
        if tok.kind in (DATE, UPVOTES, SUBMITTED, LONG, AUTHORS) or _ABSTRACT_LABEL.match(tok.text):
            break
        names.extend(part.strip() for part in tok.text.split(","))
    return tuple(n for n in names if n and not _NOT_A_NAME.match(n))


def parse_tokens(tokens: list[Token], source: str) -> DigestRecord:
    """Parse a single paper's page from its tokens (see :func:`.hf_tokens.tokenize`).

    Returns
    -------
    DigestRecord
        ``kind="hf_page"`` with one :class:`PaperRecord`: title, abstract (the
        AI summary when the page shows no abstract text), authors, arXiv id and
        abs link, published date when it carries a year, upvotes.

    Raises
    ------
    ParseError
        No title between the id and the abstract, or no abstract text.
    """
    at = _id_index(tokens)
    label = _label_index(tokens, _ABSTRACT_LABEL, at or 0)
    if at is None or label is None:
        raise ParseError("not a single paper's page: no 'arxiv:<id>' line and 'Abstract' label", source=source)
    arxiv_id = normalize_arxiv_id(_ARXIV_LINE.match(tokens[at].text).group("id"))
    title = _title(tokens, at)
    if title is None:
        raise ParseError("paper page without a title", source=source, line=tokens[at].line)
    k, summary = label + 1, ""
    if k < len(tokens) and _SUMMARY_LABEL.match(tokens[k].text):
        summary = tokens[k + 1].text if k + 1 < len(tokens) else ""
        k += 2
    parts = []
    while k < len(tokens) and tokens[k].kind == LONG:
        parts.append(tokens[k].text)
        k += 1
    abstract = " ".join(parts) or summary
    if not abstract:
        raise ParseError("paper page without abstract text after 'Abstract'", source=source,
                         line=tokens[label].line)
    head = tokens[:label]
    month, day, year = next((parse_date(t.text) for t in head if t.kind == DATE), (0, 0, None))
    try:
        published = dt.date(year, month, day) if year and month else None
    except ValueError:
        published = None
    record = PaperRecord(
        title=title.text, abstract=abstract, authors=_authors(tokens, at, label), arxiv_id=arxiv_id,
        published=published, url=f"https://arxiv.org/abs/{arxiv_id}",
        upvotes=next((upvotes(t.text) for t in head if t.kind == UPVOTES and upvotes(t.text) is not None), None),
        line=title.line)
    return DigestRecord(kind=KIND, papers=[record])
