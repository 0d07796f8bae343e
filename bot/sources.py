"""Scheduled ingestion sources: fetch (or pick up) digests, ingest them, record the run.

Three kinds, configured as ``[[sources]]`` tables in ``config/paperbot.toml``
(see the comments there):

* ``hf_api``: the Hugging Face Daily Papers API for a date,
  ``{base_url}/api/daily_papers?date=YYYY-MM-DD`` (today, UTC, and the
  ``lookback_days`` days before it);
* ``arxiv_rss``: the rss.arxiv.org listing feed of chosen categories,
  ``{base_url}/rss/cs.LG+cs.CL``; a day with no announcement (weekends,
  holidays: an empty channel) stores nothing and is recorded as ``empty``;
* ``inbox``: a folder where digest files are dropped; each is ingested and moved
  to ``done/``, or to ``failed/`` with a ``<name>.error.txt`` saying why.

Every run writes one :class:`recommender.store.models.SourceRun` row and one log
line (source, status, new papers, errors). HTTP uses timeouts and retries with
exponential backoff (:func:`recommender.fetch.fetch_bytes`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from tenacity import stop_after_attempt, wait_exponential

from recommender.fetch import USER_AGENT, fetch_bytes
from recommender.ingest import DIGEST_SUFFIXES, IngestResult, ingest_bytes
from recommender.settings import Settings
from recommender.sources import parse_digest
from recommender.sources.records import ParseError
from recommender.store import Store
from recommender.store.models import SourceRun, utcnow

log = logging.getLogger(__name__)

KINDS = ("hf_api", "arxiv_rss", "inbox")
DEFAULT_BASE_URLS = {"hf_api": "https://huggingface.co", "arxiv_rss": "https://rss.arxiv.org"}
#: Files still being written are expected to carry one of these suffixes (write, then rename).
PARTIAL_SUFFIXES = {".part", ".tmp", ".crdownload", ".partial"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")

#: ``fetch(url, params) -> bytes``; raises on failure.
Fetch = Callable[[str, dict | None], bytes]


class SourceConfigError(ValueError):
    """A ``[[sources]]`` entry that cannot be used (unknown kind, bad time, missing path...)."""


@dataclass(frozen=True)
class SourceSpec:
    """One configured ingestion source.

    Attributes
    ----------
    name : str
        Unique name, used as job id (``ingest:<name>``), in logs and in ``paperbot status``.
    kind : str
        ``"hf_api"``, ``"arxiv_rss"`` or ``"inbox"``.
    time : str
        Local time of the daily run, ``HH:MM`` (default ``"06:00"``).
    timezone : str
        IANA timezone of ``time`` (default ``"UTC"``).
    every_minutes : int or None
        Run every this many minutes instead of daily at ``time`` (handy for an inbox).
    base_url : str or None
        Base URL of the HTTP source (tests point it at a local server).
    categories : tuple of str
        arXiv categories (``arxiv_rss``).
    lookback_days : int
        ``hf_api``: also fetch this many days before today (UTC); default 1.
    path : Path or None
        Inbox folder (``inbox``); relative paths are relative to the working directory.
    timeout : float
        HTTP timeout, seconds (connect and read); default 20.
    attempts : int
        HTTP attempts before giving up (retries on connection errors, 429 and 5xx); default 4.
    backoff : float
        First retry wait, seconds, doubling up to 30 s; default 1.
    """

    name: str
    kind: str
    time: str = "06:00"
    timezone: str = "UTC"
    every_minutes: int | None = None
    base_url: str | None = None
    categories: tuple[str, ...] = ()
    lookback_days: int = 1
    path: Path | None = None
    timeout: float = 20.0
    attempts: int = 4
    backoff: float = 1.0

    @property
    def url_base(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS.get(self.kind, "")).rstrip("/")

    @property
    def schedule(self) -> str:
        """Human-readable schedule, e.g. ``"06:00 UTC"`` or ``"every 10 min"``."""
        return f"every {self.every_minutes} min" if self.every_minutes else f"{self.time} {self.timezone}"

    @classmethod
    def from_dict(cls, raw: dict, index: int = 0) -> SourceSpec:
        """Validate one ``[[sources]]`` table.

        Raises
        ------
        SourceConfigError
            Unknown kind or key values that cannot be used.
        """
        where = f"sources[{index}]"
        if not isinstance(raw, dict):
            raise SourceConfigError(f"{where}: expected a table, got {type(raw).__name__}")
        kind = raw.get("kind")
        if kind not in KINDS:
            raise SourceConfigError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
        name = str(raw.get("name") or kind)
        when = str(raw.get("time", "06:00"))
        m = _TIME.match(when)
        if not m:
            raise SourceConfigError(f"{where} ({name}): time must be HH:MM, got {when!r}")
        when = f"{int(m.group(1)):02d}:{m.group(2)}"
        tz = str(raw.get("timezone", "UTC"))
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SourceConfigError(f"{where} ({name}): unknown timezone {tz!r}") from None
        every = raw.get("every_minutes")
        if every is not None and (not isinstance(every, int) or every < 1):
            raise SourceConfigError(f"{where} ({name}): every_minutes must be a positive integer")
        cats = raw.get("categories", ())
        if isinstance(cats, str):
            cats = [c for c in re.split(r"[\s,+]+", cats) if c]
        cats = tuple(cats)
        if kind == "arxiv_rss":
            if not cats:
                raise SourceConfigError(f"{where} ({name}): arxiv_rss needs categories, e.g. [\"cs.LG\"]")
            bad = [c for c in cats if not _CATEGORY.match(c)]
            if bad:
                raise SourceConfigError(f"{where} ({name}): not arXiv categories: {bad}")
        path = raw.get("path")
        if kind == "inbox" and not path:
            raise SourceConfigError(f"{where} ({name}): inbox needs a path")
        try:
            return cls(
                name=name, kind=kind, time=when, timezone=tz, every_minutes=every,
                base_url=raw.get("base_url") or None, categories=cats,
                lookback_days=int(raw.get("lookback_days", 1)), path=Path(path) if path else None,
                timeout=float(raw.get("timeout", 20.0)), attempts=max(1, int(raw.get("attempts", 4))),
                backoff=float(raw.get("backoff", 1.0)),
            )
        except (TypeError, ValueError) as exc:
            raise SourceConfigError(f"{where} ({name}): {exc}") from None


def default_sources(settings: Settings) -> list[SourceSpec]:
    """The sources used when none is configured: the inbox ``<data_dir>/inbox``, every 10 minutes."""
    return [SourceSpec(name="inbox", kind="inbox", path=Path(settings.data_dir) / "inbox", every_minutes=10)]


def load_sources(settings: Settings) -> list[SourceSpec]:
    """The configured sources (``settings.sources``), or :func:`default_sources` when none.

    Raises
    ------
    SourceConfigError
        An invalid entry, or two sources with the same name.
    """
    if not settings.sources:
        return default_sources(settings)
    specs = [SourceSpec.from_dict(raw, i) for i, raw in enumerate(settings.sources)]
    names = [s.name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourceConfigError(f"sources need distinct names (set name = \"...\"): {', '.join(dupes)}")
    return specs


# -- fetching -----------------------------------------------------------------------------------------
def http_fetcher(spec: SourceSpec) -> Fetch:
    """A fetch function with the spec's timeout, attempts and backoff.

    Retries connection errors, HTTP 429 and 5xx (``spec.attempts`` tries, waiting
    ``spec.backoff`` seconds, doubling, at most 30 s); raises :class:`httpx.HTTPError`
    when the last attempt fails or on any other HTTP error status.
    """
    retrying = fetch_bytes.retry_with(
        stop=stop_after_attempt(spec.attempts), wait=wait_exponential(multiplier=spec.backoff, max=30)
    )

    def fetch(url: str, params: dict | None = None) -> bytes:
        timeout = httpx.Timeout(spec.timeout, connect=min(spec.timeout, 10.0))
        with httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=True) as client:
            return retrying(url, params=params, client=client)

    return fetch


@dataclass
class SourceRunResult:
    """What one run of a source did. ``status``: ok, empty, partial or error."""

    source: str
    kind: str
    status: str = "ok"
    inputs: int = 0
    entries: int = 0
    new_papers: int = 0
    errors: list[str] = field(default_factory=list)
    results: list[IngestResult] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)  # inbox: file name -> "done" | "failed"

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
    result.results.append(r)
    result.entries += r.entries
    result.new_papers += r.new
    if r.error:
        result.errors.append(r.error)


def _fetch_into(store: Store, fetch: Fetch, url: str, params: dict | None, result: SourceRunResult) -> None:
    shown = url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    try:
        data = fetch(url, params)
    except Exception as exc:  # network and HTTP errors of any kind: recorded, the run goes on
        result.inputs += 1
        result.errors.append(f"{shown}: could not fetch: {type(exc).__name__}: {exc}")
        return
    _ingest_fetched(store, data, shown, result)


def run_hf_api(store: Store, spec: SourceSpec, now: dt.datetime, fetch: Fetch, result: SourceRunResult) -> None:
    """Fetch the Daily Papers of today (UTC) and ``lookback_days`` before, oldest first."""
    today = now.astimezone(dt.timezone.utc).date()
    for back in range(max(0, spec.lookback_days), -1, -1):
        day = today - dt.timedelta(days=back)
        _fetch_into(store, fetch, f"{spec.url_base}/api/daily_papers", {"date": day.isoformat()}, result)


def run_arxiv_rss(store: Store, spec: SourceSpec, now: dt.datetime, fetch: Fetch, result: SourceRunResult) -> None:
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


def inbox_files(folder: Path) -> list[Path]:
    """Files waiting in an inbox: regular, not hidden, not partial downloads, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in PARTIAL_SUFFIXES
    )


def run_inbox(store: Store, spec: SourceSpec, now: dt.datetime, fetch: Fetch | None, result: SourceRunResult) -> None:
    """Ingest every file in the inbox, then move it to ``done/`` or ``failed/`` (+ ``.error.txt``).

    A file is moved only after its digest is committed, so a crash in between
    re-ingests it at the next run, which is a no-op (same content).
    """
    folder = Path(spec.path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    done, failed = folder / "done", folder / "failed"
    for path in inbox_files(folder):
        result.inputs += 1
        if path.suffix.lower() not in DIGEST_SUFFIXES:
            r = IngestResult(source=str(path), error=f"not a digest file type ({path.suffix}); expected "
                             + ", ".join(sorted(s or "no suffix" for s in DIGEST_SUFFIXES)))
        else:
            try:
                data = path.read_bytes()
            except OSError as exc:
                result.errors.append(f"{path.name}: cannot read: {exc.strerror or exc}")
                continue  # left in place, retried next run
            r = ingest_bytes(store, data, str(path))
        result.results.append(r)
        result.entries += r.entries
        result.new_papers += r.new
        if r.error:
            failed.mkdir(exist_ok=True)
            target = _free_name(failed, path.name)
            shutil.move(str(path), target)
            target.with_name(target.name + ".error.txt").write_text(
                f"{r.error}\n\nfile: {path.name}\nat: {now.isoformat()}\n", encoding="utf-8"
            )
            result.errors.append(f"{path.name}: {r.error}")
            result.moved[path.name] = "failed"
            log.warning("inbox file failed", extra={"source": spec.name, "file": path.name, "error": r.error})
        else:
            done.mkdir(exist_ok=True)
            shutil.move(str(path), _free_name(done, path.name))
            result.moved[path.name] = "done"
            log.info("inbox file ingested", extra={"source": spec.name, "file": path.name, "new": r.new,
                                                   "known": r.known, "duplicate": r.duplicate_digest})


RUNNERS = {"hf_api": run_hf_api, "arxiv_rss": run_arxiv_rss, "inbox": run_inbox}


def run_source(
    store: Store, spec: SourceSpec, *, now: dt.datetime | None = None, fetch: Fetch | None = None
) -> SourceRunResult:
    """Run one source once: fetch or pick up its digests, ingest them, record the run.

    Parameters
    ----------
    store : Store
        Where papers and the :class:`SourceRun` row go.
    spec : SourceSpec
        The source.
    now : datetime, optional
        Aware time of the run (UTC); chooses the Daily Papers dates. Default: now.
    fetch : callable, optional
        ``fetch(url, params) -> bytes``; default :func:`http_fetcher` of ``spec``.

    Returns
    -------
    SourceRunResult
        Never raises for a failing source: errors are in ``errors`` and the DB row.
    """
    started = utcnow()
    now = now or started
    clock = time.monotonic()
    result = SourceRunResult(source=spec.name, kind=spec.kind)
    try:
        RUNNERS[spec.kind](store, spec, now, fetch or http_fetcher(spec), result)
    except Exception as exc:  # a bug or an unreadable folder: recorded, the scheduler keeps going
        log.exception("source run crashed", extra={"source": spec.name})
        result.errors.append(f"{type(exc).__name__}: {exc}")
    if result.errors and len(result.errors) >= max(result.inputs, 1):  # one error per failed input at most
        result.status = "error"
    elif result.errors:
        result.status = "partial"
    elif not result.results:
        result.status = "empty"
    with store.session() as session:
        session.add(SourceRun(
            source=spec.name, kind=spec.kind, started_at=started, finished_at=utcnow(), status=result.status,
            inputs=result.inputs, entries=result.entries, new_papers=result.new_papers, error=result.error,
        ))
    level = logging.WARNING if result.errors else logging.INFO
    log.log(level, "source run", extra={
        "source": spec.name, "kind": spec.kind, "status": result.status, "inputs": result.inputs,
        "new_papers": result.new_papers, "errors": len(result.errors),
        "seconds": round(time.monotonic() - clock, 3), **({"error": result.error} if result.error else {}),
    })
    return result


__all__ = [
    "KINDS", "SourceConfigError", "SourceSpec", "SourceRunResult", "default_sources", "load_sources",
    "http_fetcher", "run_source", "run_hf_api", "run_arxiv_rss", "run_inbox", "inbox_files",
]
