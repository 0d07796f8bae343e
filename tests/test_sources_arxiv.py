"""arXiv API Atom responses and rss.arxiv.org listing feeds (raw XML and feedparser's cached JSON)."""

from __future__ import annotations

import collections
import datetime as dt
import json

import pytest

from recommender.sources import arxiv_atom, arxiv_rss
from recommender.sources.records import ParseError

from sources_helpers import ATOM, RSS, sample_bytes

LEGACY = "api_2016_search_query=au_del_maestro.xml"
CURRENT = "api_2026-04-12_q_testing_s0_m10.body.xml"
RSS_CACHE = "rss_2025-05-26_feedparser-cache_SUBSET.json"


# --- arXiv API Atom -----------------------------------------------------------------


def test_api_legacy_shape():
    digest = arxiv_atom.parse(sample_bytes("formats", "arxiv", LEGACY), source=LEGACY)
    assert digest.kind == "arxiv_atom"
    assert len(digest.papers) == 10
    assert digest.date == dt.date(2016, 10, 9)
    first = digest.papers[0]
    assert first.title == "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
    assert first.arxiv_id == "1201.4869"
    assert first.authors == ("Adrian Del Maestro",)
    assert first.published == dt.date(2012, 1, 23)
    assert first.url == "https://arxiv.org/abs/1201.4869"
    # the hard-wrapped summary is one line
    assert first.abstract.startswith("As helium-4 is cooled below 2.17 K it undergoes a phase transition to a "
                                     "fundamentally new state of matter")
    assert "\n" not in first.abstract and "  " not in first.abstract
    old_style = digest.papers[1]
    assert old_style.arxiv_id == "cond-mat/0412498"
    assert old_style.authors == ("Adrian Del Maestro", "Subir Sachdev")
    assert old_style.url == "https://arxiv.org/abs/cond-mat/0412498"


def test_api_current_shape_and_mojibake():
    digest = arxiv_atom.parse(sample_bytes("formats", "arxiv", CURRENT), source=CURRENT)
    assert len(digest.papers) == 10
    assert digest.date == dt.date(2026, 4, 12)
    first, second = digest.papers[:2]
    assert first.title == ("Testing Deep Learning Models: A First Comparative Study of Multiple "
                           "Testing Techniques")
    assert first.arxiv_id == "2202.12139" and first.published == dt.date(2022, 2, 24)
    assert first.authors == ("Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker")
    assert second.arxiv_id == "2405.13786"
    # real double-encoded names in the response: "RamÃ\xadrez", "JosÃ© RaÃºl"
    assert second.authors == ("Aurora Ramírez", "Mario Berrios", "José Raúl Romero", "Robert Feldt")


def atom_feed(entries: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
            '<id>https://arxiv.org/api/abc</id><title>arXiv Query</title>'
            f'<updated>2026-01-02T00:00:00Z</updated>\n{entries}</feed>\n')


def test_api_empty_result_is_an_empty_digest():
    digest = arxiv_atom.parse(atom_feed(""))
    assert digest.papers == [] and digest.date == dt.date(2026, 1, 2)


def test_api_error_response_is_a_parse_error():
    text = atom_feed('<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id>'
                     '<title>Error</title><summary>incorrect id format for 1234</summary></entry>')
    with pytest.raises(ParseError) as info:
        arxiv_atom.parse(text, source="q.xml")
    assert "incorrect id format for 1234" in info.value.message


def test_api_publication_is_the_published_day_never_the_latest_version_day():
    entry = ('<entry><id>http://arxiv.org/abs/2211.13723v4</id><title>Multi-task Flat Regions</title>'
             '<updated>2025-05-23T10:00:00Z</updated>{}</entry>')
    dated = arxiv_atom.parse(atom_feed(entry.format("<published>2022-11-24T17:00:00Z</published>"))).papers[0]
    assert dated.published == dt.date(2022, 11, 24)
    undated = arxiv_atom.parse(atom_feed(entry.format(""))).papers[0]
    assert undated.arxiv_id == "2211.13723" and undated.published is None  # not the v4 day


def test_api_entry_without_id_is_a_parse_error():
    with pytest.raises(ParseError, match="entry 1 has no arXiv id"):
        arxiv_atom.parse(atom_feed("<entry><id>urn:x</id><title>T</title></entry>"))


@pytest.mark.parametrize("data", ["", "<feed", "not xml at all", b"\xc3\x28"])
def test_api_bad_input(data):
    with pytest.raises(ParseError):
        arxiv_atom.parse(data, source="q.xml")


# --- rss.arxiv.org: feedparser's cached JSON --------------------------------------------


def test_rss_feedparser_cache_sample():
    digest = arxiv_rss.parse(sample_bytes("formats", "arxiv", RSS_CACHE), source=RSS_CACHE)
    assert digest.kind == "arxiv_rss"
    assert len(digest.papers) == 96  # 55 + 41 entries of two feeds
    assert len({p.key for p in digest.papers}) == 95  # one paper is cross-listed in both feeds
    assert digest.date == dt.date(2025, 5, 26)
    counts = collections.Counter(p.announce_type for p in digest.papers)
    assert counts == {"new": 38, "cross": 25, "replace": 22, "replace-cross": 11}
    first = digest.papers[0]
    assert first.arxiv_id == "2505.17037"
    assert first.title == "Prompt Engineering: How Prompt Vocabulary affects Domain Knowledge"
    assert first.authors == ("Dimitri Schreiter",)
    assert first.published == dt.date(2025, 5, 26)
    assert first.url == "https://arxiv.org/abs/2505.17037"
    assert first.abstract.startswith("Prompt engineering has emerged as a critical component")
    assert "Announce Type" not in first.abstract
    assert digest.papers[1].authors == ("Xian Gong", "Paul X. McCarthy", "Lin Tian", "Marian-Andrei Rizoiu")
    assert sum(p.is_replacement for p in digest.papers) == 33


def test_rss_cache_sample_dates_only_first_releases():
    digest = arxiv_rss.parse(sample_bytes("formats", "arxiv", RSS_CACHE), source=RSS_CACHE)
    by_id = {p.arxiv_id: p for p in digest.papers}
    # a replaced 2022 paper, and an older paper newly cross-listed, were first published long before the feed day
    assert (by_id["2211.13723"].announce_type, by_id["2211.13723"].published) == ("replace", None)
    assert (by_id["2411.17411"].announce_type, by_id["2411.17411"].published) == ("cross", None)
    assert all(p.published is None for p in digest.papers if p.is_replacement)
    first = [p for p in digest.papers if not p.is_replacement and p.arxiv_id != "2411.17411"]
    assert len(first) == 62 and all(p.published == dt.date(2025, 5, 26) for p in first)  # 38 new, 24 cross


def rss_cache_entry(version_id: str, announce: str | None) -> dict:
    marker = f"Announce Type: {announce} " if announce else ""
    return {"id": f"oai:arXiv.org:{version_id}", "title": f"Paper {version_id}",
            "link": f"https://arxiv.org/abs/{version_id.split('v')[0]}",
            "summary": f"arXiv:{version_id} {marker}\nAbstract: An abstract.",
            "published": "Mon, 26 May 2025 00:00:00 -0400"}


@pytest.mark.parametrize("version_id, announce, published", [
    ("2505.17037v1", "new", dt.date(2025, 5, 26)),
    ("2504.21999v1", "new", dt.date(2025, 5, 26)),  # held, announced weeks later: first released that day
    ("2505.17030v1", "cross", dt.date(2025, 5, 26)),
    ("2504.21001v1", "cross", dt.date(2025, 5, 26)),  # submitted late in the previous month
    ("2502.01234v1", "cross", None),  # an older paper's listing added later
    ("hep-th/9901001v1", "cross", None),
    ("2505.10001v2", "replace", None),
    ("2505.10001v1", "replace-cross", None),
    ("2505.17040v1", None, dt.date(2025, 5, 26)),  # no announce type: read like a cross-listing
    ("2311.06358v2", None, None),  # no announce type, a later version: a replacement
])
def test_rss_published_is_the_announcement_day_only_for_a_first_release(version_id, announce, published):
    digest = arxiv_rss.from_json({"feed": {"published": "Mon, 26 May 2025 00:00:00 -0400"},
                                  "entries": [rss_cache_entry(version_id, announce)]})
    assert digest.papers[0].published == published and digest.date == dt.date(2025, 5, 26)


def test_rss_cache_single_feed_object():
    value = {"feed": {"published": "Fri, 23 Feb 2024 00:00:00 -0500"},
             "entries": [{"id": "oai:arXiv.org:2203.01250v3", "title": "Mass concentration",
                          "link": "https://arxiv.org/abs/2203.01250", "author": "Antonin Monteil, Paul Pegon",
                          "summary": "arXiv:2203.01250v3 Announce Type: replace-cross \nAbstract: We consider.",
                          "published": "Fri, 23 Feb 2024 00:00:00 -0500"}]}
    digest = arxiv_rss.parse(json.dumps(value))
    paper = digest.papers[0]
    assert (paper.arxiv_id, paper.announce_type, paper.abstract) == ("2203.01250", "replace-cross", "We consider.")
    assert paper.is_replacement and digest.date == dt.date(2024, 2, 23)


# --- rss.arxiv.org: raw XML built per the specification ------------------------------------

def test_rss_raw_xml():
    digest = arxiv_rss.parse(RSS.encode("utf-8"), source="math.OC.rss")
    assert digest.kind == "arxiv_rss" and digest.date == dt.date(2024, 2, 23)
    first, second = digest.papers
    assert first.title == "Mass concentration in rescaled first order integral functionals"
    assert first.arxiv_id == "2203.01250" and first.announce_type == "replace-cross" and first.is_replacement
    assert first.authors == ("Antonin Monteil", "Paul Pegon")
    assert first.abstract.startswith("We consider first order local minimization problems")
    assert first.abstract.endswith("under a mass constraint $a < b$.")
    assert first.published is None  # a replacement: pubDate is the day of the new version's announcement
    assert first.url == "https://arxiv.org/abs/2203.01250"
    assert second.title == "A New Method for Convex Optimization & Friends"
    assert second.announce_type == "new" and not second.is_replacement
    assert second.authors == ("José Raúl Romero",)
    assert second.abstract == "We propose a method."


def test_rss_atom_variant():
    digest = arxiv_rss.parse(ATOM, source="math.OC.atom")
    (paper,) = digest.papers
    assert (paper.arxiv_id, paper.announce_type, paper.abstract) == ("2402.14002", "cross", "A cross-listed abstract.")
    assert paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.published == dt.date(2024, 2, 23) and digest.date == dt.date(2024, 2, 23)


def test_rss_announce_type_read_from_description_when_element_missing():
    text = RSS.replace("<arxiv:announce_type>replace-cross</arxiv:announce_type>", "")
    assert arxiv_rss.parse(text).papers[0].announce_type == "replace-cross"


def test_rss_weekend_feed_without_items():
    start, end = RSS.index("<item>"), RSS.rindex("</item>") + len("</item>")
    digest = arxiv_rss.parse(RSS[:start] + RSS[end:])
    assert digest.papers == [] and digest.date == dt.date(2024, 2, 23)


@pytest.mark.parametrize("data, words", [
    ("", "empty"),
    ("{", "not valid JSON"),
    ('{"items": []}', "not a cached feed"),
    (RSS.replace("Announce Type: new", "Announce Type: bogus").replace(
        "<arxiv:announce_type>new</arxiv:announce_type>", ""), "unknown announce type 'bogus'"),
    ('{"feed": {}, "entries": [{"title": "T", "summary": "no id"}]}', "has no arXiv id"),
    ('{"feed": {}, "entries": ["oops"]}', "entry 1 is a str"),
])
def test_rss_bad_input(data, words):
    with pytest.raises(ParseError) as info:
        arxiv_rss.parse(data, source="feed")
    assert words in info.value.message and info.value.source == "feed"
