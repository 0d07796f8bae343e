"""``paperbot enrich`` and the ingest lines for empty digests, through the real Typer app."""

from __future__ import annotations

import json

import pytest
from arxiv_fake import FakeArxiv, Known
from sqlalchemy import select

from recommender.store import Paper, Store


def stored_titles(db_url: str) -> list[str]:
    store = Store(db_url)
    try:
        with store.session() as session:
            return list(session.scalars(select(Paper.title).order_by(Paper.id)))
    finally:
        store.dispose()


@pytest.fixture
def fake():
    server = FakeArxiv()
    yield server
    server.stop()


def test_enrich_links_the_titles_the_api_knows_and_reports_the_rest(cli, db_url, fake, sample_digests):
    assert cli("ingest", sample_digests / "000_c6f8620f3de3774f.txt").exit_code == 0
    status = json.loads(cli("status", "--json").stdout)
    assert status["papers"] == {"stored": 37, "without_link": 37}
    assert status["ranking"] == {"semantic": False, "reason": "semantic ranking off in the settings ([recommender] semantic)",
                                 "lacking_vectors": None}
    title = stored_titles(db_url)[0]
    fake.papers.append(Known("2402.01234", title, "An abstract. " * 30))

    result = cli("enrich", "--api-url", fake.url, "--interval", "0", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["candidates"] == 37 and report["linked"] == 1 and report["remaining"] == 36
    assert report["not_found"] == 36 and report["errors"] == []
    store = Store(db_url)
    with store.session() as session:
        paper = session.scalars(select(Paper).where(Paper.title == title)).one()
        assert (paper.arxiv_id, paper.link) == ("2402.01234", "https://arxiv.org/abs/2402.01234")
    store.dispose()
    assert json.loads(cli("status", "--json").stdout)["papers"] == {"stored": 37, "without_link": 36}
    # "not found" answers are cached: a second run asks nothing
    second = json.loads(cli("enrich", "--api-url", fake.url, "--interval", "0", "--json").stdout)
    assert second["asked"] == 0 and second["skipped"] == 36


def test_enrich_limit_and_a_failing_api_exit_1(cli, fake, sample_digests):
    assert cli("ingest", sample_digests / "000_c6f8620f3de3774f.txt").exit_code == 0
    limited = json.loads(cli("enrich", "--api-url", fake.url, "--interval", "0", "--limit", "5", "--json").stdout)
    assert limited["asked"] == 5
    fake.mode = "error400"
    failed = cli("enrich", "--api-url", fake.url, "--interval", "0", "--json")
    report = json.loads(failed.stdout)
    assert failed.exit_code == 1 and report["failed"] == 3 and len(report["errors"]) == 4  # and "stopped after 3 …"
    table = cli("enrich", "--api-url", fake.url, "--interval", "0")
    # the summary counts the failed lookups (a field test read "3 asked, 0 not found, 0 ambiguous" and nothing more)
    assert table.exit_code == 1 and "0 ambiguous, 3 failed;" in " ".join(table.stdout.split())
    assert "The failed ones are asked again next time." in " ".join(table.stdout.split())


def test_an_empty_api_day_says_the_digest_had_no_papers(cli, tmp_path):
    day = tmp_path / "daily_papers_empty.json"
    day.write_text("[]")
    result = cli("ingest", day)
    assert result.exit_code == 0, result.output
    assert "the digest had no papers" in result.stdout
    assert "Nothing new" not in result.stdout
