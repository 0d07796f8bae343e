"""``paperbot ingest``: store the papers of digest files, folders or URLs, with a summary table."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.state import JsonOpt, console, emit_json, err, fail, progress_bar, state

if TYPE_CHECKING:
    from recommender.ingest import IngestResult, Skipped
    from recommender.store import Store

log = logging.getLogger(__name__)


def ingest_with_progress(store: Store, inputs: list[str], *, quiet: bool = False,
                         embed: bool = True) -> tuple[list[IngestResult], list[Skipped]]:
    """Ingest ``inputs`` (files, folders, URLs) into ``store`` with a progress bar on stderr.

    The bar shows for two or more digests unless ``quiet``. Returns one
    :class:`recommender.ingest.IngestResult` per digest and the inputs skipped, with why.
    With ``embed`` (``[recommender] semantic``), new papers are then embedded, with their own bar.
    """
    from recommender.ingest import expand_inputs, ingest

    found = expand_inputs(inputs)
    with progress_bar(disable=quiet or len(found.sources) < 2) as progress:
        task = progress.add_task("Ingesting", total=len(found.sources))
        results = ingest(store, found, progress=lambda _r: progress.advance(task))
    if embed:
        embed_with_progress(store, quiet=quiet)  # this ingest's papers, and any left before
    return results, found.skipped


def embed_with_progress(store: Store, *, quiet: bool = False) -> int:
    """Embed every stored paper lacking a sentence vector, with a progress bar on stderr; returns how many.

    Nothing when the model package is missing (said once in the log). Ctrl+C stops it (exit status 130): the
    papers of every batch of 256 finished keep their vectors, and the next ingest, ``paperbot embed`` or ``paperbot run`` goes on.
    """
    from recommender.text.embeddings import default_embedder
    from recommender.text.vectors import embed_missing

    embedder = default_embedder()
    if embedder is None or not _lacking(store, embedder):
        return 0
    try:
        with progress_bar(disable=quiet) as progress:
            task = progress.add_task("Embedding", total=None)
            return embed_missing(store, embedder, progress=lambda done, total: progress.update(task, completed=done, total=total))
    except KeyboardInterrupt:
        err.print("Embedding stopped: the papers are stored; the next ingest, `paperbot embed` or `paperbot run` embeds the rest.")
        raise typer.Exit(130) from None


#: From this many papers lacking a sentence vector, ingest says so before embedding them (a trial's 5-paper ingest
#: ran 10 minutes, silent in a pipe, embedding a backlog another process had left).
BACKLOG_NOTE_AT = 1_000


def _lacking(store: Store, embedder) -> int:
    """How many stored papers lack a sentence vector; from :data:`BACKLOG_NOTE_AT` on, said on stderr."""
    from recommender.text.vectors import count_missing

    with store.session() as session:
        lacking = count_missing(session, embedder)
    if lacking >= BACKLOG_NOTE_AT:
        err.print(f"Embedding {lacking:,} papers that lack a sentence vector (about 5 minutes per 10,000 on two cores); "
                  "Ctrl+C stops it, and the papers stay stored, with the vectors of every batch of 256 finished.",
                  highlight=False)
    return lacking


def _name(source: str) -> str:
    return source if "://" in source else Path(source).name


#: A failed digest's note in the summary table; its error is printed whole once, under the table (the whole
#: error in the narrow note column took a row per few characters at 80 columns, then came again below).
ERROR_NOTE = "error: see below"


def results_table(results: list[IngestResult]) -> Table:
    """The ingest summary: one row per digest and a total row. A failed digest's note is :data:`ERROR_NOTE`;
    the caller prints its error (``r.error``) whole. File names are text, not markup (``notes [b].json``)."""
    counts = ("entries", "new", "known", "errors")  # short: the file name keeps the width (80 columns in a file)
    table = Table(title="Ingest summary", caption="new: papers stored for the first time; known: stored before")
    for col in ("file", "format", *counts, "note"):
        table.add_column(col, justify="right" if col in counts else "left", overflow="fold")
    for r in results:
        note = ERROR_NOTE if r.error else "digest seen before" if r.duplicate_digest else ""
        table.add_row(escape(_name(r.source)), r.kind or "-", str(r.entries), str(r.new), str(r.known),
                      "1" if r.error else "0", note)
    table.add_row("[bold]total[/bold]", "", str(sum(r.entries for r in results)), str(sum(r.new for r in results)),
                  str(sum(r.known for r in results)), str(sum(1 for r in results if r.error)), "", end_section=True)
    return table


def ingest_cmd(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(metavar="FILE|DIR|URL", help="Digest files, folders of digests, or URLs.")],
    as_json: JsonOpt = False,
    refit: Annotated[bool, typer.Option(
        "--refit/--no-refit", help="After new papers, refit the TF-IDF model when its policy asks (as `paperbot run` "
        "does hourly); --no-refit leaves it to `run` or `paperbot refit`.")] = True,
) -> None:
    """Ingest digests from files, folders or URLs.

    Each digest's format is detected from its content. Exit status 1 when any input failed.
    """
    cli = state(ctx)
    results, skipped = ingest_with_progress(cli.store(), inputs, quiet=as_json, embed=False)  # embedded after the summary
    if as_json:
        for s in skipped:
            err.print(f"skipped {s.source}: {s.reason}", highlight=False)
        emit_json([
            {"source": r.source, "format": r.kind, "entries": r.entries, "new": r.new, "known": r.known,
             "updated": r.updated, "duplicate_digest": r.duplicate_digest, "empty": r.empty,
             "warnings": r.warnings, "error": r.error}
            for r in results
        ])
    else:
        _print_summary(results, skipped)
    if refit and any(r.new for r in results):
        _refit_if_grown(cli.store(), quiet=as_json)
    if cli.settings.recommender.semantic:  # last: a Ctrl+C during a long embedding leaves the summary printed
        embed_with_progress(cli.store(), quiet=as_json)
    if not results:
        fail("nothing to ingest")
    if any(r.error for r in results):
        raise typer.Exit(1)


#: From this many stored papers, an ingest fits a store's first TF-IDF model rather than leaving it to the first
#: picks or search: about 1.6 s on the 216 bundled papers (left to the first picks, as every test store's is), 82 s
#: on 100,000.
FIRST_FIT_AT = 2_000


def _refit_if_grown(store: Store, *, quiet: bool) -> None:
    """Refit the TF-IDF model when its policy asks after new papers (:meth:`CurrentVectors.needs_refit
    <recommender.text.current.CurrentVectors.needs_refit>`: the store grew by half since the fit, or by 1 % since
    a fit a week old, or the fit saw fewer than 200 papers), as ``paperbot run``'s hourly refit job does: a team
    that ingests by hand (or from cron) gets the words new papers bring ("unlearning", "grokking") into picks,
    reasons and spelling too. A store of :data:`FIRST_FIT_AT` papers or more with no model yet gets its first here:
    else the first picks or search fitted it, silent for 82 s on 100,000 papers in a trial (a chat command waiting
    that long is a failed one); a smaller store's takes the first picks a second or two. Said on
    stderr with ``quiet``. A refit that fails is a warning: the papers are stored, and the model stays as it was
    (the next ingest, ``paperbot refit`` or ``run``'s job tries again)."""
    from sqlalchemy import func, select

    from bot.digest import counted
    from recommender.store import Paper
    from recommender.text.current import CurrentVectors, latest_model_id

    vectors = CurrentVectors()
    out = err if quiet else console
    try:
        with store.session() as session:
            first = latest_model_id(session) is None
            due = vectors.needs_refit(session) if not first else (
                (session.scalar(select(func.count(Paper.id))) or 0) >= FIRST_FIT_AT)
        if due:
            model = vectors.refit(store)
            out.print(f"Fitted the TF-IDF model on {counted(len(model.rows), 'paper')}." if first else
                      f"The store grew since the TF-IDF model was fitted: refitted on {counted(len(model.rows), 'paper')}.",
                      highlight=False)
    except Exception as exc:  # noqa: BLE001 - the ingest is done; a refit can wait
        log.warning("refit after ingest failed", extra={"error": str(exc)})
        err.print(f"warning: the papers are stored, but refitting the TF-IDF model failed ({type(exc).__name__}: "
                  f"{exc}); `paperbot refit` tries again.", highlight=False)


def _print_summary(results: list[IngestResult], skipped: list[Skipped]) -> None:
    from bot.digest import counted

    console.print(results_table(results))
    _print_notes([escape(f"skipped {_name(s.source)}: {s.reason}") for s in skipped])
    new = sum(r.new for r in results)
    seen = sum(1 for r in results if r.duplicate_digest)
    failed = sum(1 for r in results if r.error)
    if seen:
        console.print(f"{seen} of {counted(len(results), 'digest')} {'was' if seen == 1 else 'were'} ingested before "
                      "with the same content.")
    empty = [r for r in results if r.empty and not r.duplicate_digest]
    for r in empty:
        console.print(escape(f"{_name(r.source)}: the digest had no papers."), highlight=False)
    if new:
        console.print(f"{counted(new, 'new paper')} stored.")
    elif failed:
        console.print("No new papers stored.")
    elif len(empty) < len(results):
        console.print("Nothing new: every paper was already stored.")
    notes = []
    for r in results:
        notes += [f"[yellow]warning[/yellow] {escape(warning)}" for warning in r.warnings]
        notes += [f"[red]error[/red] {escape(r.error)}"] if r.error else []
    _print_notes(notes)


def _print_notes(lines: list[str]) -> None:
    """Print each of ``lines`` (Rich markup: a skipped input, a warning, an error) on stderr, and on stdout too
    unless both go to one place (:func:`_one_destination`): a reader of stdout alone, a file or a pipe, then has
    them under the table, whose row of a failed digest says ``error: see below``.

    Each is one line that the terminal wraps: a path stays one piece to copy."""
    for stream in (err,) if _one_destination() else (console, err):
        for line in lines:
            stream.print(line, highlight=False, soft_wrap=True)


def _one_destination() -> bool:
    """Whether stdout and stderr go to one place, read together: the same terminal, file (``> out.txt 2>&1``)
    or pipe (``2>&1 | less``), that is the same device and inode.

    Anything else is read apart, a pipe included (``| less``, ``| tee log.txt``): its reader is not the terminal
    that shows stderr, so a line must be in both, though a pipe into ``cat`` then shows it twice. Streams that
    are no files (output captured in-process) count as one place when both are terminals to Rich
    (``TTY_COMPATIBLE=1``); Rich's forced terminal (``FORCE_COLOR``) says nothing of real files."""
    import os
    import sys

    try:
        out, error = os.fstat(sys.stdout.fileno()), os.fstat(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # not real files (captured output)
        return console.is_terminal and err.is_terminal
    return (out.st_dev, out.st_ino) == (error.st_dev, error.st_ino)


def embed_cmd(ctx: typer.Context) -> None:
    """Compute the sentence vectors stored papers lack, with a progress bar.

    After a bulk ingest or import, or a new model version: until most papers have one, picks go by TF-IDF
    alone (`paperbot status` says how many lack one). `paperbot ingest` and `paperbot run` embed them too.
    Exit status 1 when semantic ranking is off or the model package is missing; 130 when stopped with Ctrl+C
    (the vectors of every batch of 256 finished are kept).
    """
    from recommender.text.embeddings import unavailable_reason

    cli = state(ctx)
    reason = None if cli.settings.recommender.semantic else "semantic ranking is off ([recommender] semantic)"
    reason = reason or unavailable_reason()
    if reason:
        fail(f"nothing to embed: {reason}")
    done = embed_with_progress(cli.store())
    console.print(f"{done:,} papers embedded." if done else "Every paper has its sentence vector.", highlight=False)
