"""Stored papers written as a reference-manager library: BibTeX, RIS and CSL-JSON, what :mod:`.formats` reads.

A person takes their 👍 into Zotero or another reference manager with ``paperbot export``.
A stored author ("Given Family") is written as each format wants it (:mod:`.names`): BibTeX and RIS
``Family, Given``, CSL-JSON ``{"family", "given"}``; a one-word or group name as written (``{"literal"}``).
Each writer is a well-kept library's: ``bibtexparser`` (v2, its LaTeX encoding of ``&``, accents
and the like), ``rispy`` for RIS, :mod:`json` for CSL-JSON. A date is written as far as it is
known (``published_precision``): a year alone, a year and month, or the day, so that an import of
the file dates the papers as they were. When the person 👍'd each paper (``added``) is written where
:mod:`.formats` reads the date a paper was added to a library, in UTC: BibTeX ``timestamp`` (JabRef's
field; Zotero's own BibTeX has none) and RIS ``Y2`` as ``2024-05-02T10:00:00Z``, to the second, and
CSL-JSON ``accessed`` (as Zotero writes its dates) to the day, the most a CSL date holds; so an import of
the file dates the 👍 as they were, not by publication. A paper's venue, entry type and pages, as an import
stored them, are written where :mod:`.formats` reads them: BibTeX's entry type, ``journal`` (``booktitle`` for
``inproceedings`` and ``incollection``) and ``pages`` (``436--444``), RIS's ``TY``, ``T2``, ``SP`` and ``EP``, CSL-JSON's
``type``, ``container-title`` and ``page``; a paper with no type is an ``article`` when it has a venue and no arXiv id, else a ``misc``.
An author list that stops short (an import's "and others") ends with BibTeX's ``and others``; RIS and CSL-JSON
have no such mark, and list the authors known.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import unicodedata
from collections.abc import Sequence

from recommender.imports.entry import ENTRY_TYPES
from recommender.imports.names import bibtex_author, csl_author, is_literal, ris_author, surname
from recommender.sources.records import normalize_arxiv_id
from recommender.store import Paper

__all__ = ["citation_keys", "write_library"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _date_parts(paper: Paper) -> list[int]:
    """``[year]``, ``[year, month]`` or ``[year, month, day]`` as far as ``paper``'s date is known; [] undated."""
    if paper.published is None:
        return []
    d = paper.published
    return {"year": [d.year], "month": [d.year, d.month]}.get(paper.published_precision or "", [d.year, d.month, d.day])


def _entry_type(paper: Paper) -> str:
    """The paper's stored entry type (:data:`~recommender.imports.entry.ENTRY_TYPES`), else ``article`` for a paper
    with a venue (its journal) and ``misc`` for another: an arXiv paper, or one a digest gave by title alone
    (BibTeX's ``article`` wants a journal)."""
    if paper.entry_type in ENTRY_TYPES:
        return paper.entry_type
    return "article" if paper.venue and not paper.arxiv_id else "misc"


def _utc(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _added_text(when: dt.datetime) -> str:
    """``when`` in UTC to the second, ``2024-05-02T10:00:00Z`` (a naive one taken as UTC)."""
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ascii_word(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", plain)


def citation_keys(papers: Sequence[Paper], given: Sequence[str | None] | None = None) -> list[str]:
    """One BibTeX key per paper, unique within ``papers``: the ``given`` one (the key the person's library gave it,
    ``Feedback.citation_key``) when it has one no paper before took, else first author's surname, year, first title
    word (``lovelace2021sparse``; ``…2021sparse-2`` for a second one)."""
    keys: list[str] = []
    given = list(given) if given is not None else [None] * len(papers)
    taken: set[str] = {k for k in given if k}  # a made key never takes one a later paper was given
    used: set[str] = set()
    for paper, own in zip(papers, given, strict=True):
        if own and own not in used:
            keys.append(own)
            used.add(own)
            continue
        family = surname((paper.authors or [""])[0])
        words = [w for w in (_ascii_word(w).lower() for w in paper.title.split()) if len(w) > 3] or ["paper"]
        year = str(paper.published.year) if paper.published else ""
        base = f"{_ascii_word(family).lower() or 'anon'}{year}{words[0]}"
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}-{n}"
        keys.append(key)
        taken.add(key)
        used.add(key)
    return keys


def _bibtex(papers: Sequence[Paper], added: Sequence[dt.datetime | None], given: Sequence[str | None]) -> str:
    import bibtexparser
    from bibtexparser.middlewares import LatexEncodingMiddleware
    from bibtexparser.model import Block, Entry, Field

    entries: list[Block] = []
    plain: list[list[Field]] = []
    groups: list[list[bool]] = []
    for paper, key, when in zip(papers, citation_keys(papers, given), added, strict=True):
        parts = _date_parts(paper)
        authors = [name for name in paper.authors or [] if name.strip()]
        names = {f"author{i}": bibtex_author(name) for i, name in enumerate(authors)}  # joined once encoded
        groups.append([is_literal(name) and " " in name.strip() for name in authors])
        kind = _entry_type(paper)
        venue = "booktitle" if kind in ("inproceedings", "incollection") else "journal"
        text = {"title": _kept_marks(paper.title), **names, venue: _kept_marks(paper.venue),
                "abstract": _kept_marks(paper.abstract)}
        as_is = {"year": str(parts[0]) if parts else None, "month": _MONTHS[parts[1] - 1] if len(parts) > 1 else None,
                 "day": str(parts[2]) if len(parts) > 2 else None, "doi": paper.doi, "eprint": paper.arxiv_id,
                 "archiveprefix": "arXiv" if paper.arxiv_id else None, "url": paper.link,
                 "pages": paper.pages.replace("-", "--") if paper.pages else None,
                 "timestamp": _added_text(when) if when else None}
        entries.append(Entry(kind, key, [Field(k, v) for k, v in text.items() if v]))
        plain.append([Field(k, v) for k, v in as_is.items() if v])
    # Only words are LaTeX-encoded ("Müller" -> M\"uller, "&" -> \&, math kept): a URL or DOI stays as written.
    quiet = logging.getLogger("pylatexenc")  # it warns once per character it cannot encode (CJK): kept as is
    level, quiet.level = quiet.level, logging.ERROR
    try:
        library = LatexEncodingMiddleware(keep_math=True).transform(bibtexparser.Library(entries))
    finally:
        quiet.level = level
    for entry, fields, braced, paper in zip(library.entries, plain, groups, papers, strict=True):
        for name in ("title", "journal", "booktitle", "abstract"):
            if (field := entry.fields_dict.get(name)) is not None:
                field.value = field.value.translate(_MARKS_LATEX)
        _join_authors(entry, braced, more=bool(paper.more_authors))
        for field in fields:
            entry.set_field(field)
    return bibtexparser.write_string(library)


#: Stand-ins (private-use characters, which the LaTeX encoder keeps as they are) for the marks LaTeX reads
#: otherwise than as written: a straight double quote (encoded ``''``, read back as a closing ”) and a hyphen
#: before another (``--`` is read back as an en dash). After encoding they become ``{"}`` and ``-{}``.
_QUOTE, _HYPHEN = "\ue000", "\ue001"
_MARKS_LATEX = str.maketrans({_QUOTE: '{"}', _HYPHEN: "-{}"})
#: Spans left as they are: math (``$a--b$``), which the encoder keeps and the import reads as written.
_KEPT_AS_WRITTEN = re.compile(r"(\$[^$]*\$)")


def _kept_marks(text: str | None) -> str | None:
    """``text`` with its straight double quotes and doubled hyphens put as :data:`_MARKS_LATEX` stand-ins, so a
    library exported then imported again keeps them as written ("early learning", 3--5), not ” and –."""
    if not text:
        return text
    pieces = _KEPT_AS_WRITTEN.split(text)  # odd pieces: math
    return "".join(p if i % 2 else re.sub(r"-(?=-)", _HYPHEN, p.replace('"', _QUOTE)) for i, p in enumerate(pieces))


def _join_authors(entry, braced: list[bool], *, more: bool = False) -> None:
    """Replace an entry's ``author0``, ``author1``, ... fields by one ``author`` field, ``A and B``
    (each ``Family, Given``: :func:`recommender.imports.names.bibtex_author`), then ``and others`` when the
    list stops short (``more``: :attr:`Paper.more_authors <recommender.store.models.Paper.more_authors>`). A name
    whose ``braced`` is true (a group: "Research and Development Team") is braced, so BibTeX readers keep it one name."""
    from bibtexparser.model import Field

    keys = [f.key for f in entry.fields if re.fullmatch(r"author\d+", f.key)]
    if not keys:
        return
    names = [entry.fields_dict[k].value for k in keys]
    for key in keys:
        entry.pop(key)
    names = ["{" + name + "}" if brace else name for name, brace in zip(names, braced, strict=True)]
    entry.fields.insert(1, Field("author", " and ".join(names + ["others"] * more)))


def _one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces as one space: in RIS a line is a tag or nothing
    (an abstract's line reading ``ER  - …`` would end the record)."""
    return " ".join(text.split())


def _arxiv_link(paper: Paper) -> str | None:
    return f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None


def _ris(papers: Sequence[Paper], added: Sequence[dt.datetime | None], given: Sequence[str | None]) -> str:
    import rispy

    class Writer(rispy.RisWriter):
        def set_header(self, count):  # rispy numbers records ("1."); RIS has no such line
            return None

    records = []
    for paper, when, key in zip(papers, added, given, strict=True):
        parts = _date_parts(paper)
        record = {"type_of_reference": ENTRY_TYPES[_entry_type(paper)][0], "title": _one_line(paper.title),
                  "authors": [ris_author(name) for name in paper.authors or []]}
        if key:
            record["id"] = key  # ID: the person's own citation key, as their library gave it
        if paper.venue:
            record["secondary_title"] = _one_line(paper.venue)  # T2, as Zotero writes a journal or proceedings
        if paper.pages:
            first, _, last = paper.pages.partition("-")
            record.update({"start_page": first} | ({"end_page": last} if last else {}))
        if parts:
            record["year"] = str(parts[0])
            record["date"] = "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))
        if when is not None:
            record["access_date"] = _added_text(when)  # Y2
        if paper.abstract:
            record["abstract"] = _one_line(paper.abstract)
        if paper.doi:
            record["doi"] = paper.doi
        arxiv_page = paper.arxiv_id is not None and normalize_arxiv_id(paper.link) == paper.arxiv_id
        link = None if arxiv_page else paper.link  # its arXiv page over http, or a version of it: written once, below
        urls = list(dict.fromkeys(u for u in (link, _arxiv_link(paper)) if u))  # the arXiv id, as a link
        if urls:
            record["urls"] = urls
        records.append(record)
    return rispy.dumps(records, implementation=Writer)


def _csl(papers: Sequence[Paper], added: Sequence[dt.datetime | None], given: Sequence[str | None]) -> str:
    items = []
    for paper, key, when in zip(papers, citation_keys(papers, given), added, strict=True):
        item: dict = {"id": key, "type": ENTRY_TYPES[_entry_type(paper)][1], "title": paper.title,
                      "author": [csl_author(name) for name in paper.authors or []]}
        parts = _date_parts(paper)
        if parts:
            item["issued"] = {"date-parts": [parts]}
        if when is not None:
            day = _utc(when)
            item["accessed"] = {"date-parts": [[day.year, day.month, day.day]]}
        arxiv = {"number": f"arXiv:{paper.arxiv_id}", "publisher": "arXiv"} if paper.arxiv_id else {}
        for name, value in (("container-title", paper.venue), ("page", paper.pages), ("abstract", paper.abstract),
                            ("DOI", paper.doi), ("URL", paper.link or _arxiv_link(paper)), *arxiv.items()):
            if value:
                item[name] = value
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def write_library(papers: Sequence[Paper], fmt: str, added: Sequence[dt.datetime | None] | None = None,
                  keys: Sequence[str | None] | None = None) -> str:
    """``papers`` as a library file's text in ``fmt``.

    Parameters
    ----------
    papers : sequence of Paper
        In the order to write them.
    fmt : {"bibtex", "ris", "csl-json"}
    added : sequence of datetime or None, optional
        When each paper was 👍'd (``Feedback.created_at``; a naive one is UTC), one per paper, None for
        a paper with no such date; written as the date it was added to the library (see the module).
    keys : sequence of str or None, optional
        The citation key the person's library gave each paper (``Feedback.citation_key``), one per paper, None
        for a paper with none: written as its key (BibTeX's key, RIS ``ID``, CSL-JSON ``id``) unless an earlier
        paper has it; a paper with none gets one made from it (:func:`citation_keys`).

    Raises
    ------
    ValueError
        ``fmt`` is none of them, or ``added`` or ``keys`` is not one per paper.
    """
    writers = {"bibtex": _bibtex, "ris": _ris, "csl-json": _csl}
    if fmt not in writers:
        raise ValueError(f"unknown library format {fmt!r}: one of {', '.join(writers)}")
    if added is not None and len(added) != len(papers):
        raise ValueError(f"added: {len(added)} dates for {len(papers)} papers")
    if keys is not None and len(keys) != len(papers):
        raise ValueError(f"keys: {len(keys)} keys for {len(papers)} papers")
    none = [None] * len(papers)
    return writers[fmt](papers, added if added is not None else none, keys if keys is not None else none)
