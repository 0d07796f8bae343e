"""Format detection and parsing by content: :func:`detect_format`, :func:`parse_digest` (re-exported by the package)."""

from __future__ import annotations

from collections.abc import Callable

from . import arxiv_atom, arxiv_rss, hf_api, hf_page
from .cleaning import decode_bytes, decode_input, load_json
from .records import DigestRecord, ParseError

__all__ = ["FORMATS", "detect_format", "parse_digest"]

#: Parser for each format name.
FORMATS: dict[str, Callable[..., DigestRecord]] = {
    "hf_page": hf_page.parse,
    "hf_api": hf_api.parse,
    "arxiv_atom": arxiv_atom.parse,
    "arxiv_rss": arxiv_rss.parse,
}


def _detect_text(text: str, source: str) -> tuple[str, object]:
    """``(format name, decoded JSON value or None)``; JSON is decoded once, here."""
    stripped = text.lstrip()
    if not stripped:
        raise ParseError("empty input: no digest to parse", source=source)
    if stripped[0] in "[{":
        value = load_json(text, source)
        if hf_api.looks_like(value):
            return "hf_api", value
        if arxiv_rss.looks_like_json(value):
            return "arxiv_rss", value
        library = " (it reads as a CSL-JSON library: " + _LIBRARY + ")" if _csl_like(value) else ""
        raise ParseError("JSON of no known digest shape (expected a Daily Papers API array "
                         f"or a cached arXiv feed){library}", source=source)
    if stripped.startswith("<"):
        if arxiv_rss.looks_like_xml(text):
            return "arxiv_rss", None
        if arxiv_atom.looks_like(text):
            return "arxiv_atom", None
        raise ParseError("markup of no known digest format (expected an arXiv API Atom response "
                         "or an rss.arxiv.org feed)", source=source, line=1)
    if hf_page.looks_like(text):
        return "hf_page", None
    first = next((n for n, line in enumerate(text.splitlines(), 1) if line.strip()), 1)
    kind = _library_kind(text)
    library = f" (it reads as a {kind} library: {_LIBRARY})" if kind else ""
    raise ParseError(f"not a known digest format (no Hugging Face papers page, JSON or feed XML){library}",
                     source=source, line=first)


#: What a library file given as a digest is told (a trial ingested its .bib).
_LIBRARY = "a person's library is imported as their 👍, with `import`, not ingested"


def _library_kind(text: str) -> str | None:
    """"BibTeX" or "RIS" when ``text`` reads as that library export by the import's own detection
    (:func:`recommender.imports.formats.detect_format`), else None."""
    from recommender.imports.formats import detect_format  # here: the import reads records from this package

    try:
        return {"bibtex": "BibTeX", "ris": "RIS"}.get(detect_format(text))
    except ParseError:
        return None


def _csl_like(value: object) -> bool:
    """A JSON list of CSL items (``{"type": ..., "title": ...}``), as Zotero exports a library."""
    return (isinstance(value, list) and bool(value) and isinstance(value[0], dict)
            and {"type", "title"} <= value[0].keys())


def _decode(data: bytes | str, source: str) -> tuple[str, str]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        text, encoding = decode_bytes(bytes(data), source)
    else:
        text, encoding = decode_input(data, source), "str"
    return (text.removeprefix("\ufeff")), encoding


def detect_format(data: bytes | str, source: str = "<input>") -> str:
    """Name the digest format of ``data`` from its content (never from a file name).

    Parameters
    ----------
    data : bytes or str
        The raw digest; bytes are decoded by :func:`.cleaning.decode_bytes`
        (byte-order mark, UTF-8, then the most plausible other encoding).
    source : str, optional
        File name or URL, used in error messages.

    Returns
    -------
    str
        ``"hf_page"``, ``"hf_api"``, ``"arxiv_atom"`` or ``"arxiv_rss"``.

    Raises
    ------
    ParseError
        Binary data, empty input, invalid JSON, or content of no known digest format.
    """
    return _detect_text(_decode(data, source)[0], source)[0]


def parse_digest(data: bytes | str, source: str = "<input>") -> DigestRecord:
    """Detect the format of ``data`` from its content and parse it.

    Parameters
    ----------
    data : bytes or str
        The raw digest; bytes are decoded by :func:`.cleaning.decode_bytes`.
    source : str, optional
        File name or URL, used in error messages.

    Returns
    -------
    DigestRecord
        All papers of the digest, in digest order, with ``kind`` set to the
        format and ``encoding`` to the text encoding used.

    Raises
    ------
    ParseError
        Binary data, unknown format, or any problem the format's parser
        reports.  Any other exception raised while parsing is turned into a
        ParseError naming the file too, so one bad file never stops a batch.
        Never partial results: all records of the input, or an error.
    """
    try:
        text, encoding = _decode(data, source)
        kind, value = _detect_text(text, source)
        if kind == "hf_api":
            digest = hf_api.from_value(value, text, source)
        elif kind == "arxiv_rss" and value is not None:
            digest = arxiv_rss.from_json(value, source, text)
        else:
            digest = FORMATS[kind](text, source)
    except ParseError:
        raise
    except Exception as exc:  # a parser bug or an input nobody foresaw: fail this file alone
        raise ParseError(f"could not be parsed ({type(exc).__name__}: {exc})", source=source) from exc
    digest.encoding = encoding
    return digest
