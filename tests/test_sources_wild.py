"""Feeds re-serialised by other tools, ids that are not arXiv ids, encodings, extremes and empty inputs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from recommender.ingest import ingest_bytes
from recommender.sources import (
    arxiv_rss,
    normalize_arxiv_id,
    normalize_doi,
    parse_digest,
)
from recommender.sources.records import ParseError
from recommender.store import Paper

from sources_helpers import (
    ATOM,
    DIGESTS,
    RSS,
    abstract,
    card,
    page,
    sample_bytes,
)

# --- rss.arxiv.org feeds as other tools re-serialise them -------------------------------


def stripped(feed: str) -> str:
    """The feed with its namespace prefixes dropped, as some feed rewriters save it."""
    for prefix in ("arxiv:", "dc:"):
        feed = feed.replace(f"<{prefix}", "<").replace(f"</{prefix}", "</")
    return feed


def test_stripped_prefixes_keep_authors_and_announce_types():
    for feed in (stripped(RSS), stripped(ATOM)):
        digest = parse_digest(feed, source="stripped.xml")
        assert digest.kind == "arxiv_rss"
        assert all(p.authors for p in digest.papers)
    rss = parse_digest(stripped(RSS)).papers
    assert [p.announce_type for p in rss] == ["replace-cross", "new"]
    assert rss[0].is_replacement and rss[0].authors == ("Antonin Monteil", "Paul Pegon")
    assert parse_digest(stripped(ATOM)).papers[0].authors == ("Ada Lovelace", "Alan Turing")


def test_no_announce_type_text_and_no_element():
    feed = stripped(RSS).replace("<announce_type>replace-cross</announce_type>", "").replace(
        "<announce_type>new</announce_type>", "")
    feed = feed.replace("arXiv:2203.01250v3 Announce Type: replace-cross\nAbstract: ", "")
    feed = feed.replace("arXiv:2402.14001v1 Announce Type: new\nAbstract: ", "")
    first, second = parse_digest(feed).papers
    # arXiv announces new papers at v1: v3 with no announce type is a replacement, not news.
    assert (first.announce_type, second.announce_type) == ("replace", None)
    assert first.abstract.startswith("We consider first order") and second.abstract == "We propose a method."


def test_boilerplate_before_the_marker_is_dropped():
    html = ("&lt;p&gt;Journal-ref: Journal de l'Ecole polytechnique 11 (2024)&lt;/p&gt; "
            "Comments: 30 pages, 2 figures. ")
    feed = RSS.replace("<description>arXiv:2402.14001v1", f"<description>{html}arXiv:2402.14001v1")
    paper = parse_digest(feed).papers[1]
    assert paper.abstract == "We propose a method." and paper.announce_type == "new"


def test_cached_json_with_stripped_keys():
    entry = {"id": "oai:arXiv.org:2505.17037v2", "title": "Prompt Vocabulary", "link": "https://arxiv.org/abs/2505.17037",
             "creator": "Dimitri Schreiter, Ana Li", "announce_type": "replace",
             "summary": "Published in: Some Journal. arXiv:2505.17037v2 Announce Type: replace \nAbstract: We ask.",
             "published": "Mon, 26 May 2025 00:00:00 -0400"}
    digest = arxiv_rss.parse(json.dumps({"feed": {"published": "Mon, 26 May 2025 00:00:00 -0400"}, "entries": [entry]}))
    paper = digest.papers[0]
    assert paper.authors == ("Dimitri Schreiter", "Ana Li")
    assert paper.is_replacement and paper.abstract == "We ask."


def test_real_rss_cache_abstracts_have_no_marker_left():
    digest = parse_digest(sample_bytes("formats", "arxiv", "rss_2025-05-26_feedparser-cache_SUBSET.json"))
    assert not any("Announce Type" in p.abstract or p.abstract.startswith("arXiv:") for p in digest.papers)
    assert all(p.authors for p in digest.papers)


def test_replacement_is_stored_but_not_news(store):
    result = ingest_bytes(store, stripped(RSS).encode(), "feed.xml")
    assert result.ok and result.new == 2
    with store.session() as s:
        news = {p.arxiv_id: p.is_news for p in s.scalars(select(Paper))}
    assert news == {"2203.01250": False, "2402.14001": True}


# --- ids that are not arXiv ids ---------------------------------------------------------


@pytest.mark.parametrize("value", ["10.1111/j.1751-9004.2011.00352.x", "10.1093/oso/9780197.2401.01234",
                                   "PMC2401.01234", "see 2401.01234", "2401.01234 and more", "34567890"])
def test_an_id_field_is_matched_whole(value):
    assert normalize_arxiv_id(value) is None


@pytest.mark.parametrize("value, expected", [
    ("2401.01234v2", "2401.01234"), ("arXiv:2401.01234", "2401.01234"), ("oai:arXiv.org:2505.17037v1", "2505.17037"),
    ("https://arxiv.org/abs/2401.01234v1", "2401.01234"), ("https://arxiv.org/pdf/2401.01234v1.pdf", "2401.01234"),
    ("hep-th/9901001v3", "hep-th/9901001"), ("https://huggingface.co/papers/2506.01234", "2506.01234"),
    ("10.48550/arXiv.2401.01234", "2401.01234"),
    ("math.GT/0309136", "math/0309136"), ("arXiv:cs.AI/0207097v2", "cs/0207097"),  # a listing's subject class
])
def test_arxiv_id_forms(value, expected):
    assert normalize_arxiv_id(value) == expected


@pytest.mark.parametrize("value, possible", [
    ("2401.0408", False), ("arXiv:2401.0408v2", False),  # a digit lost: ids have five digits after the dot since 2015
    ("1412.0980", True), ("1412.09800", False), ("1501.00001", True), ("0704.0001", True),  # four up to Dec 2014
    ("2413.01234", False), ("2400.01234", False),  # no month 13 or 00
    # new-style ids began in April 2007: before, every id was old-style (hep-th/9912001)
    ("0703.0001", False), ("0001.0001", False), ("0612.1234", False), ("hep-th/9912001", True),
])
def test_an_id_no_arxiv_paper_can_have_is_no_arxiv_id(value, possible):
    """A new user's hand-written digest gave Mixtral's id as 2401.0408: it was stored as a second "Mixtral of
    Experts" beside 2401.04088, linked to https://arxiv.org/abs/2401.0408, which does not exist."""
    assert (normalize_arxiv_id(value) is not None) == possible


def api_item(paper_id: str, n: int) -> dict:
    return {"paper": {"id": paper_id, "title": f"Paper {n}", "summary": abstract(n), "authors": [{"name": "A B"}]}}


def test_api_file_with_dois_and_pubmed_ids(store):
    items = [api_item("10.1111/j.1751-9004.2011.00352.x", 1), api_item("doi:10.1093/oso/9780197.2401.01234", 2),
             api_item("34567890", 3), api_item("2401.01234v2", 4)]
    papers = parse_digest(json.dumps(items)).papers
    assert [p.arxiv_id for p in papers] == [None, None, None, "2401.01234"]
    assert [p.doi for p in papers] == ["10.1111/j.1751-9004.2011.00352.x", "10.1093/oso/9780197.2401.01234", None, None]
    assert [p.url for p in papers] == ["https://doi.org/10.1111/j.1751-9004.2011.00352.x",
                                       "https://doi.org/10.1093/oso/9780197.2401.01234", None,
                                       "https://arxiv.org/abs/2401.01234"]
    assert ingest_bytes(store, json.dumps(items).encode(), "ids.json").new == 4
    with store.session() as s:
        stored = {p.title: (p.arxiv_id, p.doi) for p in s.scalars(select(Paper))}
    assert stored["Paper 1"] == (None, "10.1111/j.1751-9004.2011.00352.x") and stored["Paper 3"] == (None, None)


def test_doi_forms():
    assert normalize_doi("https://doi.org/10.5802/jep.257") == "10.5802/jep.257"
    assert normalize_doi("10.5802/jep.257 and text") is None and normalize_doi("2401.01234") is None
    assert normalize_doi("10.1785/0220180259.") == "10.1785/0220180259"  # a library's, ending its sentence
    assert normalize_doi("https://doi.org/10.1093%2Fgji%2Fggy423") == "10.1093/gji/ggy423"  # a link as printed
    assert normalize_doi("10.1000/100%25") == "10.1000/100%25"  # no link: nothing decoded


# --- encodings ------------------------------------------------------------------------------

LATIN_META = "  * 4 authors\n·\nJul 30, 2023"  # every character exists in Latin-1
LATIN_PAGE = page(card("Modèles génératifs à l'échelle: une étude de Ramírez", 1, LATIN_META), card("Beta", 2, LATIN_META))


@pytest.mark.parametrize("data, encoding", [
    (LATIN_PAGE.encode("utf-16"), "utf-16-le"),
    (LATIN_PAGE.encode("utf-16-be"), "utf_16_be"),
    (LATIN_PAGE.encode("utf-16-le"), "utf_16_le"),
    (LATIN_PAGE.encode("latin-1"), "cp1252"),
    (b"\xef\xbb\xbf" + LATIN_PAGE.encode("utf-8"), "utf-8"),
    (LATIN_PAGE.encode("utf-8"), "utf-8"),
])
def test_encodings_are_detected_and_named(data, encoding):
    digest = parse_digest(data, source="enc.txt")
    assert digest.encoding == encoding
    assert [p.title for p in digest.papers] == ["Modèles génératifs à l'échelle: une étude de Ramírez", "Beta"]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_ascii_page_in_utf16_without_bom(encoding):
    ascii_page = page(card("Alpha", 1, "  * 4 authors\nJul 30, 2023"), card("Beta", 2, "  * 2 authors\nJun 8, 2023"))
    digest = parse_digest(ascii_page.encode(encoding))  # valid UTF-8, but every other byte is NUL
    assert digest.encoding == encoding.replace("-", "_", 1).replace("-", "_")
    assert [p.title for p in digest.papers] == ["Alpha", "Beta"]


def test_utf16_sample_digest():
    text = sample_bytes("digests", DIGESTS[0]).decode("utf-8")
    assert len(parse_digest(text.encode("utf-16")).papers) == 37


# --- extremes -------------------------------------------------------------------------------


def test_json_with_a_5000_digit_integer_is_a_clean_error():
    data = '[\n{"paper": {"id": "2401.00001", "title": "T",\n "upvotes": ' + "9" * 5000 + "}}\n]"
    with pytest.raises(ParseError) as info:
        parse_digest(data.encode(), source="huge.json")
    assert str(info.value).startswith("huge.json:3: ") and "5000 digits" in info.value.message


def test_poisoned_file_fails_alone(store):
    bad = ingest_bytes(store, b'[{"paper": {"upvotes": ' + b"1" * 5000 + b"}}]", "huge.json")
    good = ingest_bytes(store, json.dumps([api_item("2401.01234", 1)]).encode(), "good.json")
    assert not bad.ok and "huge.json" in bad.error and good.ok and good.new == 1


def test_10000_item_api_file_parses():
    items = [api_item(f"2401.{n:05d}", n) for n in range(10_000)]
    digest = parse_digest(json.dumps(items).encode(), source="big.json")
    assert len(digest.papers) == 10_000 and digest.papers[-1].arxiv_id == "2401.09999"


@pytest.mark.parametrize("feed", [RSS, ATOM])
def test_cut_off_feed_is_rejected(feed):
    with pytest.raises(ParseError, match="cut off") as info:
        parse_digest(feed[:feed.rindex("</")], source="cut.xml")
    assert info.value.source == "cut.xml"


def test_cut_off_json_is_rejected():
    data = json.dumps([api_item("2401.01234", 1), api_item("2401.01235", 2)])
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_digest(data[:len(data) // 2])


# --- empty inputs ---------------------------------------------------------------------------

EMPTY_API_ANSWER = """<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/xyz</id>
  <title>arXiv Query: search_query=ti:"no such paper"&amp;id_list=&amp;start=0&amp;max_results=10</title>
  <updated>2026-04-12T22:09:27Z</updated>
  <link href="https://arxiv.org/api/query?search_query=ti:%22no+such+paper%22" type="application/atom+xml"/>
  <opensearch:itemsPerPage>10</opensearch:itemsPerPage>
  <opensearch:totalResults>0</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
</feed>
"""
EMPTY_RSS = RSS[:RSS.index("<item>")] + "</channel>\n</rss>\n"


@pytest.mark.parametrize("data", [EMPTY_API_ANSWER, "[]", EMPTY_RSS, '{"feed": {}, "entries": []}'])
def test_empty_inputs_are_reported_as_having_no_papers(store, data):
    digest = parse_digest(data)
    assert digest.is_empty
    result = ingest_bytes(store, data.encode(), "empty")
    assert result.ok and result.empty and result.entries == 0 and not result.duplicate_digest


def test_warnings_reach_the_ingest_result(store):
    data = sample_bytes("digests", DIGESTS[0])
    result = ingest_bytes(store, data[:3000], "cut.txt")
    assert result.new == 1 and len(result.warnings) == 1 and result.warnings[0].startswith("cut.txt:")
    whole = ingest_bytes(store, data, "whole.txt")
    assert whole.new == 36 and whole.known == 1 and whole.warnings == []


def test_longer_text_replaces_a_shorter_one(store):
    short = page(card("Alpha Models", 1))
    longer = page(f"Alpha Models\n\n{abstract(1)} {abstract(2)}\n\n  • 4 authors\n·\nJul 30, 2023")
    ingest_bytes(store, short.encode(), "short.txt")
    assert ingest_bytes(store, longer.encode(), "long.txt").updated == 1
    with store.session() as s:
        assert s.scalars(select(Paper)).one().abstract == f"{abstract(1)} {abstract(2)}"
