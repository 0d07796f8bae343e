"""Enrichment of title-only papers against a local fake of the arXiv API."""

from __future__ import annotations

import datetime as dt

import pytest
from arxiv_fake import FakeArxiv, Known
from embedder_fake import HashEmbedder
from sqlalchemy import select

from recommender.arxiv_api import ArxivClient, title_query
from recommender.enrich import count_unlinked, enrich, match
from recommender.ingest import ingest_bytes
from recommender.sources.records import PaperRecord
from recommender.store import ArxivLookup, Paper, PaperEmbedding
from recommender.text.embeddings import embedding_text
from recommender.text.vectors import embed_missing

from sources_helpers import abstract, card, page

TITLE = "Sparse Mixtures of Experts for Tabular Reasoning"
LONG_ABSTRACT = abstract(7) + " We also show how the experts specialise by column type, with ablations."


@pytest.fixture
def fake():
    server = FakeArxiv()
    yield server
    server.stop()


def client(fake: FakeArxiv, **kw) -> ArxivClient:
    kw.setdefault("min_interval", 0)
    return ArxivClient(base_url=fake.url, **kw)


def ingest_page(store, *titles: str) -> None:
    text = page(*(card(t, n, meta="") for n, t in enumerate(titles)))  # no dates, like most copied pages
    result = ingest_bytes(store, text.encode(), "page.txt")
    assert result.ok and result.new == len(titles)


def paper(store, title: str) -> Paper:
    with store.session() as s:
        return s.scalars(select(Paper).where(Paper.title == title)).one()


def test_match_fills_id_link_authors_dates_and_longer_abstract(store, fake):
    ingest_page(store, TITLE, "Another Paper Nobody Indexed")
    fake.papers.append(Known("2402.12345", TITLE.upper(), LONG_ABSTRACT, ("Grace Hopper", "Edsger Dijkstra"),
                             "2024-02-24", "10.1000/xyz123"))
    assert count_unlinked(store) == 2
    with client(fake) as c:
        report = enrich(store, client=c)
    got = paper(store, TITLE)
    assert (got.arxiv_id, got.link) == ("2402.12345", "https://arxiv.org/abs/2402.12345")
    assert got.authors == ["Grace Hopper", "Edsger Dijkstra"]
    assert got.published == dt.date(2024, 2, 24)
    assert got.abstract == LONG_ABSTRACT and got.doi == "10.1000/xyz123"
    assert got.title == TITLE  # our title is kept; arXiv's casing only had to agree
    assert (report.candidates, report.asked, report.linked, report.not_found) == (2, 2, 1, 1)
    assert report.remaining == count_unlinked(store) == 1
    assert title_query(TITLE) == 'ti:"sparse mixtures of experts for tabular reasoning"'
    assert {r["search_query"] for r in fake.requests} == {title_query(TITLE), 'ti:"another paper nobody indexed"'}
    assert all("paperbot" in ua and "arXiv" in ua for ua in fake.user_agents)


def test_our_longer_abstract_is_kept(store, fake):
    ingest_page(store, TITLE)
    fake.papers.append(Known("2402.12345", TITLE, "Short."))
    with client(fake) as c:
        enrich(store, client=c)
    got = paper(store, TITLE)
    assert got.arxiv_id == "2402.12345" and got.abstract == abstract(0)


def test_no_match_is_cached_and_asked_again_after_a_week(store, fake):
    ingest_page(store, TITLE)
    with client(fake) as c:
        first = enrich(store, client=c)
        again = enrich(store, client=c)
        later = enrich(store, client=c, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=8))
    assert (first.asked, first.not_found) == (1, 1)
    assert (again.asked, again.skipped) == (0, 1)
    assert later.asked == 1
    assert len(fake.requests) == 2
    with store.session() as s:
        row = s.scalars(select(ArxivLookup)).one()
        assert (row.status, row.arxiv_id) == ("not_found", None)


def test_two_near_matches_are_not_accepted(store, fake):
    ingest_page(store, "Diffusion Models Beat GANs")
    fake.papers += [Known("2105.05233", "Diffusion Models Beat GANs on Image Synthesis", abstract(1)),
                    Known("2301.00001", "Why Diffusion Models Beat GANs Sometimes", abstract(2))]
    with client(fake) as c:
        report = enrich(store, client=c)
    assert len(fake.requests) == 1 and report.not_found == 1 and report.linked == 0
    assert paper(store, "Diffusion Models Beat GANs").arxiv_id is None


def test_two_arxiv_papers_with_the_same_title_are_ambiguous(store, fake):
    ingest_page(store, TITLE)
    fake.papers += [Known("2402.12345", TITLE, abstract(1)), Known("2403.54321", TITLE + ".", abstract(2))]
    with client(fake) as c:
        report = enrich(store, client=c)
    assert report.ambiguous == 1 and paper(store, TITLE).arxiv_id is None


@pytest.mark.parametrize("mode", ["error400", "error200"])
def test_error_answer_is_reported_and_not_cached(store, fake, mode):
    ingest_page(store, TITLE)
    fake.mode = mode
    with client(fake, attempts=1) as c:
        report = enrich(store, client=c)
    assert report.linked == 0 and len(report.errors) == 1
    assert ("400" in report.errors[0]) if mode == "error400" else ("unbalanced quotes" in report.errors[0])
    with store.session() as s:
        assert s.scalars(select(ArxivLookup)).all() == []
    fake.mode = "search"
    fake.papers.append(Known("2402.12345", TITLE, abstract(1)))
    with client(fake) as c:
        assert enrich(store, client=c).linked == 1  # not cached: asked again next run


def test_timeout_is_reported_and_the_run_stops_after_repeated_failures(store, fake):
    ingest_page(store, "Paper One", "Paper Two", "Paper Three", "Paper Four")
    fake.mode = "hang"
    with client(fake, timeout=0.2, attempts=1) as c:
        report = enrich(store, client=c)
    assert report.asked == 3 and len(fake.requests) == 3
    assert all("Timeout" in e for e in report.errors[:3]) and "stopped after 3" in report.errors[-1]
    assert report.remaining == 4


def test_limit_and_progress(store, fake):
    ingest_page(store, "Paper One", "Paper Two", "Paper Three")
    calls = []
    with client(fake) as c:
        report = enrich(store, client=c, limit=2, progress=lambda done, total: calls.append((done, total)))
    assert report.asked == 2 and len(fake.requests) == 2
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_requests_are_spaced_by_the_interval():
    fake = FakeArxiv()
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    try:
        with ArxivClient(base_url=fake.url, min_interval=3.0, clock=lambda: now[0], sleep=sleep) as c:
            c.search_title("A")
            now[0] += 1.0
            c.search_title("B")
            now[0] += 5.0
            c.search_title("C")
    finally:
        fake.stop()
    assert slept == [pytest.approx(2.0)] and len(fake.requests) == 3


def test_arxiv_id_already_on_another_paper_gives_the_link_without_a_conflict(store, fake):
    other = PaperRecord(title="Sparse Mixture-of-Experts for Tabular Reasoning (v1 title)", abstract=abstract(3),
                        arxiv_id="2402.12345", url="https://arxiv.org/abs/2402.12345")
    with store.session() as s:
        s.add(Paper(arxiv_id=other.arxiv_id, title_key="v1", title=other.title, abstract=other.abstract,
                    authors=[], url=other.url, source_kind="arxiv_atom"))
    ingest_page(store, TITLE)
    fake.papers.append(Known("2402.12345", TITLE, abstract(1)))
    with client(fake) as c:
        report = enrich(store, client=c)
    assert report.linked == 1 and paper(store, TITLE).link == "https://arxiv.org/abs/2402.12345"
    assert count_unlinked(store) == 0


def test_match_needs_agreeing_titles():
    hit = PaperRecord(title="Attention Is All You Need", arxiv_id="1706.03762")
    assert match("attention is all you need!", [hit]) == ("found", hit)
    assert match("Attention Is Not All You Need", [hit]) == ("not_found", None)


def test_every_sample_paper_the_fake_knows_gets_its_link(papers_store, fake):
    """The issue's bar: after enrichment every sample paper whose title the fake knows has its arXiv link."""
    with papers_store.session() as s:
        stored = s.execute(select(Paper.title, Paper.abstract)).all()
    assert len(stored) == 216 and count_unlinked(papers_store) == 216
    fake.papers += [Known(f"2401.{n:05d}", title, text + " Extended.") for n, (title, text) in enumerate(stored)]
    with client(fake) as c:
        report = enrich(papers_store, client=c)
    assert report.linked == 216 and report.errors == [] and count_unlinked(papers_store) == 0
    with papers_store.session() as s:
        links = {p.title: p.link for p in s.scalars(select(Paper))}
    assert all(link and link.startswith("https://arxiv.org/abs/2401.") for link in links.values())


def test_a_match_keeps_the_vector_unless_it_changes_the_title_or_abstract(store, fake):
    """An arXiv id, link, authors and date change no word the model reads: the paper keeps its sentence vector.
    A longer abstract is new text: that paper's vector is forgotten, and the next pass embeds the new text."""
    other = "Another Paper Nobody Indexed"
    ingest_page(store, TITLE, other)
    assert embed_missing(store, HashEmbedder()) == 2
    with store.session() as s:
        before = dict(s.execute(select(PaperEmbedding.paper_id, PaperEmbedding.id)).all())
    fake.papers += [Known("2402.12345", TITLE, "Short.", ("Grace Hopper",), "2024-02-24", "10.1000/xyz123"),
                    Known("2402.54321", other, LONG_ABSTRACT)]
    with client(fake) as c:
        assert enrich(store, client=c).linked == 2
    kept, changed = paper(store, TITLE), paper(store, other)
    assert kept.arxiv_id == "2402.12345" and kept.abstract == abstract(0)  # learned its id, its text unchanged
    assert changed.abstract == LONG_ABSTRACT
    with store.session() as s:
        after = dict(s.execute(select(PaperEmbedding.paper_id, PaperEmbedding.id)).all())
    assert after == {kept.id: before[kept.id]}
    embedder = HashEmbedder()
    assert embed_missing(store, embedder) == 1 and embedder.texts == [embedding_text(other, LONG_ABSTRACT)]
