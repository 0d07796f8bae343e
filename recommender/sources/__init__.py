"""Digest parsers: one module per format, chosen by content.

>>> digest = parse_digest(Path("002_060d071d17833c35.txt").read_bytes(), source="002...txt")
>>> digest.kind, len(digest.papers)
('hf_page', 149)

Formats (module, name returned by :func:`detect_format`):

* :mod:`.hf_page` ``"hf_page"``: Hugging Face Daily Papers pages copied as text;
* :mod:`.hf_api` ``"hf_api"``: Hugging Face Daily Papers API JSON;
* :mod:`.arxiv_atom` ``"arxiv_atom"``: arXiv API Atom responses;
* :mod:`.arxiv_rss` ``"arxiv_rss"``: rss.arxiv.org listing feeds, raw XML or
  feedparser's cached JSON.
"""

from __future__ import annotations

import json
from typing import Callable

from . import arxiv_atom, arxiv_rss, hf_api, hf_page
from .cleaning import clean_text, decode_input
from .records import DigestRecord, PaperRecord, ParseError, normalize_arxiv_id, title_key

__all__ = [
    "FORMATS",
    "DigestRecord",
    "PaperRecord",
    "ParseError",
    "clean_text",
    "detect_format",
    "normalize_arxiv_id",
    "parse_digest",
    "title_key",
]

#: Parser for each format name.
FORMATS: dict[str, Callable[..., DigestRecord]] = {
    "hf_page": hf_page.parse,
    "hf_api": hf_api.parse,
    "arxiv_atom": arxiv_atom.parse,
    "arxiv_rss": arxiv_rss.parse,
}


def _detect_text(text: str, source: str) -> str:
    stripped = text.lstrip()
    if not stripped:
        raise ParseError("empty input: no digest to parse", source=source)
    if stripped[0] in "[{":
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ParseError(f"looks like JSON but is not valid JSON: {getattr(exc, 'msg', exc)}",
                             source=source, line=getattr(exc, "lineno", None)) from None
        if hf_api.looks_like(value):
            return "hf_api"
        if arxiv_rss.looks_like_json(value):
            return "arxiv_rss"
        raise ParseError("JSON of no known digest shape (expected a Daily Papers API array "
                         "or a cached arXiv feed)", source=source)
    if stripped.startswith("<"):
        if arxiv_rss.looks_like_xml(text):
            return "arxiv_rss"
        if arxiv_atom.looks_like(text):
            return "arxiv_atom"
        raise ParseError("markup of no known digest format (expected an arXiv API Atom response "
                         "or an rss.arxiv.org feed)", source=source, line=1)
    if hf_page.looks_like(text):
        return "hf_page"
    first = next((n for n, line in enumerate(text.splitlines(), 1) if line.strip()), 1)
    raise ParseError("not a known digest format (no Daily Papers page header, JSON or feed XML)",
                     source=source, line=first)


def detect_format(data: bytes | str, source: str = "<input>") -> str:
    """Name the digest format of ``data`` from its content (never from a file name).

    Parameters
    ----------
    data : bytes or str
        The raw digest; bytes are decoded as UTF-8 (a BOM is tolerated).
    source : str, optional
        File name or URL, used in error messages.

    Returns
    -------
    str
        ``"hf_page"``, ``"hf_api"``, ``"arxiv_atom"`` or ``"arxiv_rss"``.

    Raises
    ------
    ParseError
        Undecodable bytes, empty input, or content of no known digest format.
    """
    return _detect_text(decode_input(data, source), source)


def parse_digest(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Detect the format of ``data`` from its content and parse it.

    Parameters
    ----------
    data : bytes or str
        The raw digest; bytes are decoded as UTF-8 (a BOM is tolerated).
    source : str, optional
        File name or URL, used in error messages.

    Returns
    -------
    DigestRecord
        All papers of the digest, in digest order, with ``kind`` set to the format.

    Raises
    ------
    ParseError
        Undecodable bytes, unknown format, or any problem the format's parser
        reports.  Never partial results: all records of the input, or an error.
    """
    text = decode_input(data, source)
    return FORMATS[_detect_text(text, source)](text, source)
