"""Plain records that every digest parser returns, and the parse error they raise.

A parser turns the raw text or bytes of one digest into a :class:`DigestRecord`
holding :class:`PaperRecord` entries in the order the digest listed them.  Records
are plain data: they know nothing of the store.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

__all__ = [
    "PaperRecord",
    "DigestRecord",
    "ParseError",
    "normalize_arxiv_id",
    "title_key",
]


class ParseError(ValueError):
    """A digest could not be parsed.

    Parameters
    ----------
    message : str
        What is wrong, in words a user can act on.
    source : str, optional
        The file name or URL the input came from.
    line : int, optional
        1-based line number in the input where the problem was found.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class PaperRecord:
    """One paper as a digest listed it.

    Attributes
    ----------
    title, abstract : str
        Cleaned for display: single spaces, no hard line breaks, no HTML entities.
    authors : tuple of str
        Author names in order; empty when the digest gives only a count.
    arxiv_id : str or None
        arXiv identifier without version (``"2401.01234"``, ``"hep-th/9901001"``).
    published : datetime.date or None
        Publication date as the digest gives it (UTC calendar day).
    url : str or None
        Link to the paper's page.
    upvotes : int or None
        Upvote count shown by the digest, when it shows one.
    announce_type : str or None
        For arXiv listing feeds: ``"new"``, ``"cross"``, ``"replace"`` or
        ``"replace-cross"``.  A replacement updates a stored paper and is not news.
    line : int or None
        1-based line where the entry starts in the input, for error messages.
    """

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    published: dt.date | None = None
    url: str | None = None
    upvotes: int | None = None
    announce_type: str | None = None
    line: int | None = None

    @property
    def key(self) -> str:
        """Deduplication key: ``arxiv:<id>`` when known, else ``title:<normalized title>``."""
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id}"
        return f"title:{title_key(self.title)}"

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in ("replace", "replace-cross")


@dataclass
class DigestRecord:
    """One parsed digest.

    Attributes
    ----------
    kind : str
        Format name: ``"hf_page"``, ``"hf_api"``, ``"arxiv_atom"`` or ``"arxiv_rss"``.
    papers : list of PaperRecord
        Entries in digest order (duplicates within one digest kept as listed).
    date : datetime.date or None
        The digest day when the digest states it (for a page with no year, the
        year is inferred from the card dates or left as ``None``).
    """

    kind: str
    papers: list[PaperRecord] = field(default_factory=list)
    date: dt.date | None = None


_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_ARXIV_OLD = re.compile(r"([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)


def normalize_arxiv_id(value: str | None) -> str | None:
    """Return the bare arXiv id (no version, no URL, no ``arXiv:`` prefix) or ``None``.

    Accepts ``"2401.01234v2"``, ``"arXiv:2401.01234"``, ``"https://arxiv.org/abs/2401.01234v1"``,
    ``"oai:arXiv.org:2505.17037v1"``, ``"hep-th/9901001v3"`` and the like.
    """
    if not value:
        return None
    text = value.strip()
    m = _ARXIV_NEW.search(text)
    if m:
        return m.group(1)
    m = _ARXIV_OLD.search(text)
    if m:
        return m.group(1).lower() if "/" in m.group(1) else m.group(1)
    return None


_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """Normalize a title for deduplication: NFKD, accents dropped, lowercase, words joined by one space."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())
