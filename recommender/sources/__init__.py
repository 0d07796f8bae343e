"""Digest parsers: one module per format, chosen by content.

>>> digest = parse_digest(Path("002_060d071d17833c35.txt").read_bytes(), source="002...txt")
>>> digest.kind, len(digest.papers)
('hf_page', 149)

Formats (module, name returned by :func:`detect_format`, in :mod:`.detect`):

* :mod:`.hf_page` ``"hf_page"``: Hugging Face papers pages (Daily, Trending, week,
  month, a single paper) copied as text or captured as markdown;
* :mod:`.hf_api` ``"hf_api"``: Hugging Face Daily Papers API JSON;
* :mod:`.arxiv_atom` ``"arxiv_atom"``: arXiv API Atom responses;
* :mod:`.arxiv_rss` ``"arxiv_rss"``: rss.arxiv.org listing feeds, raw XML or
  feedparser's cached JSON.
"""

from __future__ import annotations

import importlib
from typing import Any

from .records import (
    DigestRecord,
    PaperRecord,
    ParseError,
    normalize_arxiv_id,
    normalize_doi,
    title_key,
)

__all__ = [
    "FORMATS",
    "DigestRecord",
    "PaperRecord",
    "ParseError",
    "clean_text",
    "detect_format",
    "normalize_arxiv_id",
    "normalize_doi",
    "parse_digest",
    "title_key",
]

_LAZY = {"FORMATS": ".detect", "detect_format": ".detect", "parse_digest": ".detect", "clean_text": ".cleaning"}
"""Names imported on first use: the parsers pull in feedparser, ftfy and charset-normalizer, which a
process that only reads the store (a search from the command line) never needs."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
