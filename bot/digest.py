"""Compose digests as platform-neutral data; adapters render them (Block Kit, embeds, text)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from recommender.picks import Pick
from recommender.store import Paper

SOURCE_NAMES = {
    "hf_page": "Hugging Face Daily Papers",
    "hf_api": "Hugging Face Daily Papers",
    "arxiv_atom": "arXiv",
    "arxiv_rss": "arXiv listing",
}


@dataclass
class PaperItem:
    """One paper as a message shows it."""

    paper_id: int
    ref: str
    title: str
    url: str | None
    authors: list[str]
    source: str
    date: dt.date | None
    abstract: str
    reason: str = ""
    score: float = 0.0
    message_ref: str | None = None
    kind: str = ""  # source format: hf_page, hf_api, arxiv_atom, arxiv_rss

    @property
    def authors_line(self) -> str:
        if not self.authors:
            return ""
        if len(self.authors) <= 4:
            return ", ".join(self.authors)
        return ", ".join(self.authors[:3]) + f" and {len(self.authors) - 3} more"


@dataclass
class DigestMessage:
    """A digest for one target and day: a title line, an intro, and the papers."""

    title: str
    day: dt.date
    items: list[PaperItem] = field(default_factory=list)
    intro: str = ""
    #: Platform reference of the header message, set by the poster as soon as it is posted.
    header_ref: str | None = None

    @property
    def empty(self) -> bool:
        return not self.items


def paper_item(paper: Paper, reason: str = "", score: float = 0.0) -> PaperItem:
    return item_from_pick(Pick.from_paper(paper, score=score, reason=reason))


def item_from_pick(pick: Pick) -> PaperItem:
    return PaperItem(
        paper_id=pick.paper_id,
        ref=pick.ref,
        title=pick.title,
        url=pick.url,
        authors=list(pick.authors),
        source=SOURCE_NAMES.get(pick.source_kind, pick.source_kind),
        date=pick.published,
        abstract=pick.abstract,
        reason=pick.reason,
        score=pick.score,
        kind=pick.source_kind,
    )


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"
