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


# --- each kind's variations in the wild ---------------------------------------------------

ARXIV_IDS = st.from_regex(r"\A2[0-9](0[1-9]|1[0-2])\.[0-9]{5}\Z")  # a month 01-12: 2413.01234 is no arXiv id
short_summaries = st.sampled_from([
    "A hybrid model cuts long-context compute by a factor of four on coding tasks.",
    "Small recursive networks solve puzzles that defeat far larger language models!",
    "We show that retrieval helps small models answer multi-hop questions?",
])
listing_headers = st.sampled_from([
    HEADER,
    ("Trending Papers\n\nGet trending papers in your email inbox once a day!\n\nSubscribe\n\nby\n\nAK\n\n"
     "and the research community\n\nDaily\n\nWeekly\n\nMonthly\n\nTrending\n\n"),
    ("Title: Trending Papers - Hugging Face\n\nURL Source: https://huggingface.co/papers/trending\n\n"
     "Markdown Content:\n# Trending Papers\n\n[Subscribe](https://huggingface.co/login)\n\n"
     "by [AK](https://huggingface.co/akhaliq) and the research community\n\n"),
    "Daily Papers\n\nby AK and the research community\n\nWeek 25, 2025\n\n",
    "Papers of the Week\n\nCurated by our reading group\n\n",
])
leads = st.sampled_from(["", "12\n", "Upvote\n42\n", "Submitted by\nsomeuser\nUpvote\n7\n", "Submitted by nielsr\n\n31\n"])
tails = st.sampled_from(["  • 4 authors\n·\nJul 30, 2023", "Northwind AI\n·\nPublished on Jun 16, 2025\nGitHub\n2.38k\narXiv Page",
                         "*   12 authors\n\n·\n\nPublished on Jun 12, 2025", "[GitHub 812](https://github.com/x/y)"])


@st.composite
def listing_pages(draw):
    """A Daily/Trending/week page (browser text or markdown) and the cards it must give back."""
    cards, expected = [], []
    for n in range(draw(st.integers(1, 6))):
        # Titles start with a capital: a lower-case line right under a header line reads as a wrapped title.
        title = draw(titles.filter(lambda t: t[0].isupper()))
        lead, tail = draw(leads), draw(tails)
        body = draw(short_summaries) if draw(st.booleans()) else abstract(n)
        arxiv_id = draw(st.none() | ARXIV_IDS)
        shown = f"### [{title}](https://huggingface.co/papers/{arxiv_id})" if arxiv_id else title
        cards.append(f"{lead}{shown}\n\n{body}\n\n{tail}")
        expected.append((clean_text(title), body, arxiv_id))
    return draw(listing_headers) + "\n\n".join(cards) + "\n", expected


@FAST
@given(listing_pages())
def test_generated_listing_pages_give_back_their_cards(generated):
    text, expected = generated
    digest = parse_digest(text, source="gen")
    assert digest.kind == "hf_page" and digest.warnings == []
    assert [(p.title, p.abstract, p.arxiv_id) for p in digest.papers] == expected


@FAST
@given(listing_pages(), st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]))
def test_generated_pages_in_any_unicode_encoding(generated, encoding):
    text, expected = generated
    digest = parse_digest(text.encode(encoding), source="gen")
    assert [p.title for p in digest.papers] == [t for t, _, _ in expected]


@FAST
@given(listing_pages(), st.floats(0.05, 0.999))
def test_a_cut_page_gives_complete_cards_or_an_error(generated, where):
    text, _ = generated
    full = parse_digest(text).papers
    cut = text[:int(len(text) * where)]
    digest = outcome(parse_digest, cut)
    if isinstance(digest, ParseError):
        return
    *complete, last = digest.papers
    assert complete == full[:len(complete)]
    reference = full[len(complete)]
    assert last.title == reference.title and reference.abstract.startswith(last.abstract)


rss_variants = st.fixed_dictionaries({
    "strip": st.booleans(),
    "marker": st.sampled_from(["text", "element", "both", "none"]),
    "boilerplate": st.sampled_from(["", "&lt;p&gt;Journal-ref: J. Foo 11 (2024)&lt;/p&gt; ", "Comments: 12 pages. "]),
    "version": st.integers(1, 4),
})


def rss_entry_feed(v: dict) -> str:
    announce = "new" if v["version"] == 1 else "replace"
    text = f"arXiv:2402.14001v{v['version']} Announce Type: {announce}\nAbstract: " if v["marker"] in ("text", "both") else ""
    element = f"<arxiv:announce_type>{announce}</arxiv:announce_type>" if v["marker"] in ("element", "both") else ""
    feed = RSS[:RSS.index("<item>")] + f"""<item>
      <title>A New Method</title>
      <link>https://arxiv.org/abs/2402.14001</link>
      <description>{v['boilerplate']}{text}We propose a method.</description>
      <guid isPermaLink="false">oai:arXiv.org:2402.14001v{v['version']}</guid>
      {element}
      <dc:creator>Ada Lovelace, Alan Turing</dc:creator>
    </item>
  </channel>
</rss>
"""
    if v["strip"]:
        feed = feed.replace("<arxiv:", "<").replace("</arxiv:", "</").replace("<dc:", "<").replace("</dc:", "</")
    return feed


@FAST
@given(rss_variants)
def test_generated_rss_variations(v):
    [paper] = parse_digest(rss_entry_feed(v), source="gen").papers
    assert paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.is_replacement == (v["version"] > 1)
    if v["marker"] in ("text", "both") or not v["boilerplate"]:  # no marker: nothing tells boilerplate apart
        assert paper.abstract == "We propose a method."


api_ids = st.one_of(
    st.tuples(ARXIV_IDS, st.sampled_from(["{}", "{}v2", "arXiv:{}", "https://arxiv.org/abs/{}v1"]))
    .map(lambda t: (t[1].format(t[0]), t[0], None)),
    # a full stop ending the field is the sentence's, not the DOI's (normalize_doi); "10.1234/..." is then no DOI
    st.from_regex(r"\A10\.[0-9]{4,6}/[a-z0-9.\-]{3,20}\Z").map(
        lambda doi: (doi, None, doi.rstrip(".") if not doi.rstrip(".").endswith("/") else None)),
    st.from_regex(r"\A[0-9]{6,9}\Z").map(lambda pmid: (pmid, None, None)),
)


@FAST
@given(st.lists(api_ids, min_size=1, max_size=6))
def test_generated_api_ids(ids):
    items = [{"paper": {"id": raw, "title": f"Paper {n}", "summary": abstract(n)}} for n, (raw, _, _) in enumerate(ids)]
    papers = parse_digest(json.dumps(items), source="gen").papers
    assert [(p.arxiv_id, p.doi) for p in papers] == [(arxiv, doi) for _, arxiv, doi in ids]
