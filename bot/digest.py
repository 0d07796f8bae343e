"""Digests as platform-neutral data, and the display helpers every adapter shares.

A digest is a title, an intro and the papers as :class:`recommender.pick.Pick`
values; adapters render it (Block Kit, Discord embeds, the console). The
per-message references a platform gives back belong to delivery
(:class:`bot.delivery.DigestPost`), not to the paper. In a channel with
mentions on, a paper may name the teammates it fits best (:class:`Mention`);
each adapter renders a real mention (``<@U123>`` on Slack, ``<@id>`` on
Discord, ``@name`` on the console) in the line :func:`mention_line` words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recommender.dates import format_date
from recommender.pick import Pick

#: Display names of the source formats (``Pick.source_kind``).
SOURCE_NAMES = {
    "hf_page": "Hugging Face Daily Papers",
    "hf_api": "Hugging Face Daily Papers",
    "arxiv_atom": "arXiv",
    "arxiv_rss": "arXiv listing",
    "library": "a library import",
}


@dataclass(frozen=True)
class Mention:
    """A teammate named under a digest paper: their platform user id, the name paperbot knows them by, and
    what their profile the fit was scored against is made of (``basis``:
    :func:`recommender.reasons.profile_basis`; None when not recorded)."""

    user_ref: str
    name: str
    basis: str | None = None


#: How :func:`mention_line` says what a fit is based on (``Mention.basis``); None: not recorded.
FITS = {"interests": "your interests", "likes": "what you read", "interests+likes": "your interests and what you read",
        None: "your interests or what you read"}


@dataclass
class DigestMessage:
    """A digest for one target and day: a title line, an intro, and the papers in order.

    ``mentions`` maps a ``paper_id`` to the teammates named under that paper
    (one or two, best fit first; absent when nobody is named).
    """

    title: str
    day: dt.date
    papers: list[Pick] = field(default_factory=list)
    intro: str = ""
    mentions: dict[int, tuple[Mention, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.papers


def mention_line(mentions: Sequence[Mention], render: Callable[[Mention], str]) -> str:
    """``"For <@U1> and <@U2>: this fits what you read."`` with each mention rendered by the adapter ("" for none).

    What it fits is what each person's profile is made of (:data:`FITS`): ``"your interests"`` for
    someone with declared interests and no 👍, ``"what you read"`` for 👍 alone, both for both.
    People whose fits rest on different things get a sentence each, best fit first:
    ``"For @mia: this fits your interests. For @kim: this fits what you read."``
    """
    groups: list[tuple[str | None, list[str]]] = []
    for m in mentions:
        basis = m.basis if m.basis in FITS else None
        if groups and groups[-1][0] == basis:
            groups[-1][1].append(render(m))
        else:
            groups.append((basis, [render(m)]))
    return " ".join(f"For {_listed(names)}: this fits {FITS[basis]}." for basis, names in groups)


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 paper"``, ``"3 papers"``: ``n`` and ``noun`` in the number ``n`` takes.

    ``plural`` is the noun's plural when it is not ``noun + "s"`` (``counted(n, "entry", "entries")``).
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def found_text(query: str, papers: Sequence[Pick], respelled: str | None = None, *, instead: bool = False,
               unheld: Sequence[str] = ()) -> str:
    """The line above search results for ``query``, naming the query respelled when a word matched nothing.

    ``respelled`` (:meth:`recommender.picks.Recommender.respell`) is offered ("Top 5 for “speach
    recognition” (did you mean “speech recognition”?):"), or, with ``instead``, was searched instead
    ("No stored paper matches “quantisation”. Top 5 for “quantization”:"; when ``query``'s other words found
    papers, the words ``unheld`` that none of them holds: "No stored paper holds “grpah”. Top 5 for “graph
    neural”:").
    When no result holds a word searched or is close to it in meaning (:func:`weak_answer`), the line says so
    ("None of the top 5 for “sheep herding robots” holds its words or is close to it in meaning:").
    """
    if not papers:
        return f"No stored paper matches “{query}”."
    if instead and unheld:
        return f"No stored paper holds “{'”, “'.join(unheld)}”. Top {len(papers)} for “{respelled}”:"
    if instead:
        return f"No stored paper matches “{query}”. Top {len(papers)} for “{respelled}”:"
    top = f"Top {len(papers)} for “{query}”"
    if weak_answer(papers):
        top = f"None of the top {len(papers)} for “{query}” holds its words or is close to it in meaning"
    return top + (f" (did you mean “{respelled}”?):" if respelled else ":")


def unheld_words(query: str, papers: Sequence[Pick]) -> list[str]:
    """The words of ``query`` that none of ``papers`` holds, in the order typed, when some paper was found (else [])."""
    from recommender.spelling import found_texts, missing_words

    missing = missing_words(query, found_texts(papers)) if papers else set()
    return sorted(missing, key=query.lower().find)


def weak_answer(papers: Sequence[Pick]) -> bool:
    """Whether every search result holds none of the words searched and is not close in meaning (:attr:`Pick.weak`):
    the answer then says so first (:func:`found_text`)."""
    return bool(papers) and all(p.weak for p in papers)


def source_name(pick: Pick) -> str:
    """The source a person recognises (``"arXiv"``, ``"Hugging Face Daily Papers"``)."""
    return SOURCE_NAMES.get(pick.source_kind, pick.source_kind)


def authors_line(pick: Pick, *, shown: int = 3) -> str:
    """``"A, B, C and 7 more"``; every author when there are at most ``shown + 1``; ``"… and others"`` when the
    list stops short (:attr:`~recommender.pick.Pick.more_authors`: a library's "and others")."""
    authors = pick.authors
    if len(authors) <= shown + 1:
        return ", ".join(authors) + (" and others" if pick.more_authors and authors else "")
    return ", ".join(authors[:shown]) + (" and others" if pick.more_authors else f" and {len(authors) - shown} more")


def date_label(pick: Pick) -> str:
    """The publication date at its precision: ``"2019-03-05"``, ``"Mar 2019"`` or ``"2019"`` (a library's year
    alone), or ``"undated"`` when the source gave none (never the ingest day)."""
    return format_date(pick.published, pick.published_precision)


#: What a search result the asker gave 👎 says, in every adapter (:attr:`recommender.pick.Pick.disliked`).
DISLIKED_NOTE = "you 👎 this"
#: What a search result the asker gave 👍 says, in every adapter (:attr:`recommender.pick.Pick.liked`).
LIKED_NOTE = "you 👍 this"


def rating_note(pick: Pick) -> str:
    """:data:`DISLIKED_NOTE` or :data:`LIKED_NOTE` for a search result the asker rated, else ``""``."""
    return DISLIKED_NOTE if pick.disliked else LIKED_NOTE if pick.liked else ""


def meta_line(pick: Pick) -> str:
    """``authors · source · date``: the parts that are known, and always the date or ``undated``;
    first the :func:`rating_note` when the asker rated the paper."""
    parts = (rating_note(pick), authors_line(pick), source_name(pick), date_label(pick))
    return " · ".join(p for p in parts if p)


def clip(text: str, limit: int, *, keep_lines: bool = False) -> str:
    """Cut ``text`` to at most ``limit`` characters at a word boundary, ending with ``…``.

    Whitespace runs collapse to one space (with ``keep_lines``, line breaks are
    kept and only spaces within a line collapse). A word is cut only when the
    last word boundary is in the first 60 % of the limit.
    """
    if keep_lines:
        text = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    else:
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    boundary = max(cut.rfind(" "), cut.rfind("\n"))
    if boundary > limit * 0.6:
        cut = cut[:boundary]
    return cut.rstrip(" ,;:.-\n") + "…"
