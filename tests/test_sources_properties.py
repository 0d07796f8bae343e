"""Property-based tests: every parser returns a DigestRecord or raises ParseError, nothing else."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.sources import FORMATS, detect_format, hf_page, hf_tokens, parse_digest
from recommender.sources.cleaning import clean_text
from recommender.sources.records import DigestRecord, ParseError
from sources_helpers import ATOM, HEADER, RSS, abstract

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PARSERS = [*FORMATS.values(), parse_digest]


def outcome(parser, data) -> DigestRecord | ParseError:
    """Run ``parser``; a ParseError is an allowed outcome, any other exception fails the test."""
    try:
        result = parser(data, source="prop")
    except ParseError as exc:
        assert exc.source == "prop"
        assert exc.line is None or exc.line >= 1
        return exc
    assert isinstance(result, DigestRecord)
    assert all(paper.title for paper in result.papers)
    return result


def all_parsers(data) -> None:
    for parser in PARSERS:
        outcome(parser, data)
    try:
        assert detect_format(data) in FORMATS
    except ParseError:
        pass


# --- arbitrary input ------------------------------------------------------------------------


@FAST
@given(st.text())
def test_arbitrary_text(text):
    all_parsers(text)


@FAST
@given(st.binary())
def test_arbitrary_bytes(data):
    all_parsers(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["paper", "entries", "feed", "id", "title", "summary", "authors", "name", "link",
                         "publishedAt", "submittedOnDailyAt", "upvotes", "published", "author",
                         "arxiv_announce_type"]) | st.text(max_size=8),
        children, max_size=6),
    max_leaves=25,
)


@FAST
@given(json_values)
def test_json_like_structures(value):
    all_parsers(json.dumps(value))


@FAST
@given(st.lists(json_values, max_size=4), st.text(max_size=40), st.one_of(st.none(), st.text(max_size=30)))
def test_hf_api_like_items(extra, title, paper_id):
    items = [{"paper": {"id": paper_id, "title": title, "summary": title, "authors": extra}}, *extra]
    all_parsers(json.dumps(items))


@FAST
@given(st.lists(json_values, max_size=4), st.text(max_size=60))
def test_rss_cache_like_entries(extra, summary):
    value = {"u": {"feed": {"published": summary}, "entries": [
        {"id": "oai:arXiv.org:2505.17037v1", "title": "T", "summary": summary}, *extra]}}
    all_parsers(json.dumps(value))


# --- structured noise around real layouts ---------------------------------------------------

page_lines = st.lists(st.one_of(
    st.sampled_from(["new", "Subscribe", "Daily Papers", "byAK and the research community", "Dec 30",
                     "  • 4 authors", "·", "Jul 30, 2023", "Jun 8", "Oct 3, 2023 2", "12", "-", "Submitted by",
                     "GitHub 3.29k", "arXiv Page", "Published on Jan 5, 2024", "  * Google", "", "Alpha Models",
                     abstract(1)]),
    st.text(max_size=60),
), max_size=30)


@FAST
@given(page_lines)
def test_page_like_text(lines):
    all_parsers(HEADER + "\n".join(lines))


@FAST
@given(st.text(max_size=80), st.sampled_from(["title", "description", "dc:creator", "pubDate",
                                                "arxiv:announce_type", "guid", "link"]), st.booleans())
def test_rss_with_arbitrary_field(text, tag, escaped):
    value = escape(text) if escaped else text
    start = RSS.index(f"<{tag}", RSS.index("<item>"))
    end = RSS.index(f"</{tag}>", start)
    inner = RSS.index(">", start) + 1
    all_parsers(RSS[:inner] + value + RSS[end:])
    all_parsers(ATOM.replace("Cross-listed Paper", value))


# --- round trip: a generated page gives back exactly its cards ------------------------------

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:-", min_size=3, max_size=12)
titles = st.lists(words, min_size=2, max_size=10).map(" ".join).filter(
    lambda t: hf_tokens.classify(t) == hf_tokens.SHORT and any(c.isalpha() for c in t))
metas = st.sampled_from(["", "  • 4 authors\n·\nJul 30, 2023", "  * Google DeepMind\n·\nJun 8",
                         "  - 2 authors\n·\nOct 3, 2023 2", "GitHub 3.29k\n\narXiv Page"])
prefixes = st.sampled_from(["", "12\n", "-\n", "Submitted by\nsomeuser\n\n7\n"])


@FAST
@given(st.lists(st.tuples(prefixes, titles, metas), min_size=1, max_size=8))
def test_generated_page_round_trip(cards):
    text = HEADER + "\n\n".join(f"{pre}{title}\n\n{abstract(i)}\n\n{meta}"
                                for i, (pre, title, meta) in enumerate(cards))
    digest = hf_page.parse(text, source="gen")
    assert [p.title for p in digest.papers] == [clean_text(t) for _, t, _ in cards]
    assert [p.abstract for p in digest.papers] == [abstract(i) for i in range(len(cards))]
    assert parse_digest(text).papers == digest.papers


@FAST
@given(st.text())
def test_clean_text_gives_one_stripped_line(text):
    cleaned = clean_text(text)
    assert "\n" not in cleaned and "  " not in cleaned and cleaned == cleaned.strip()
