"""The ``ingest:<source>`` jobs: fetch (or pick up) digests, ingest them, record the run.

Three kinds, configured as ``[[sources]]`` tables in ``config/paperbot.toml``
(the models of :mod:`bot.settings`; the comments in the file list every key):

* ``hf_api``: the Hugging Face Daily Papers API for a date,
  ``{base_url}/api/daily_papers?date=YYYY-MM-DD`` (today, UTC, and the
  ``lookback_days`` days before it);
* ``arxiv_rss``: the rss.arxiv.org listing feed of chosen categories,
  ``{base_url}/rss/cs.LG+cs.CL``; a day with no announcement (weekends,
  holidays: an empty channel) stores nothing and is recorded as ``empty``;
* ``inbox``: a folder where digest files are dropped; each is ingested once it
  has stopped changing (``settle_seconds``) and moved to ``done/``, or to
  ``failed/`` with a ``<name>.error.txt`` saying why (one bad file fails alone).

Every run writes one :class:`recommender.store.models.SourceRun` row and one log
line (source, status, new papers, errors). HTTP goes through the project's one
client and retry policy (:func:`recommender.fetch.fetch_bytes`). The parsers
themselves are in :mod:`recommender.sources`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import delete

from bot.digest import counted
from bot.service.inbox_entries import free_outcome_names, inbox_entries, inbox_files
from bot.service.outage import transient
from bot.settings import ArxivEnrichSource, ArxivRssSource, HfApiSource, InboxSource, SourceSettings
from recommender.fetch import RetryPolicy, fetch_bytes
from recommender.ingest import DIGEST_SUFFIXES, IngestResult, ingest_bytes
from recommender.sources import parse_digest
from recommender.sources.records import ParseError
from recommender.store import Store
from recommender.store.errors import describe_db_error
from recommender.store.models import SourceRun, utcnow

log = logging.getLogger(__name__)

#: ``fetch(url, params) -> bytes``; raises on failure.
Fetch = Callable[[str, dict | None], bytes]


def http_fetcher(source: HfApiSource | ArxivRssSource) -> Fetch:
    """:func:`recommender.fetch.fetch_bytes` with the source's timeout, attempts and backoff.

    Retries connection errors, HTTP 429 and 5xx (``attempts`` tries, waiting
    ``backoff`` seconds, doubling, at most 30 s); raises :class:`httpx.HTTPError`
    when the last attempt fails or on any other HTTP error status.
    """
    policy = RetryPolicy(attempts=source.attempts, first_wait=source.backoff, max_wait=30.0)
    timeout = httpx.Timeout(source.timeout, connect=min(source.timeout, 10.0))

    def fetch(url: str, params: dict | None = None) -> bytes:
        return fetch_bytes(url, params=params, retry=policy, timeout=timeout)

    return fetch


@dataclass
class SourceRunResult:
    """What one run of a source did. ``status``: ok, empty, waiting (nothing ingested, files settling), partial or error."""

    source: str
    kind: str
    status: str = "ok"
    inputs: int = 0
    entries: int = 0
    new_papers: int = 0
    errors: list[str] = field(default_factory=list)
    results: list[IngestResult] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # inbox: file name -> "done" | "failed" | "moved by another run"
    waiting: list[str] = field(default_factory=list)  # inbox: files still being written, left for a later run
    warnings: list[str] = field(default_factory=list)  # the parsers' "<file>:<line>: ..." notes on inputs that went in
    settle_seconds: float = 0  # inbox: how long a file must stay unchanged before it is taken
    run_id: int | None = None  # its ``source_runs`` row; a run that carries it replaces that row
    started_at: dt.datetime | None = None  # UTC

    @property
    def waiting_note(self) -> str | None:
        """``"1 file waiting (settling)"``, or None when no file waits."""
        if not self.waiting:
            return None
        return f"{counted(len(self.waiting), 'file')} waiting (settling)"

    @property
    def error(self) -> str | None:
        return "; ".join(self.errors) if self.errors else None


def _ingest_fetched(store: Store, data: bytes, url: str, result: SourceRunResult) -> None:
    """Ingest one fetched response; an empty listing (no announcement) stores nothing."""
    result.inputs += 1
    try:
        digest = parse_digest(data, source=url)
    except ParseError as exc:
        result.errors.append(str(exc))
        return
    if not digest.papers:
        log.info("no announcement", extra={"url": url, "kind": digest.kind, "day": str(digest.date)})
        return
    r = ingest_bytes(store, data, url)
    _warnings(r, result, {"url": url})
    result.results.append(r)
    result.entries += r.entries
    result.new_papers += r.new
    if r.error:
        result.errors.append(r.error)


def _warnings(r: IngestResult, result: SourceRunResult, where: dict[str, str]) -> None:
    """Log each parser warning of one input at WARNING (as ``paperbot ingest`` prints it) and keep it in ``result``."""
    for warning in r.warnings:
        result.warnings.append(warning)
        log.warning("ingest warning", extra={"source": result.source, **where, "warning": warning})


def _fetch_into(store: Store, fetch: Fetch, url: str, params: dict | None, result: SourceRunResult) -> None:
    shown = url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    try:
        data = fetch(url, params)
    except Exception as exc:  # network and HTTP errors of any kind: recorded, the run goes on
        result.inputs += 1
        result.errors.append(f"{shown}: could not fetch: {type(exc).__name__}: {exc}")
        return
    _ingest_fetched(store, data, shown, result)


def run_hf_api(store: Store, spec: HfApiSource, now: dt.datetime, fetch: Fetch, result: SourceRunResult) -> None:
    """Fetch the Daily Papers of today (UTC) and ``lookback_days`` before, oldest first."""
    today = now.astimezone(dt.UTC).date()
    for back in range(max(0, spec.lookback_days), -1, -1):
        day = today - dt.timedelta(days=back)
        _fetch_into(store, fetch, f"{spec.url_base}/api/daily_papers", {"date": day.isoformat()}, result)


def run_arxiv_rss(store: Store, spec: ArxivRssSource, now: dt.datetime, fetch: Fetch, result: SourceRunResult) -> None:
    """Fetch the listing feed of all the spec's categories at once (``/rss/cs.LG+cs.CL``)."""
    _fetch_into(store, fetch, f"{spec.url_base}/rss/{'+'.join(spec.categories)}", None, result)


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/<stem>.<n><suffix>`` when taken: nothing is overwritten."""
    target = folder / name
    n = 1
    while target.exists() or target.with_name(target.name + ".error.txt").exists():
        p = Path(name)
        target = folder / f"{p.stem}.{n}{p.suffix}"
        n += 1
    return target


def _ingest_file(store: Store, path: Path, seen: os.stat_result) -> IngestResult | None:
    """Ingest one inbox file; None when it changed while being read (still being written: left for later)."""
    if path.suffix.lower() not in DIGEST_SUFFIXES:
        return IngestResult(source=str(path), error=f"not a digest file type ({path.suffix}); expected "
                            + ", ".join(sorted(s or "no suffix" for s in DIGEST_SUFFIXES)))
    data = path.read_bytes()
    now = path.stat()
    if len(data) != seen.st_size or (now.st_size, now.st_mtime_ns) != (seen.st_size, seen.st_mtime_ns):
        return None
    return ingest_bytes(store, data, str(path))


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(str(path), target)
    return target


def run_inbox(store: Store, spec: InboxSource, now: dt.datetime, fetch: Fetch | None, result: SourceRunResult) -> None:
    """Ingest every settled file in the inbox, then move it to ``done/`` or ``failed/`` (+ ``.error.txt``).

    A file is taken only once its size and modification time have not changed for
    ``spec.settle_seconds`` before ``now`` (and again not while it is read): a
    file still being written waits for a later run (:attr:`SourceRunResult.waiting`).
    Any exception from one file (a parser bug, a JSON integer too long to convert)
    fails that file alone: it goes to ``failed/`` with its reason and the next
    files are still ingested. A database outage is not the file's fault: the file
    stays where it is and the run stops (the next run takes it). A file is moved
    only after its digest is committed, so a crash in between re-ingests it at the
    next run, which is a no-op (same content).
    """
    folder = Path(spec.path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    result.settle_seconds = spec.settle_seconds
    renamed = free_outcome_names(folder)
    found = inbox_entries(folder)
    for event, notes in (("inbox entry renamed", renamed), ("inbox entry skipped", found.skipped)):
        for entry, warning in notes:
            if warning not in result.warnings:  # a run --once second pass carries the first's
                result.warnings.append(warning)
                log.warning(event, extra={"source": spec.name, "entry": entry.name, "warning": warning})
    for path in found.files:
        try:
            seen = path.stat()
        except OSError:
            continue  # gone since the listing
        age = now.timestamp() - seen.st_mtime
        if spec.settle_seconds and age < spec.settle_seconds:
            result.waiting.append(path.name)
            log.info("inbox file waiting", extra={"source": spec.name, "file": path.name,
                                                  "unchanged_seconds": round(age, 1), "settle_seconds": spec.settle_seconds})
            continue
        result.inputs += 1
        try:
            r = _ingest_file(store, path, seen)
        except FileNotFoundError:  # another run (a second scheduler, run --once) took it since the listing
            result.inputs -= 1
            continue
        except OSError as exc:
            result.errors.append(f"{path.name}: cannot read: {exc.strerror or exc}")
            continue  # left in place, retried next run
        except Exception as exc:
            if transient(exc):
                result.errors.append(f"{path.name}: database unavailable, left in the inbox: {describe_db_error(exc)}")
                log.warning("inbox run stopped", extra={"source": spec.name, "file": path.name,
                                                        "error": describe_db_error(exc)})
                return
            log.warning("inbox file crashed ingestion", extra={"source": spec.name, "file": path.name}, exc_info=True)
            r = IngestResult(source=str(path), error=f"{type(exc).__name__}: {str(exc)[:500]}")
        if r is None:
            result.inputs -= 1
            result.waiting.append(path.name)
            log.info("inbox file waiting", extra={"source": spec.name, "file": path.name, "reason": "changed while read"})
            continue
        _file_done(spec, path, seen, r, now, result)


def _same_file(path: Path, seen: os.stat_result) -> bool:
    """Whether ``path`` is still the file that was read (same inode, size and modification time)."""
    now = path.stat()
    return (now.st_ino, now.st_size, now.st_mtime_ns) == (seen.st_ino, seen.st_size, seen.st_mtime_ns)


def _name_moved(r: IngestResult, path: Path, target: Path) -> None:
    """Make ``r``'s error and warnings name ``target``, where the file read at ``path`` was moved (``failed/``,
    ``done/``): a parser names the file it read, ``…/inbox/x.json:1: not valid JSON``, which is no longer there."""
    if r.error:
        r.error = r.error.replace(str(path), str(target))
    r.warnings = [warning.replace(str(path), str(target)) for warning in r.warnings]


def _file_done(spec: InboxSource, path: Path, seen: os.stat_result, r: IngestResult, now: dt.datetime,
               result: SourceRunResult) -> None:
    """Record one file's result and move it to ``done/`` or ``failed/`` (with ``<name>.error.txt``).

    A file that is no longer the one read (another run took it and a new file of the same name came) is
    left for the next run, unread files are never moved."""
    result.results.append(r)
    result.entries += r.entries
    result.new_papers += r.new
    folder = Path(spec.path).expanduser()
    try:
        if not _same_file(path, seen):
            result.moved[path.name] = "moved by another run"
            log.info("inbox file taken by another run", extra={"source": spec.name, "file": path.name,
                                                               "reason": "a new file of that name came since"})
            return
        target = _move(path, folder / ("failed" if r.error else "done"))
        _name_moved(r, path, target)
        if r.error:
            target.with_name(target.name + ".error.txt").write_text(
                f"{r.error}\n\nfile: {path.name}\nat: {now.isoformat()}\n", encoding="utf-8")
    except FileNotFoundError:  # another run moved it first: ingesting it again was a no-op (same content)
        result.moved[path.name] = "moved by another run"
        log.info("inbox file taken by another run", extra={"source": spec.name, "file": path.name})
        _warnings(r, result, {"file": path.name})
        return
    except OSError as exc:  # a full disk, a permission: the file stays, its digest (if any) is already stored
        where = folder / ("failed" if r.error else "done")  # the folder it could not go to, to fix (a trial)
        kept = "it failed and is read again" if r.error else "its papers are stored, and it is read again, at no cost,"
        result.errors.append(f"{path.name}: cannot move it to {where}: {exc.strerror or exc} ({kept} until it can be "
                             "moved)")
        _warnings(r, result, {"file": path.name})
        return
    if r.error:
        result.errors.append(f"{path.name}: {r.error}")
        result.moved[path.name] = "failed"
        log.warning("inbox file failed", extra={"source": spec.name, "file": path.name,
                                                "moved_to": str(target.relative_to(folder)), "error": r.error})
    else:
        result.moved[path.name] = "done"
        log.info("inbox file ingested", extra={"source": spec.name, "file": path.name, "new": r.new,
                                               "known": r.known, "duplicate": r.duplicate_digest,
                                               **({"warnings": len(r.warnings)} if r.warnings else {})})
    _warnings(r, result, {"file": path.name, "moved_to": str(target.relative_to(folder))})


def run_arxiv_enrich(store: Store, spec: ArxivEnrichSource, now: dt.datetime, fetch: Fetch | None,
                     result: SourceRunResult) -> None:
    """Resolve title-only papers through the arXiv API; linked papers count as this run's news."""
    from recommender.arxiv_api import API_URL, ArxivClient
    from recommender.enrich import enrich

    with ArxivClient(base_url=spec.base_url or API_URL, min_interval=spec.interval) as client:
        report = enrich(store, limit=spec.limit, client=client, now=now)
    result.inputs = report.asked
    result.entries = report.candidates
    result.new_papers = report.linked
    result.errors += report.errors


RUNNERS = {"hf_api": run_hf_api, "arxiv_rss": run_arxiv_rss, "inbox": run_inbox, "arxiv_enrich": run_arxiv_enrich}


def run_source(
    store: Store, spec: SourceSettings, *, now: dt.datetime | None = None, fetch: Fetch | None = None,
    carried: SourceRunResult | None = None,
) -> SourceRunResult:
    """Run one source once: fetch or pick up its digests, ingest them, record the run.

    Parameters
    ----------
    store : Store
        Where papers and the :class:`SourceRun` row go.
    spec : HfApiSource, ArxivRssSource, InboxSource or ArxivEnrichSource
        The source (a ``[[sources]]`` model).
    now : datetime, optional
        Aware time of the run (UTC); chooses the Daily Papers dates. Default: now.
    fetch : callable, optional
        ``fetch(url, params) -> bytes`` for the HTTP kinds; default :func:`http_fetcher` of ``spec``.
    carried : SourceRunResult, optional
        A run of the same source moments before (``run --once`` picking up the inbox files that were
        settling): its inputs, papers and errors count in this run, whose row replaces its row (in one
        transaction: ``status`` sums each pass once), so a file that failed then is not hidden by this run's ``ok``.

    Returns
    -------
    SourceRunResult
        Never raises for a failing source: errors are in ``errors`` and the DB row.
    """
    started = carried.started_at if carried is not None and carried.started_at else utcnow()
    now = now or utcnow()
    clock = time.monotonic()
    result = SourceRunResult(source=spec.name, kind=spec.kind)
    if carried is not None:
        result.inputs, result.entries, result.new_papers = carried.inputs, carried.entries, carried.new_papers
        result.errors, result.results = list(carried.errors), list(carried.results)
        result.moved, result.warnings = dict(carried.moved), list(carried.warnings)
    try:
        if fetch is None and isinstance(spec, (HfApiSource, ArxivRssSource)):
            fetch = http_fetcher(spec)
        RUNNERS[spec.kind](store, spec, now, fetch, result)
    except Exception as exc:  # a bug or an unreadable folder: recorded, the scheduler keeps going
        log.exception("source run crashed", extra={"source": spec.name})
        result.errors.append(f"{type(exc).__name__}: {exc}")
    if result.errors and len(result.errors) >= max(result.inputs, 1):  # one error per failed input at most
        result.status = "error"
    elif result.errors:
        result.status = "partial"
    elif not result.results and not result.new_papers:
        result.status = "waiting" if result.waiting else "empty"
    with store.session() as session:
        if carried is not None and carried.run_id is not None:
            session.execute(delete(SourceRun).where(SourceRun.id == carried.run_id))
        row = SourceRun(
            source=spec.name, kind=spec.kind, started_at=started, finished_at=utcnow(), status=result.status,
            inputs=result.inputs, entries=result.entries, new_papers=result.new_papers, error=result.error,
        )
        session.add(row)
        session.flush()
        result.run_id, result.started_at = row.id, started
    level = logging.WARNING if result.errors or result.warnings else logging.INFO
    log.log(level, "source run", extra={
        "source": spec.name, "kind": spec.kind, "status": result.status, "inputs": result.inputs,
        "new_papers": result.new_papers, "errors": len(result.errors),
        "seconds": round(time.monotonic() - clock, 3), **({"error": result.error} if result.error else {}),
        **({"waiting": len(result.waiting)} if result.waiting else {}),
        **({"warnings": len(result.warnings)} if result.warnings else {}),
    })
    return result


__all__ = [
    "Fetch", "SourceRunResult", "http_fetcher", "run_source", "run_hf_api", "run_arxiv_rss", "run_inbox", "inbox_files",
]
