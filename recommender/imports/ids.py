"""Identifiers read from library exports: the arXiv id and DOI of an entry, wherever exports put them.

Identifier-like fields (eprint, URL, DOI) first (:func:`identifiers`); else an arXiv id mentioned among
other words, where Google Scholar, DBLP and Zotero put it (:func:`mentioned_arxiv_id`), read alike from
BibTeX fields, RIS tags (:func:`ris_field`) and CSL-JSON variables (:func:`csl_text`). Ids are read by
:func:`recommender.sources.records.normalize_arxiv_id` and ``normalize_doi``, as digests' are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

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


def _texts(got: object) -> list[str]:
    """A field's values as a list of strings: one string, the strings of a list, or none."""
    items = got if isinstance(got, list | tuple) else [got]
    return [v for v in items if isinstance(v, str) and v.strip()]


class _NoteText(HTMLParser):
    """An HTML note's words and the targets of its links, as Zotero writes notes (``<p>arXiv: 1706.03762</p>``,
    ``<a href="https://arxiv.org/abs/1706.03762">the preprint</a>``); entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.extend(f" {value} " for name, value in attrs if name == "href" and value)
        self.parts.append(" ")  # a tag separates words: <p>arXiv:</p><p>1706.03762</p>

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


#: Text that holds an HTML tag: a note as Zotero writes it.
_HTML_TAG = re.compile(r"<[A-Za-z/][^<>]*>")


def _plain(text: str) -> str:
    """``text`` with its HTML read (:class:`_NoteText`) when it holds a tag; else as it is."""
    if not _HTML_TAG.search(text):
        return text
    reader = _NoteText()
    reader.feed(text)
    reader.close()
    return "".join(reader.parts)


def mentioned_arxiv_id(value: Callable[[str], object], doi: str | None = None) -> str | None:
    """The arXiv id of an entry with no eprint-like field for it, from the fields exports put it in otherwise.

    ``value(name)`` is a field's text, or a list of texts (a RIS record's several journal tags), None when
    absent. The words of :data:`_ARXIV_MENTIONS` fields that name arXiv are read with
    :func:`~recommender.sources.records.normalize_arxiv_id` (a bare number in a note that does not name arXiv
    is not taken; an HTML note, as Zotero writes notes, is read as its words and its links' targets), then a
    ``volume = {abs/<id>}`` of a journal ``CoRR`` or ``arXiv``. Exactly one distinct id
    must be named: a note naming several cites other papers. Nothing is read for an entry with a ``doi`` of
    its own (arXiv's ``10.48550/`` aside): a journal article's note that mentions an arXiv id cites another
    paper, and its DOI matches it.
    """
    if doi and not doi.lower().startswith("10.48550/"):
        return None
    named: set[str] = set()
    for name in _ARXIV_MENTIONS:
        for text in map(_plain, _texts(value(name))):
            if "arxiv" in text.lower():
                named.update(filter(None, (normalize_arxiv_id(w.rstrip(".")) for w in _WORD_BREAK.split(text))))
    if not named:
        journals = {" ".join(j.replace("{", "").replace("}", "").split()).lower() for j in _texts(value("journal"))}
        if journals & _ARXIV_JOURNALS:
            named.update(filter(None, (normalize_arxiv_id(v.strip().removeprefix("abs/"))
                                       for v in _texts(value("volume")))))
    return named.pop() if len(named) == 1 else None


#: The RIS tags (as rispy names them) holding what BibTeX calls journal and note: Google Scholar's RIS
#: export writes ``JO  - arXiv preprint arXiv:1706.03762``.
_RIS_FIELDS = {"journal": ("journal_name", "alternate_title3", "secondary_title", "alternate_title2", "alternate_title1"),
               "note": ("notes", "note"), "volume": ("volume",)}
#: The CSL-JSON variables holding what BibTeX calls journal and note (Zotero: ``container-title``).
_CSL_FIELDS = {"journal": "container-title", "note": "note", "volume": "volume"}


def ris_arxiv_id(ref: dict, doi: str | None = None) -> str | None:
    """:func:`mentioned_arxiv_id` of a RIS record as rispy reads it (each field's tags, :data:`_RIS_FIELDS`)."""
    return mentioned_arxiv_id(lambda name: [v for key in _RIS_FIELDS.get(name, ()) for v in _texts(ref.get(key))], doi)


def csl_arxiv_id(item: dict, doi: str | None = None) -> str | None:
    """:func:`mentioned_arxiv_id` of a CSL-JSON item (:data:`_CSL_FIELDS`; a number read as text)."""
    def value(name: str) -> object:
        got = item.get(_CSL_FIELDS.get(name, ""))
        return str(got) if isinstance(got, int) and not isinstance(got, bool) else got
    return mentioned_arxiv_id(value, doi)
