"""Format detection from content, and parse_digest dispatch."""

from __future__ import annotations

import pytest

from recommender.sources import FORMATS, detect_format, parse_digest
from recommender.sources.records import ParseError

from sources_helpers import ATOM, DIGESTS, RSS, card, page, sample_bytes

SAMPLES = [
    (("digests", DIGESTS[0]), "hf_page", 37),
    (("digests", DIGESTS[1]), "hf_page", 39),
    (("digests", DIGESTS[2]), "hf_page", 149),
    (("formats", "hf_api", "daily_papers_2024-05-27.json"), "hf_api", 13),
    (("formats", "hf_api", "daily_papers_2026-08-21.json"), "hf_api", 17),
    (("formats", "arxiv", "api_2016_search_query=au_del_maestro.xml"), "arxiv_atom", 10),
    (("formats", "arxiv", "api_2026-04-12_q_testing_s0_m10.body.xml"), "arxiv_atom", 10),
    (("formats", "arxiv", "rss_2025-05-26_feedparser-cache_SUBSET.json"), "arxiv_rss", 96),
]


@pytest.mark.parametrize("parts, kind, count", SAMPLES, ids=[s[0][-1] for s in SAMPLES])
def test_samples_detected_and_parsed(parts, kind, count):
    data = sample_bytes(*parts)
    assert detect_format(data) == kind
    assert detect_format(data.decode("utf-8")) == kind
    digest = parse_digest(data, source=parts[-1])
    assert digest.kind == kind and len(digest.papers) == count


def test_detection_ignores_the_file_name():
    data = sample_bytes("formats", "hf_api", "daily_papers_2024-05-27.json")
    assert parse_digest(data, source="digest.txt").kind == "hf_api"


def test_bom_is_tolerated():
    data = sample_bytes("formats", "hf_api", "daily_papers_2026-08-21.json")
    assert detect_format(b"\xef\xbb\xbf" + data) == "hf_api"
    assert len(parse_digest(b"\xef\xbb\xbf" + data).papers) == 17


def test_corrupt_hf_api_sample_is_detected_then_rejected():
    data = sample_bytes("formats", "hf_api", "EDGE_daily_papers_2024-12-11_python-repr-strings.json")
    assert detect_format(data) == "hf_api"
    with pytest.raises(ParseError, match="Python-repr strings"):
        parse_digest(data, source="edge.json")


@pytest.mark.parametrize("text, kind", [
    (page(card("Alpha", 1)), "hf_page"),
    ("[]", "hf_api"),
    (RSS, "arxiv_rss"),
    (ATOM, "arxiv_rss"),  # rss.arxiv.org's Atom flavour is a listing feed, not an API response
    ('{"feed": {}, "entries": []}', "arxiv_rss"),
])
def test_fixture_detection(text, kind):
    assert detect_format(text) == kind
    assert parse_digest(text).kind == kind


JUNK = [
    "",
    "   \n\t",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\nSed do eiusmod tempor.",
    "import os\n\nprint(os.getcwd())\n",
    "<html><body><p>Hello</p></body></html>",
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A blog</title></feed>',
    '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>',
    '{"results": []}',
    "[1, 2, 3]",
    '["just", "strings"]',
    "{broken json",
    "new\n",
    b"\x00\x01\x02\xff\xfe",
    b"\x89PNG\r\n\x1a\n",
]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_is_rejected(junk):
    with pytest.raises(ParseError) as info:
        detect_format(junk, source="junk")
    assert info.value.source == "junk"
    with pytest.raises(ParseError):
        parse_digest(junk, source="junk")


def test_undecodable_bytes_name_the_source():
    with pytest.raises(ParseError) as info:
        parse_digest(b"Daily Papers\n\x00\xff\x00\x9c\x01\n", source="odd.txt")
    assert str(info.value).startswith("odd.txt:2: ") and "UTF-8" in str(info.value)


def test_every_format_has_a_parser():
    assert set(FORMATS) == {"hf_page", "hf_api", "arxiv_atom", "arxiv_rss"}
