"""Identifiers read from library exports: the arXiv id and DOI of an entry, wherever exports put them.

Identifier-like fields (eprint, URL, DOI) first (:func:`identifiers`); else an arXiv id mentioned among
other words, where Google Scholar, DBLP and Zotero put it (:func:`mentioned_arxiv_id`), read alike from
BibTeX fields, RIS tags (:func:`ris_field`) and CSL-JSON variables (:func:`csl_text`). Ids are read by
:func:`recommender.sources.records.normalize_arxiv_id` and ``normalize_doi``, as digests' are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from recommender.sources.records import normalize_arxiv_id, normalize_doi

__all__ = ["csl_arxiv_id", "identifiers", "mentioned_arxiv_id", "ris_arxiv_id"]


def identifiers(*fields: str | None) -> tuple[str | None, str | None]:
    """The arXiv id and DOI found among identifier-like fields (eprint, URL, DOI), first hit of each."""
    arxiv_id = doi = None
    for value in fields:
        arxiv_id = arxiv_id or normalize_arxiv_id(value)
        doi = doi or (None if normalize_arxiv_id(value) else normalize_doi(value))
    return arxiv_id, doi


#: The fields exports put an arXiv id in among other words: Google Scholar's ``journal = {arXiv preprint
#: arXiv:1706.03762}``, ``note = {arXiv:1706.03762}``, ``howpublished = {\url{https://arxiv.org/abs/1706.03762}}``.
_ARXIV_MENTIONS = ("journal", "note", "howpublished")
#: What separates the words of such a field: spaces, ``\url{...}``'s backslash and braces, ``[cs.CL]``'s brackets.
_WORD_BREAK = re.compile(r"[\s\\{}\[\](),;]+")
#: The ``journal`` of an arXiv paper with its id as ``volume = {abs/1706.03762}`` (DBLP, Semantic Scholar).
_ARXIV_JOURNALS = frozenset({"corr", "arxiv"})


def mentioned_arxiv_id(value: Callable[[str], str | None]) -> str | None:
    """The arXiv id of an entry with no eprint-like field for it, from the fields exports put it in otherwise.

    ``value(name)`` is a field's text (None when absent). A word of :data:`_ARXIV_MENTIONS` that
    :func:`~recommender.sources.records.normalize_arxiv_id` reads as a whole counts when its field names
    arXiv (a bare number in a note that does not name arXiv is not taken); then a ``volume = {abs/<id>}`` of the journal
    ``CoRR`` or ``arXiv``.
    """
    for name in _ARXIV_MENTIONS:
        text = value(name)
        if isinstance(text, str) and "arxiv" in text.lower():
            for word in _WORD_BREAK.split(text):
                found = normalize_arxiv_id(word.rstrip("."))
                if found:
                    return found
    volume = value("volume")
    journal = " ".join((value("journal") or "").replace("{", "").replace("}", "").split())
    if journal.lower() in _ARXIV_JOURNALS and isinstance(volume, str):
        return normalize_arxiv_id(volume.strip().removeprefix("abs/"))
    return None


#: The RIS tags (as rispy names them) holding what BibTeX calls journal and note: Google Scholar's RIS
#: export writes ``JO  - arXiv preprint arXiv:1706.03762``.
_RIS_FIELDS = {"journal": ("journal_name", "alternate_title3", "secondary_title", "alternate_title2", "alternate_title1"),
               "note": ("notes", "note"), "volume": ("volume",)}
#: The CSL-JSON variables holding what BibTeX calls journal and note (Zotero: ``container-title``).
_CSL_FIELDS = {"journal": "container-title", "note": "note", "volume": "volume"}


def ris_arxiv_id(ref: dict) -> str | None:
    """:func:`mentioned_arxiv_id` of a RIS record as rispy reads it (its tags joined per field, :data:`_RIS_FIELDS`)."""
    def value(name: str) -> str | None:
        parts: list[str] = []
        for key in _RIS_FIELDS.get(name, ()):
            got = ref.get(key)
            parts.extend(v for v in (got if isinstance(got, list) else [got]) if isinstance(v, str) and v.strip())
        return " ".join(parts) or None
    return mentioned_arxiv_id(value)


def csl_arxiv_id(item: dict) -> str | None:
    """:func:`mentioned_arxiv_id` of a CSL-JSON item (:data:`_CSL_FIELDS`; a number or list read as text)."""
    def value(name: str) -> str | None:
        got = item.get(_CSL_FIELDS.get(name, ""))
        if isinstance(got, list):
            got = next((v for v in got if isinstance(v, str)), None)
        return str(got) if isinstance(got, str | int) and not isinstance(got, bool) else None
    return mentioned_arxiv_id(value)
