"""``paperbot enrich``: give title-only papers their arXiv id, link, authors and dates."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from bot.cli.state import JsonOpt, console, emit_json, err, progress_bar, state


def enrich_cmd(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(
        metavar="N", min=1, help="Ask the arXiv API about at most N papers (cached answers do not count).")] = None,
    api_url: Annotated[str | None, typer.Option(
        metavar="URL", envvar="PAPERBOT_ARXIV_API_URL",
        help="arXiv API query endpoint (default: export.arxiv.org; a mirror or a local fake).")] = None,
    interval: Annotated[float, typer.Option(
        metavar="SECONDS", min=0.0, help="Pause between two requests; arXiv's terms ask for 3 s.")] = 3.0,
    as_json: JsonOpt = False,
) -> None:
    """Look up papers that arrived by title only on the arXiv API.

    One request every 3 s. Exit status 1 when any lookup failed (timeouts, errors); those are asked again next time.
    """
    from rich.progress import TimeRemainingColumn

    from bot.digest import counted
    from recommender.arxiv_api import API_URL, ArxivClient
    from recommender.enrich import enrich

    store = state(ctx).store()
    url = api_url or os.environ.get("PAPERBOT_ARXIV_API_URL") or API_URL
    with (ArxivClient(base_url=url, min_interval=interval) as client,
          progress_bar(TimeRemainingColumn(), disable=as_json) as progress):
        task = progress.add_task("Looking up titles", total=None)
        report = enrich(store, limit=limit, client=client,
                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    fields = ("candidates", "asked", "linked", "not_found", "ambiguous", "failed", "skipped", "remaining")
    if as_json:
        emit_json({**{f: getattr(report, f) for f in fields}, "errors": report.errors})
    else:
        console.print(
            f"{report.linked} of {counted(report.candidates, 'title-only paper')} linked to arXiv "
            f"({report.asked} asked: {report.not_found} not found, {report.ambiguous} ambiguous, "
            f"{report.failed} failed; {report.skipped} not found lately, so not asked again yet); "
            f"{report.remaining} still without any link." + (" The failed ones are asked again next time." if report.failed else ""),
            highlight=False,
        )
        for error in report.errors:
            err.print(f"[red]error[/red] {error}", highlight=False)
    if report.errors:
        raise typer.Exit(1)
