"""``paperbot picks``, ``like``, ``dislike`` and ``search``: a local user's papers, feedback and search."""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from bot.cli.local import existing_user, paper_ref
from bot.cli.state import JsonOpt, choice, console, emit_json, fail, state

if TYPE_CHECKING:
    from recommender.pick import Pick

UserArg = Annotated[str, typer.Argument(metavar="PERSON", help="A user added with: paperbot users add.")]
PaperArg = Annotated[str | None, typer.Argument(
    metavar="PAPER", help="arXiv id or link, DOI, or `#<paper id>` (51 is #51; quote a # for the shell: '#51').",
    show_default=False)]
#: What an unquoted ``#24`` leaves: the shell reads ``#`` as a comment, and the paper never reaches paperbot.
NO_PAPER = "give a paper: an arXiv id or link, a DOI, or its #id, quoted for the shell ('#24') or without the # (24)"


class SourceKind(enum.StrEnum):
    """Digest formats, as stored with each paper, and ``library`` for papers a library import stored first."""

    hf_page = "hf_page"
    hf_api = "hf_api"
    arxiv_atom = "arxiv_atom"
    arxiv_rss = "arxiv_rss"
    library = "library"  # papers first stored by `paperbot import`


def item_json(item: Pick) -> dict:
    """One paper in ``--json`` output; the same keys for picks and search.

    ``published`` is the ISO day and ``published_precision`` how much of it is known: ``"year"`` (the day
    is its 1 January), ``"month"`` (its 1st) or null (the day itself, or no date).
    """
    from bot.digest import source_name

    return {
        "paper_id": item.paper_id, "ref": item.ref, "title": item.title, "url": item.url, "authors": list(item.authors),
        "more_authors": item.more_authors,
        "published": item.published, "published_precision": item.published_precision, "source": item.source_kind,
        "source_name": source_name(item), "score": round(item.score, 6), "reason": item.reason,
        "disliked": item.disliked, "liked": item.liked, "weak": item.weak,
    }


def picks_cmd(
    ctx: typer.Context,
    name: UserArg,
    k: Annotated[int, typer.Option("-k", min=1, max=50, metavar="N", help="How many picks (1-50).")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Top-k new papers for a user, each with the reason it was picked."""
    from bot.console import print_reply

    cmds = state(ctx).commands()
    reply = cmds.picks(existing_user(cmds, name), k, onboard=False)  # a script's picks; `paperbot start` onboards
    if as_json:
        return emit_json({"user": name, "picks": [item_json(i) for i in reply.papers]})
    print_reply(console, reply)


def _on_paper(ctx: typer.Context, name: str, paper: str | None, act: Callable[[Any, Any, str], Any]) -> None:
    """Run ``act(cmds, caller, paper_ref)`` for a user's command on one paper; print its reply (exit 1 when refused)."""
    from bot.commands import UsageError
    from bot.console import print_reply

    if paper is None:
        fail(NO_PAPER, 2)
    cmds = state(ctx).commands()
    try:
        reply = act(cmds, existing_user(cmds, name), paper_ref(paper))
    except UsageError as exc:  # no such paper
        fail(str(exc))
    print_reply(console, reply)
    if not reply.ok:
        raise typer.Exit(1)


def _rate(ctx: typer.Context, name: str, paper: str | None, positive: bool) -> None:
    from bot.commands import NEGATIVE, POSITIVE

    value = POSITIVE if positive else NEGATIVE
    _on_paper(ctx, name, paper, lambda cmds, who, ref: cmds.rate(who, ref, value, origin="cli"))


def like_cmd(ctx: typer.Context, name: UserArg, paper: PaperArg = None) -> None:
    """👍 a paper for a user: their next picks move toward it."""
    _rate(ctx, name, paper, positive=True)


def dislike_cmd(ctx: typer.Context, name: UserArg, paper: PaperArg = None) -> None:
    """👎 a paper for a user: their next picks move away from it."""
    _rate(ctx, name, paper, positive=False)


def unrate_cmd(ctx: typer.Context, name: UserArg, paper: PaperArg = None) -> None:
    """Take back a user's 👍 or 👎 on a paper.

    Their next picks forget it. Exit status 1, changing nothing, when they had not rated it.
    """
    _on_paper(ctx, name, paper, lambda cmds, who, ref: cmds.unrate(who, ref))


def _bound(text: str, *, last: bool) -> dt.date:
    """A date bound given as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``: a month or a year stands for its first day
    (``last``: its last day), so ``--since 2021 --until 2021-03`` is 1 January to 31 March 2021. A wrong month
    or day is named (``2024-13-01``: month must be in 1..12)."""
    shape = re.fullmatch(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?", text.strip())  # ASCII digits only
    try:
        if shape is None:
            raise ValueError("give a day as YYYY-MM-DD, a month as YYYY-MM, or a year as YYYY")
        year, month, day = (int(part) if part else None for part in shape.groups())
        if day is not None:
            return dt.date(year, month, day)
        first = dt.date(year, month if month is not None else (12 if last else 1), 1)
        return first.replace(day=calendar.monthrange(year, first.month)[1]) if last else first
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: {exc}") from None


def _since(text: str) -> dt.date:
    return _bound(text, last=False)


def _until(text: str) -> dt.date:
    return _bound(text, last=True)


def search_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words to look for, e.g. \"graph neural networks\".")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, metavar="N", help="How many results (1-100).")] = 10,
    user: Annotated[str | None, typer.Option(metavar="PERSON", help="Re-rank for this user's profile.")] = None,
    since: Annotated[dt.date | None, typer.Option(
        parser=_since, metavar="YYYY[-MM[-DD]]",
        help="Published on or after (a month or year: from its first day).")] = None,
    until: Annotated[dt.date | None, typer.Option(
        parser=_until, metavar="YYYY[-MM[-DD]]",
        help="Published on or before (a month or year: to its last day).")] = None,
    source: Annotated[SourceKind | None, typer.Option(
        metavar="FORMAT", parser=choice(SourceKind),
        help=f"Only papers first stored from this format: {', '.join(SourceKind)}.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search stored papers by their words (and meaning).

    Candidates from the full-text index, re-ranked by TF-IDF (and meaning); dates or "undated" shown.
    """
    if not query.strip():
        fail("the query is empty: give words to look for, a title, an arXiv id or #<paper id>", 2)
    if since and until and since > until:
        fail("--since is after --until", 2)
    cli = state(ctx)
    cmds = cli.commands() if user else None  # the command layer only to read the user's profile
    who = existing_user(cmds, user) if cmds else None
    store = cmds.store if cmds else cli.store()
    bounds = {"since": since, "until": until,
              "source": source.value if source else None}

    def found(session, text: str) -> list:
        items = None if cmds else _by_words(session, text, k, cli.settings.recommender.semantic, bounds)
        if items is None:
            member = cmds.member(session, who) if cmds and who else None
            items = recommender().search(session, text, k=k, member=member, **bounds)
            if member is not None:
                from bot.commands.rows import mark_rated

                items = mark_rated(session, member, items)
        return items

    from rich.markup import escape

    from bot.digest import date_label, found_text, rating_note, unheld_words, weak_answer
    from recommender.spelling import found_texts, missing_words

    recommender = functools.cache(lambda: cmds.recommender if cmds else cli.recommender(store))
    with store.session() as session:
        items = found(session, query)
        respelled = None  # "quantisation": "quantization"; the model is loaded only when some word matched nothing
        if missing_words(query, found_texts(items)):
            respelled = recommender().respell(session, query, items)
        again = found(session, respelled) if respelled else []
        unheld = unheld_words(query, items)  # "grpah neural": "neural" found papers, "grpah" none
        items, instead = (again, True) if again else (items, False)
    if as_json:
        return emit_json({"query": query, "respelled": respelled, "respelled_searched": instead,
                          "results": [item_json(i) for i in items]})
    if respelled or not items or weak_answer(items):  # else the table says it all
        console.print(escape(found_text(query, items, respelled, instead=instead, unheld=unheld)))
    if not items:
        if since or until or source:
            console.print(escape(_filtered_out(store, since, until, source)))
        return
    # Best first, each by its #id alone: a place in the list read as a paper (`like ada 1` after a search rated
    # paper #1, not the first result), and a paper named by the query came first above higher scores (--json has them).
    table = Table("ref", "paper", "date")
    for item in items:
        note = f"\n({rating_note(item)})" if rating_note(item) else ""
        note += f"\n[dim]{escape(item.reason)}[/dim]" if item.reason else ""  # "matches error; missing: quantum"
        table.add_row(item.ref, escape(item.title) + note, date_label(item))
    console.print(table)


def _filtered_out(store, since: dt.date | None, until: dt.date | None, source: SourceKind | None) -> str:
    """What the filters of an empty search kept out: "Only papers published since 2024-01-01 were searched;
    149 stored papers are undated and never pass a date filter." """
    from sqlalchemy import func, select

    from recommender.store import Paper

    bounds = [f"published since {since}"] if since else []
    bounds += [f"published until {until}"] if until else []
    bounds += [f"first stored from {source.value}"] if source else []
    text = f"Only papers {' and '.join(bounds)} were searched"
    if since or until:
        with store.session() as session:
            undated = session.scalar(select(func.count(Paper.id)).where(Paper.published.is_(None))) or 0
        if undated:
            text += f"; {undated} stored {'paper is' if undated == 1 else 'papers are'} undated and never pass a date filter"
    return text + "."


def _by_words(session, query: str, k: int, semantic: bool, bounds: dict) -> list[Pick] | None:
    """Results by words alone, without importing numpy or scipy (:mod:`recommender.lexical_search`); None when
    the full search must run (embeddings to mix in, no usable stored model)."""
    from recommender.lexical_search import find_words

    return find_words(session, query, k, semantic=semantic, **bounds)
