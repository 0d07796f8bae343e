"""Ingestion into the store: dedup, merge, idempotence, and bad input that loses nothing."""

import datetime as dt
import json
import shutil

import pytest
from sqlalchemy import func, select

from recommender.ingest import ingest, ingest_bytes, merge_record
from recommender.sources.records import PaperRecord
from recommender.store import Digest, DigestEntry, Paper


def count(store, col):
    with store.session() as s:
        return s.scalar(select(func.count(col)))


def test_sample_digests_store_216_papers_from_225_entries_once(store, sample_digests):
    results = ingest(store, [sample_digests])
    assert [r.error for r in results] == [None, None, None]
    assert sum(r.entries for r in results) == 225
    assert sum(r.new for r in results) == 216
    assert count(store, Paper.id) == 216
    assert count(store, DigestEntry.paper_id) == 225

    again = ingest(store, [sample_digests])
    assert sum(r.new for r in again) == 0
    assert all(r.duplicate_digest for r in again)
    assert count(store, Paper.id) == 216
    assert count(store, Digest.id) == 3


def hf_api_item(arxiv_id, title, summary="An abstract long enough to be an abstract.", authors=("Ada Lovelace",)):
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": summary,
            "authors": [{"name": a} for a in authors],
            "publishedAt": "2024-05-24T17:59:00.000Z",
            "upvotes": 3,
        },
        "title": title,
        "publishedAt": "2024-05-27T01:00:00.000Z",
        "numComments": 0,
    }


def page_digest(*cards):
    lines = ["Daily Papers", "", "byAK and the research community", "", "May 27", ""]
    for title, abstract in cards:
        lines += [title, "", abstract, "", "  • 3 authors", "·", "May 24, 2024", ""]
    return "\n".join(lines).encode()


ABSTRACT = (
    "We study how graph neural networks propagate information between nodes and propose a method that "
    "improves message passing on large sparse graphs while keeping the cost linear in the number of edges. "
    "Experiments on citation and social networks show consistent gains over strong baselines."
)


def test_title_only_paper_is_merged_when_its_arxiv_id_arrives(store):
    first = ingest_bytes(store, page_digest(("Message Passing at Scale", ABSTRACT)), "page.txt")
    assert first.error is None and first.new == 1
    api = json.dumps([hf_api_item("2405.00001", "Message Passing at Scale", ABSTRACT)]).encode()
    second = ingest_bytes(store, api, "api.json")
    assert second.error is None
    assert (second.new, second.known, second.updated) == (0, 1, 1)
    with store.session() as s:
        papers = s.scalars(select(Paper)).all()
        assert len(papers) == 1
        assert papers[0].arxiv_id == "2405.00001"


def test_same_arxiv_paper_from_two_sources_is_stored_once(store):
    a = json.dumps([hf_api_item("2405.00002", "A Paper")]).encode()
    b = json.dumps([hf_api_item("2405.00002", "A Paper"), hf_api_item("2405.00003", "Another Paper")]).encode()
    assert ingest_bytes(store, a, "a.json").new == 1
    r = ingest_bytes(store, b, "b.json")
    assert (r.new, r.known) == (1, 1)
    assert count(store, Paper.id) == 2


def test_bad_file_stores_nothing_and_other_files_still_go_in(store, tmp_path, sample_digests):
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(sample_digests / "000_c6f8620f3de3774f.txt", folder / "a_good.txt")
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_broken.json").write_text('[{"paper": {"id": "2405.0', encoding="utf-8")
    (folder / "d_not_a_digest.txt").write_text("def main():\n    return 42\n", encoding="utf-8")
    results = ingest(store, [folder, tmp_path / "missing.txt"])
    by_name = {r.source.rsplit("/", 1)[-1]: r for r in results}
    assert by_name["a_good.txt"].error is None and by_name["a_good.txt"].new == 37
    for bad in ("b_empty.txt", "c_broken.json", "d_not_a_digest.txt", "missing.txt"):
        assert by_name[bad].error, bad
        assert bad in by_name[bad].error  # the message names the file
    assert count(store, Paper.id) == 37
    assert count(store, Digest.id) == 1


def test_malformed_real_hf_api_file_names_the_file_and_stores_nothing(store, shared):
    path = shared / "formats" / "hf_api" / "EDGE_daily_papers_2024-12-11_python-repr-strings.json"
    [result] = ingest(store, [path])
    assert result.error and path.name in result.error
    assert count(store, Paper.id) == 0
    assert count(store, Digest.id) == 0


def test_ingest_a_url_served_over_http(store, sample_digests):
    import http.server
    import threading
    from functools import partial

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(sample_digests))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        ok, missing = ingest(store, [f"{base}/000_c6f8620f3de3774f.txt", f"{base}/nope.txt"])
    finally:
        server.shutdown()
        server.server_close()
    assert ok.error is None and ok.new == 37
    assert missing.error and "404" in missing.error and "nope.txt" in missing.error


# -- set-based ingest ------------------------------------------------------------------------------------
def statements_for(store, data, source):
    """Run ingest_bytes and return (result, number of SQL statements it executed)."""
    from sqlalchemy import event

    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        result = ingest_bytes(store, data, source)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    return result, len(seen)


def api_digest(ids, prefix="Paper"):
    return json.dumps([hf_api_item(f"2406.{i:05d}", f"{prefix} number {i}") for i in ids]).encode()


def test_statements_per_digest_do_not_grow_with_its_size(store):
    small, n_small = statements_for(store, api_digest(range(1, 21)), "small.json")
    large, n_large = statements_for(store, api_digest(range(100, 400)), "large.json")
    assert (small.new, large.new) == (20, 300)
    assert n_small == n_large  # lookups, inserts and entries are set-based, not one query per paper
    known, n_known = statements_for(store, api_digest(range(100, 400), prefix="Paper"), "large-again.json")
    assert known.duplicate_digest and n_known <= 2  # one SELECT (and SQLite's BEGIN)
    mixed, n_mixed = statements_for(store, api_digest(list(range(1, 21)) + list(range(500, 800))) + b" ", "mixed.json")
    assert (mixed.new, mixed.known) == (300, 20)
    assert n_mixed == n_large


def test_chunked_lookups_and_inserts_keep_order_dedup_and_report_progress(store, monkeypatch):
    import recommender.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "LOOKUP_CHUNK", 3)
    first = ingest_bytes(store, page_digest(("Message Passing at Scale", ABSTRACT), ("Graph Sparsifiers", ABSTRACT)), "p.txt")
    assert first.new == 2
    items = [hf_api_item(f"2406.{i:05d}", f"Chunked paper {i}") for i in range(1, 8)]
    items.insert(3, hf_api_item("2406.00002", "Chunked paper 2"))  # a repeat within the digest
    items.append(hf_api_item("2406.00100", "Message Passing at Scale", ABSTRACT))  # learns the title-only paper's id
    steps = []
    result = ingest_bytes(store, json.dumps(items).encode(), "api.json", on_papers=lambda done, total: steps.append((done, total)))
    assert (result.entries, result.new, result.known, result.updated) == (9, 7, 2, 1)
    assert steps == [(3, 9), (6, 9), (9, 9)]
    with store.session() as s:
        digest = s.scalar(select(Digest).where(Digest.source == "api.json"))
        listed = [s.get(Paper, e.paper_id) for e in sorted(digest.entries, key=lambda e: e.position)]
        assert [p.arxiv_id for p in listed] == [f"2406.{i:05d}" for i in (1, 2, 3, 2, 4, 5, 6, 7)] + ["2406.00100"]
        assert digest.n_new == 7
        assert count(store, Paper.id) == 9
        assert s.scalar(select(Paper.arxiv_id).where(Paper.title_key == "message passing at scale")) == "2406.00100"


def test_a_longer_text_of_a_known_paper_replaces_a_shorter_one(store):
    truncated = ABSTRACT[:230].rsplit(" ", 1)[0] + " …"  # a page digest's cut-off abstract
    assert ingest_bytes(store, page_digest(("Message Passing at Scale", truncated)), "short.txt").new == 1
    longer = ingest_bytes(store, page_digest(("Message Passing at Scale", ABSTRACT)), "long.txt")
    assert (longer.new, longer.known, longer.updated) == (0, 1, 1)
    shorter_again = ingest_bytes(store, page_digest(("Message Passing at Scale", truncated)) + b"\n", "short-again.txt")
    assert (shorter_again.known, shorter_again.updated) == (1, 0)
    more_authors = hf_api_item("2405.00001", "Message Passing at Scale", truncated, authors=("Ada Lovelace", "Alan Turing"))
    assert ingest_bytes(store, json.dumps([more_authors]).encode(), "api.json").updated == 1
    with store.session() as s:
        [paper] = s.scalars(select(Paper)).all()
        assert paper.abstract == ABSTRACT
        assert (paper.arxiv_id, paper.authors) == ("2405.00001", ["Ada Lovelace", "Alan Turing"])


def test_a_title_only_paper_cannot_be_stored_twice(store):
    import pytest
    from sqlalchemy.exc import IntegrityError

    assert ingest_bytes(store, page_digest(("Message Passing at Scale", ABSTRACT)), "a.txt").new == 1
    with pytest.raises(IntegrityError), store.session() as s:
        s.add(Paper(title_key="message passing at scale", title="Message passing at scale", source_kind="hf_page", authors=[]))
    again = ingest_bytes(store, page_digest(("Message Passing At Scale!", ABSTRACT)), "b.txt")
    assert (again.new, again.known) == (0, 1)
    assert count(store, Paper.id) == 1


def test_postgresql_statistics_follow_a_backfill_each_time_papers_double(store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans these lookups from its indexes, without statistics")
    from sqlalchemy import text

    def analyzed():
        with store.session() as s:
            return s.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'papers'::regclass"))

    before = analyzed()
    assert ingest_bytes(store, api_digest(range(1, 900)), "a.json").new == 899
    assert analyzed() == before  # fewer than 1,000 new papers: not yet
    assert ingest_bytes(store, api_digest(range(900, 1200)), "b.json").new == 300
    assert analyzed() == 1199  # the planner now knows the table's size
    assert ingest_bytes(store, api_digest(range(1200, 2000)), "c.json").new == 800
    assert analyzed() == 1199  # the next analysis waits until the table has doubled


def rss_cache(*entries):
    """A feedparser-cached rss.arxiv.org feed of 2025-05-26: (version id, announce type) per entry."""
    day = "Mon, 26 May 2025 00:00:00 -0400"
    return json.dumps({"feed": {"published": day}, "entries": [
        {"id": f"oai:arXiv.org:{vid}", "title": "Improving Multi-task Learning via Seeking Task-based Flat Regions",
         "link": f"https://arxiv.org/abs/{vid[:10]}", "published": day,
         "summary": f"arXiv:{vid} Announce Type: {announce} \nAbstract: {ABSTRACT}"} for vid, announce in entries]}).encode()


def api_atom(arxiv_id, published):
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f'<id>https://arxiv.org/api/q</id><title>arXiv Query</title><updated>2025-06-01T00:00:00Z</updated>'
            f'<entry><id>http://arxiv.org/abs/{arxiv_id}v4</id><published>{published}T17:00:00Z</published>'
            f'<updated>2025-05-23T10:00:00Z</updated><title>Improving Multi-task Learning via Seeking Task-based '
            f'Flat Regions</title><summary>{ABSTRACT}</summary></entry></feed>').encode()


def published(store, arxiv_id):
    with store.session() as s:
        return s.scalar(select(Paper.published).where(Paper.arxiv_id == arxiv_id))


def test_a_replacement_never_dates_a_paper_and_a_known_publication_day_stays(store):
    assert ingest_bytes(store, rss_cache(("2211.13723v4", "replace")), "rss.json").new == 1
    assert published(store, "2211.13723") is None  # undated until a source knows the day
    assert ingest_bytes(store, api_atom("2211.13723", "2022-11-24"), "api.xml").updated == 1
    assert published(store, "2211.13723") == dt.date(2022, 11, 24)
    ingest_bytes(store, rss_cache(("2211.13723v5", "replace"), ("2211.13723v5", "replace-cross")), "rss-2.json")
    assert published(store, "2211.13723") == dt.date(2022, 11, 24)  # neither None nor the announcement day


def test_an_earlier_publication_day_corrects_a_later_one(store):
    assert ingest_bytes(store, rss_cache(("2505.17037v1", "new")), "rss.json").new == 1
    assert published(store, "2505.17037") == dt.date(2025, 5, 26)  # the day arXiv announced it
    assert ingest_bytes(store, api_atom("2505.17037", "2025-05-22"), "api.xml").updated == 1
    assert published(store, "2505.17037") == dt.date(2025, 5, 22)  # its first version's day, from the API
    ingest_bytes(store, rss_cache(("2505.17037v1", "cross")), "rss-cross.json")
    assert published(store, "2505.17037") == dt.date(2025, 5, 22)


def test_of_two_racing_ingests_the_earlier_day_stays_whichever_commits_last(store):
    assert ingest_bytes(store, rss_cache(("2505.17037v1", "new")), "rss.json").new == 1  # 2025-05-26
    with store.session() as s:
        paper = s.scalar(select(Paper).where(Paper.arxiv_id == "2505.17037"))
        assert paper.published == dt.date(2025, 5, 26)  # read before the other ingest commits
        assert ingest_bytes(store, api_atom("2505.17037", "2025-05-20"), "api.xml").updated == 1
        assert merge_record(paper, PaperRecord(title=paper.title, arxiv_id="2505.17037", published=dt.date(2025, 5, 22)))
    assert published(store, "2505.17037") == dt.date(2025, 5, 20)  # not the 22nd, earlier only than the day this one read
