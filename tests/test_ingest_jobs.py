"""Scheduled ingestion sources: the inbox folder, and the HTTP fetchers against a local server
serving the real samples of ../shared/formats (Daily Papers API, rss.arxiv.org listings)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.service.ingest_jobs import run_source
from bot.settings import ArxivRssSource, HfApiSource, InboxSource, Settings
from recommender.store import Digest, Paper
from recommender.store.db import upgrade
from recommender.store.models import SourceRun

UTC = dt.UTC


def count(store, col, *where) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(col)).where(*where)) or 0


def runs(store, name) -> list[SourceRun]:
    with store.session() as s:
        return list(s.scalars(select(SourceRun).where(SourceRun.source == name).order_by(SourceRun.id)))


# -- inbox ----------------------------------------------------------------------------------------------
def test_inbox_good_duplicate_malformed_and_unsupported(store, sample_digests, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = sample_digests / "000_c6f8620f3de3774f.txt"
    (inbox / "a_good.txt").write_bytes(good.read_bytes())
    (inbox / "b_duplicate.txt").write_bytes(good.read_bytes())  # same content: a no-op, not an error
    (inbox / "c_malformed.json").write_text('{"neither": "api nor feed"}')
    (inbox / "d_notes.pdf").write_bytes(b"%PDF-1.4")
    (inbox / ".hidden.txt").write_text("ignored")
    (inbox / "e_partial.txt.part").write_text("still downloading")
    spec = InboxSource(name="drop", path=inbox, settle_seconds=0)  # files count as written long ago

    result = run_source(store, spec, now=dt.datetime(2026, 3, 2, 6, tzinfo=UTC))

    assert result.moved == {"a_good.txt": "done", "b_duplicate.txt": "done", "c_malformed.json": "failed",
                            "d_notes.pdf": "failed"}
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a_good.txt", "b_duplicate.txt"]
    assert sorted(p.name for p in (inbox / "failed").iterdir()) == [
        "c_malformed.json", "c_malformed.json.error.txt", "d_notes.pdf", "d_notes.pdf.error.txt"]
    assert "JSON of no known digest shape" in (inbox / "failed" / "c_malformed.json.error.txt").read_text()
    assert "not a digest file type" in (inbox / "failed" / "d_notes.pdf.error.txt").read_text()
    # Nothing lost: skipped files stay where they were, bytes of moved files unchanged.
    assert (inbox / ".hidden.txt").exists() and (inbox / "e_partial.txt.part").exists()
    assert (inbox / "done" / "a_good.txt").read_bytes() == good.read_bytes()

    papers = count(store, Paper.id)
    assert papers > 0 and result.new_papers == papers
    assert count(store, Digest.id) == 1
    assert [r.duplicate_digest for r in result.results][:2] == [False, True]
    assert result.status == "partial" and result.inputs == 4 and len(result.errors) == 2
    (row,) = runs(store, "drop")
    assert (row.status, row.inputs, row.new_papers) == ("partial", 4, papers)
    assert "c_malformed.json" in row.error and "d_notes.pdf" in row.error


def test_inbox_same_name_again_is_kept_beside_the_first(store, sample_digests, tmp_path):
    inbox = tmp_path / "inbox"
    spec = InboxSource(name="drop", path=inbox, settle_seconds=0)  # files count as written long ago
    inbox.mkdir()
    for n in range(2):
        (inbox / "x.txt").write_bytes((sample_digests / f"00{n}_{['c6f8620f3de3774f', '22f0a1ce284fcda3'][n]}.txt").read_bytes())
        assert run_source(store, spec).status == "ok"
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["x.1.txt", "x.txt"]
    assert count(store, Digest.id) == 2
    assert run_source(store, spec).status == "empty"  # nothing waiting
    assert [r.status for r in runs(store, "drop")] == ["ok", "ok", "empty"]


@pytest.mark.strict_logs
def test_inbox_warns_of_a_cut_off_page_as_paperbot_ingest_does(store, sample_digests, tmp_path, caplog):
    """A Hugging Face page cut at 30,000 bytes: its whole cards go in, the cut-off last one is dropped, and the
    run says so at WARNING, naming the file and line (the same warning `paperbot ingest` prints) where the file
    now is, in ``done/``."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    cut = inbox / "page_truncated.txt"
    cut.write_bytes((sample_digests / "001_22f0a1ce284fcda3.txt").read_bytes()[:30000])
    result = run_source(store, InboxSource(name="drop", path=inbox, settle_seconds=0))

    assert (result.status, result.moved, result.new_papers) == ("ok", {"page_truncated.txt": "done"}, 17)
    [logged] = [r for r in caplog.records if r.levelname == "WARNING" and r.getMessage() == "ingest warning"]
    assert logged.warning.startswith(f"{inbox / 'done' / cut.name}:149: last card 'Decomposed Diffusion Sampler")
    assert logged.warning.endswith("stops mid-sentence with nothing after it (the file looks cut off); dropped")
    assert (logged.source, logged.file, logged.moved_to) == ("drop", "page_truncated.txt", "done/page_truncated.txt")
    [run] = [r for r in caplog.records if r.getMessage() == "source run"]
    assert (run.levelname, run.status, run.warnings) == ("WARNING", "ok", 1)
    assert result.warnings == [logged.warning]  # what `run --once` shows


def test_inbox_poisoned_file_first_fails_alone(store, sample_digests, tmp_path):
    """A JSON integer of 5,000 digits makes json.loads raise ValueError: that file goes to failed/ with
    its reason, and the files sorted after it are still ingested, in this run."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "0_poison.json").write_bytes(b'{"papers": [{"id": ' + b"9" * 5000 + b"}]}")
    for name in ("000_c6f8620f3de3774f.txt", "001_22f0a1ce284fcda3.txt"):
        (inbox / f"1_{name}").write_bytes((sample_digests / name).read_bytes())
    spec = InboxSource(name="drop", path=inbox, settle_seconds=0)

    result = run_source(store, spec, now=dt.datetime(2026, 3, 2, 6, tzinfo=UTC))

    assert result.moved == {"0_poison.json": "failed", "1_000_c6f8620f3de3774f.txt": "done",
                            "1_001_22f0a1ce284fcda3.txt": "done"}
    reason = (inbox / "failed" / "0_poison.json.error.txt").read_text().splitlines()[0]
    assert reason.strip() and "0_poison.json" in result.error
    assert count(store, Digest.id) == 2 and result.new_papers == count(store, Paper.id) > 0
    assert result.status == "partial" and [r.status for r in runs(store, "drop")] == ["partial"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == []  # nothing left to block the next run


def test_inbox_file_still_being_written_waits_until_it_settles(store, sample_digests, tmp_path):
    """Two halves written 100 s apart: nothing is ingested until the file has not changed for
    settle_seconds; then the whole file is, once."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    whole = (sample_digests / "000_c6f8620f3de3774f.txt").read_bytes()
    path = inbox / "today.txt"
    t0 = dt.datetime(2026, 3, 2, 6, tzinfo=UTC)
    spec = InboxSource(name="drop", path=inbox, settle_seconds=120)

    def written(data: bytes, at: dt.datetime) -> None:
        with path.open("ab") as f:
            f.write(data)
        os.utime(path, (at.timestamp(), at.timestamp()))

    written(whole[: len(whole) // 2], t0)
    first = run_source(store, spec, now=t0 + dt.timedelta(seconds=50))
    written(whole[len(whole) // 2:], t0 + dt.timedelta(seconds=100))
    second = run_source(store, spec, now=t0 + dt.timedelta(seconds=150))  # 50 s after the second half
    assert (first.waiting, second.waiting) == (["today.txt"], ["today.txt"])
    assert first.status == second.status == "waiting" and not first.moved and not second.moved
    assert path.exists() and count(store, Digest.id) == 0

    third = run_source(store, spec, now=t0 + dt.timedelta(seconds=221))  # unchanged for 121 s
    assert third.moved == {"today.txt": "done"} and third.status == "ok" and not third.waiting
    assert (inbox / "done" / "today.txt").read_bytes() == whole
    assert count(store, Digest.id) == 1 and third.new_papers == count(store, Paper.id) > 0

    # A partial download is still never taken, however old.
    (inbox / "next.txt.part").write_bytes(whole)
    os.utime(inbox / "next.txt.part", (t0.timestamp(), t0.timestamp()))
    assert run_source(store, spec, now=t0 + dt.timedelta(hours=1)).status == "empty"
    assert (inbox / "next.txt.part").exists()


# -- configuration --------------------------------------------------------------------------------------
def test_sources_config_schema(tmp_path):
    s = Settings(data_dir=tmp_path, sources=[
        {"kind": "hf_api", "time": "6:00"},
        {"kind": "arxiv_rss", "categories": ["cs.LG", "cs.CL"], "timezone": "America/New_York"},
        {"kind": "inbox", "name": "drop", "path": "data/inbox", "every_minutes": 5},
    ])
    hf, rss, inbox = s.ingest_sources()
    assert (hf.name, hf.time, hf.timezone, hf.url_base) == ("hf_api", "06:00", "UTC", "https://huggingface.co")
    assert rss.categories == ("cs.LG", "cs.CL") and rss.url_base == "https://rss.arxiv.org"
    assert inbox.schedule == "every 5 min" and inbox.path == Path("data/inbox")
    assert Settings(data_dir=tmp_path, sources=[{"kind": "arxiv_rss", "categories": "cs.LG+cs.CL"}]).sources[0].categories == (
        "cs.LG", "cs.CL")
    (default,) = Settings(data_dir=tmp_path).ingest_sources()
    assert default.kind == "inbox" and default.path == tmp_path / "inbox"
    for bad, message in [
        ({"kind": "rss"}, "'rss'.*expected tags"),
        ({"kind": "arxiv_rss"}, r"categories\n.*Field required"),
        ({"kind": "arxiv_rss", "categories": ["cs.LG", "bad cat"]}, "not arXiv categories: bad cat"),
        ({"kind": "inbox"}, r"path\n.*Field required"),
        ({"kind": "hf_api", "time": "25:00"}, "hours go from 00 to 23"),
        ({"kind": "hf_api", "timezone": "Mars/Base"}, "not a timezone"),
        ({"kind": "hf_api", "every_minutes": 0}, "greater than 0"),
        ({"kind": "inbox", "path": "x", "base_url": "http://x"}, r"base_url\n.*Extra inputs"),
    ]:
        with pytest.raises(ValidationError, match=message):
            Settings(data_dir=tmp_path, sources=[bad])
    with pytest.raises(ValidationError, match="distinct names"):
        Settings(data_dir=tmp_path, sources=[{"kind": "hf_api"}, {"kind": "hf_api"}])


def test_migration_0002_up_and_down(db_url):
    from alembic import command
    from sqlalchemy import inspect

    from recommender.store import Store
    from recommender.store.db import alembic_config

    st = Store(db_url)
    assert "source_runs" in inspect(st.engine).get_table_names()
    cfg = alembic_config(st.engine)
    with st.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert "source_runs" not in inspect(st.engine).get_table_names()
    upgrade(st.engine)
    assert "source_runs" in inspect(st.engine).get_table_names()
    st.dispose()


# -- HTTP fetchers against a local server ---------------------------------------------------------------
EMPTY_FEED = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.LG</link>
    <description>cs.LG updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/cs.LG" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>Sat, 24 May 2025 00:30:00 +0000</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>Sat, 24 May 2025 00:00:00 -0400</pubDate>
    <skipDays><day>Saturday</day><day>Sunday</day></skipDays>
  </channel>
</rss>
"""


class Samples:
    """What the local server serves, and what it was asked."""

    def __init__(self, shared: Path):
        self.hf = shared / "formats" / "hf_api"
        cache = json.loads((shared / "formats" / "arxiv" / "rss_2025-05-26_feedparser-cache_SUBSET.json").read_text())
        self.feeds = {urlparse(url).path: feed for url, feed in cache.items()}
        self.fail_next: dict[str, list[int]] = {}  # path -> statuses to answer first
        self.requests: list[str] = []
        self.weekend = False


@pytest.fixture
def server(shared):
    samples = Samples(shared)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urlparse(self.path)
            samples.requests.append(self.path)
            queued = samples.fail_next.get(url.path)
            if queued:
                return self.reply(queued.pop(0), b"unavailable")
            if url.path == "/api/daily_papers":
                date = parse_qs(url.query).get("date", [""])[0]
                path = samples.hf / f"daily_papers_{date}.json"
                return self.reply(200, path.read_bytes() if path.is_file() else b"[]")  # no papers that day
            if url.path.startswith("/rss/"):
                if samples.weekend:
                    return self.reply(200, EMPTY_FEED)
                feed = samples.feeds.get(url.path)
                return self.reply(200, json.dumps(feed).encode()) if feed else self.reply(404, b"not found")
            self.reply(404, b"not found")

        def reply(self, status, body):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    samples.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield samples
    httpd.shutdown()
    httpd.server_close()


def spec(server, kind, **kw) -> HfApiSource | ArxivRssSource:
    model = {"hf_api": HfApiSource, "arxiv_rss": ArxivRssSource}[kind]
    return model(base_url=server.base, backoff=0, timeout=5, **kw)


def test_hf_api_fetches_today_and_lookback(store, server):
    s = spec(server, name="hf", kind="hf_api", lookback_days=1)
    result = run_source(store, s, now=dt.datetime(2026, 8, 21, 6, tzinfo=UTC))
    assert server.requests == ["/api/daily_papers?date=2026-08-20", "/api/daily_papers?date=2026-08-21"]
    assert result.status == "ok" and result.inputs == 2 and result.new_papers == 17 == count(store, Paper.id)
    with store.session() as session:
        (digest,) = session.scalars(select(Digest)).all()
        assert digest.kind == "hf_api" and digest.digest_date == dt.date(2026, 8, 21)
        assert digest.source.endswith("/api/daily_papers?date=2026-08-21")
    again = run_source(store, s, now=dt.datetime(2026, 8, 21, 18, tzinfo=UTC))
    assert again.new_papers == 0 and again.results[0].duplicate_digest
    assert [(r.status, r.new_papers) for r in runs(store, "hf")] == [("ok", 17), ("ok", 0)]


def test_503_then_success_is_retried(store, server):
    server.fail_next["/api/daily_papers"] = [503, 503]
    s = spec(server, name="hf", kind="hf_api", lookback_days=0, attempts=4)
    result = run_source(store, s, now=dt.datetime(2026, 8, 21, 6, tzinfo=UTC))
    assert len(server.requests) == 3
    assert result.status == "ok" and result.new_papers == 17 and not result.errors


def test_persistent_failure_is_recorded_not_raised(store, server):
    server.fail_next["/api/daily_papers"] = [503] * 3
    s = spec(server, name="hf", kind="hf_api", lookback_days=0, attempts=3)
    result = run_source(store, s, now=dt.datetime(2026, 8, 21, 6, tzinfo=UTC))
    assert len(server.requests) == 3
    assert result.status == "error" and "503" in result.error
    (row,) = runs(store, "hf")
    assert row.status == "error" and "503" in row.error and row.new_papers == 0


def test_not_found_is_not_retried(store, server):
    s = spec(server, name="rss", kind="arxiv_rss", categories=("math.OC",))
    result = run_source(store, s)
    assert len(server.requests) == 1 and result.status == "error" and "404" in result.error


def test_arxiv_rss_listing_and_day_without_announcement(store, server):
    s = spec(server, name="arxiv", kind="arxiv_rss", categories=("cs.CL", "cs.CV", "cs.MM", "cs.LG", "cs.SI"))
    result = run_source(store, s, now=dt.datetime(2025, 5, 26, 6, tzinfo=UTC))
    assert server.requests == ["/rss/cs.CL+cs.CV+cs.MM+cs.LG+cs.SI"]
    assert result.status == "ok" and result.entries == 55 and result.new_papers == count(store, Paper.id) > 0
    server.weekend = True  # Saturday: an empty channel with skipDays
    papers, digests = count(store, Paper.id), count(store, Digest.id)
    quiet = run_source(store, s, now=dt.datetime(2025, 5, 24, 6, tzinfo=UTC))
    assert quiet.status == "empty" and not quiet.errors and quiet.inputs == 1
    assert (count(store, Paper.id), count(store, Digest.id)) == (papers, digests)  # nothing stored
    assert [r.status for r in runs(store, "arxiv")] == ["ok", "empty"]


def test_unreachable_server_is_an_error_with_a_reason(store):
    s = HfApiSource(name="hf", base_url="http://127.0.0.1:9", lookback_days=0, attempts=2, backoff=0, timeout=2)
    result = run_source(store, s)
    assert result.status == "error" and "could not fetch" in result.error


def test_arxiv_enrich_source_links_title_only_papers_and_records_the_run(store, sample_digests, tmp_path):
    from arxiv_fake import FakeArxiv, Known

    from bot.settings import ArxivEnrichSource

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "day.txt").write_bytes((sample_digests / "000_c6f8620f3de3774f.txt").read_bytes())
    old = dt.datetime.now().timestamp() - 3600
    os.utime(inbox / "day.txt", (old, old))
    assert run_source(store, InboxSource(name="inbox", path=inbox, every_minutes=10)).new_papers == 37
    with store.session() as s:
        title = s.scalars(select(Paper.title).order_by(Paper.id)).first()
    fake = FakeArxiv()
    fake.papers.append(Known("2403.04321", title, "An abstract. " * 30))
    try:
        spec = ArxivEnrichSource(name="arxiv", base_url=fake.url, interval=0, limit=50, every_minutes=60)
        result = run_source(store, spec)
    finally:
        fake.stop()
    assert (result.status, result.inputs, result.new_papers, result.errors) == ("ok", 37, 1, [])
    assert count(store, Paper.id, Paper.arxiv_id == "2403.04321") == 1
    assert [r.new_papers for r in runs(store, "arxiv")] == [1]
    assert Settings.model_validate({"sources": [{"kind": "arxiv_enrich", "name": "a", "every_minutes": 60}]}).sources

