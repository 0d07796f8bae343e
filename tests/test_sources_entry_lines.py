"""Structured digests (Daily Papers JSON, arXiv feeds as XML or cached JSON) name a bad entry by its number,
counted from 1, and the line where it starts; every record carries that line."""

from __future__ import annotations

import json

import pytest

from recommender.sources import ParseError, parse_digest
from recommender.sources.cleaning import json_array_lines

from sources_helpers import RSS


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` occurrence of ``marker`` in ``text``."""
    at = -1
    for _ in range(nth):
        at = text.index(marker, at + 1)
    return text.count("\n", 0, at) + 1


def api_item(arxiv_id: str, title: str | None) -> dict:
    paper = {"id": arxiv_id, "summary": "An abstract long enough to be one.", "authors": [{"name": "Ada Lovelace"}],
             "publishedAt": "2024-05-24T17:59:00.000Z", "upvotes": 3}
    if title is not None:
        paper["title"] = title
    return {"paper": paper, "publishedAt": "2024-05-27T01:00:00.000Z"}


def test_daily_papers_item_error_names_its_number_from_one_and_its_line():
    text = json.dumps([api_item("2405.00001", "First"), api_item("2405.00002", None)], indent=2)
    with pytest.raises(ParseError) as info:
        parse_digest(text.encode(), source="day.json")
    assert info.value.message == "item 2 has no title"
    assert (info.value.source, info.value.line) == ("day.json", line_of(text, '"paper"', 2) - 1)
    assert str(info.value).startswith(f"day.json:{info.value.line}: item 2")


def test_daily_papers_first_item_is_item_1():
    with pytest.raises(ParseError) as info:
        parse_digest(b'[\n  {"paper": {"id": "2405.00001", "title": "T"}},\n  7\n]', source="day.json")
    assert (info.value.message, info.value.line) == ("item 2 is a int, expected an object with a 'paper'", 3)


def test_daily_papers_records_carry_their_lines():
    text = json.dumps([api_item("2405.00001", "First"), api_item("2405.00002", "Second")], indent=2)
    assert [p.line for p in parse_digest(text).papers] == [2, line_of(text, '"paper"', 2) - 1]


def test_rss_item_error_names_the_line_of_its_item():
    feed = RSS.replace("<arxiv:announce_type>new</arxiv:announce_type>",
                       "<arxiv:announce_type>bogus</arxiv:announce_type>")
    with pytest.raises(ParseError) as info:
        parse_digest(feed.encode(), source="feed.xml")
    assert info.value.message.startswith("entry 2 (") and "unknown announce type 'bogus'" in info.value.message
    assert (info.value.source, info.value.line) == ("feed.xml", line_of(feed, "<item>", 2))


def test_rss_lines_ignore_items_in_comments_and_cdata():
    feed = RSS.replace("<channel>", "<channel>\n<!-- <item> -->\n<description><![CDATA[<item>]]></description>")
    assert [p.line for p in parse_digest(feed).papers] == [line_of(feed, "    <item>"), line_of(feed, "    <item>", 2)]


def test_cached_feed_json_entry_error_names_its_line_across_feeds():
    entry = {"id": "oai:arXiv.org:2402.14001v1", "title": "A Paper", "summary": "Announce Type: new Abstract: A."}
    cache = {"https://rss.arxiv.org/rss/cs.LG": {"feed": {}, "entries": [entry]},
             "https://rss.arxiv.org/rss/cs.CL": {"feed": {}, "entries": [entry, {"title": "No id"}]}}
    text = json.dumps(cache, indent=1)
    with pytest.raises(ParseError) as info:
        parse_digest(text.encode(), source="cache.json")
    assert info.value.message == "entry 3 has no arXiv id"
    assert info.value.line == line_of(text, '"title": "No id"') - 1  # the line of its opening brace


def test_arxiv_api_entry_error_names_the_line_of_its_entry():
    feed = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">\n<id>https://arxiv.org/api/abc</id><title>arXiv Query</title>\n'
            '<updated>2026-01-02T00:00:00Z</updated>\n'
            '<entry><id>http://arxiv.org/abs/2211.13723v4</id><title>Fine</title></entry>\n\n'
            '<entry>\n<id>urn:x</id><title>No id here</title></entry>\n</feed>\n')
    with pytest.raises(ParseError) as info:
        parse_digest(feed.encode(), source="api.xml")
    assert (info.value.message, info.value.line) == ("entry 2 has no arXiv id", 7)


def test_json_array_lines_reads_strings_and_nesting_as_json_does():
    text = '{"entries": "shadowed",\n "entries": [\n  {"a": "]", "b": [1, {"c": "\\"}"}]},\n\n  2]}'
    assert json_array_lines(text, ("entries",)) == [3, 5]
    assert json_array_lines(text, ("missing",)) == [] and json_array_lines("[]") == []
