"""Hugging Face pages other than the Daily Papers copies: Trending, week, month, one paper; text and markdown."""

from __future__ import annotations

import datetime as dt

import pytest
from sources_wild import (
    MONTH_TEXT,
    PAPER_MARKDOWN,
    PAPER_TEXT,
    SUMMARY_1,
    SUMMARY_3,
    TITLES,
    TRENDING_MARKDOWN,
    TRENDING_TEXT,
    WEEK_TEXT,
)

from recommender.sources import detect_format, hf_page, parse_digest
from recommender.sources.records import ParseError

from sources_helpers import DIGESTS, abstract, sample_bytes


@pytest.mark.parametrize("text", [TRENDING_TEXT, TRENDING_MARKDOWN], ids=["browser", "markdown"])
def test_trending_page(text):
    assert detect_format(text) == "hf_page"
    digest = parse_digest(text, source="trending")
    assert [p.title for p in digest.papers] == TITLES
    # Short summaries are the page's abstracts; a long one is kept whole.
    assert [p.abstract for p in digest.papers] == [SUMMARY_1, abstract(2), SUMMARY_3]
    assert [p.upvotes for p in digest.papers] == [98, 41, 7]
    assert [p.published for p in digest.papers] == [dt.date(2025, 6, 16), dt.date(2025, 6, 12), dt.date(2026, 6, 3)]
    assert all(p.authors == () for p in digest.papers)


def test_trending_markdown_links_give_arxiv_ids_and_the_footer_is_reported():
    digest = parse_digest(TRENDING_MARKDOWN, source="trending.md")
    assert [p.arxiv_id for p in digest.papers] == ["2506.13585", "2506.11002", "2506.01003"]
    assert digest.papers[0].url == "https://arxiv.org/abs/2506.13585"
    footer = TRENDING_MARKDOWN.splitlines().index("[System theme](https://huggingface.co/papers/trending#)") + 1
    assert len(digest.warnings) == 1 and digest.warnings[0].startswith(f"trending.md:{footer}: ")


def test_browser_copy_has_no_arxiv_ids():
    digest = parse_digest(TRENDING_TEXT)
    assert all(p.arxiv_id is None and p.url is None for p in digest.papers) and digest.warnings == []


@pytest.mark.parametrize("text", [WEEK_TEXT, MONTH_TEXT], ids=["week", "month"])
def test_week_and_month_pages(text):
    digest = parse_digest(text, source="page")
    assert [p.title for p in digest.papers] == [TITLES[1], "Curriculum Distillation for Small Vision-Language Models"]
    assert [p.upvotes for p in digest.papers] == [64, 12]
    assert [p.published for p in digest.papers] == [dt.date(2025, 6, 12), dt.date(2025, 6, 10)]


@pytest.mark.parametrize("text", [PAPER_TEXT, PAPER_MARKDOWN], ids=["browser", "markdown"])
def test_single_paper_page(text):
    assert detect_format(text) == "hf_page"
    digest = parse_digest(text, source="paper")
    [paper] = digest.papers
    assert paper.title == TITLES[0]
    assert paper.abstract == abstract(1)  # the abstract, not the AI summary above it
    assert paper.authors == ("Mira Castellanos", "Tobias Brandt", "Yuki Sato")
    assert (paper.arxiv_id, paper.url) == ("2506.13585", "https://arxiv.org/abs/2506.13585")
    assert paper.published == dt.date(2025, 6, 16) and paper.upvotes == 98


def test_single_paper_page_with_only_the_summary():
    [paper] = parse_digest(PAPER_TEXT.replace(abstract(1) + "\n", "")).papers
    assert paper.abstract == SUMMARY_1 and paper.arxiv_id == "2506.13585"


def test_cards_are_found_whatever_the_header_says():
    header = "Papers of the Week\n\nCurated by our lab\n\n"
    text = header + TRENDING_TEXT[TRENDING_TEXT.index("Submitted by"):]
    assert [p.title for p in hf_page.parse(text).papers] == TITLES


def test_a_lone_sentence_is_not_a_card():
    text = "Notes\n\nWe met on Tuesday and discussed the roadmap for the next quarter in some detail.\n"
    with pytest.raises(ParseError):
        parse_digest(text)


def test_short_summary_needs_meta_lines():
    text = "Daily Papers\n\nAlpha Models\n\nA short summary sentence that has no meta lines at all around it.\n"
    with pytest.raises(ParseError):
        hf_page.parse(text)
    assert hf_page.parse(text + "\n  • 3 authors\n·\nJun 8, 2024\n").papers[0].abstract.startswith("A short")


# --- truncated copies -------------------------------------------------------------


def test_first_3000_bytes_of_a_sample_drop_the_cut_card_with_a_warning():
    data = sample_bytes("digests", DIGESTS[0])[:3000]
    digest = parse_digest(data, source="cut.txt")
    full = parse_digest(sample_bytes("digests", DIGESTS[0]))
    assert digest.papers == full.papers[:1]
    second = full.papers[1]
    assert digest.warnings == [(f"cut.txt:{second.line}: last card {second.title[:60]!r} stops mid-sentence "
                                "with nothing after it (the file looks cut off); dropped")]


@pytest.mark.parametrize("name", DIGESTS)
def test_complete_samples_have_no_warnings(name):
    assert parse_digest(sample_bytes("digests", name)).warnings == []


@pytest.mark.parametrize("cut", [0.25, 0.5, 0.9])
def test_any_cut_of_a_sample_keeps_only_complete_cards(cut):
    data = sample_bytes("digests", DIGESTS[2])
    full = parse_digest(data).papers
    part = data[:int(len(data) * cut)]
    digest = parse_digest(part.decode("utf-8", "ignore"), source="cut.txt")
    assert digest.papers == full[:len(digest.papers)]
    assert len(digest.warnings) == 1 and digest.warnings[0].startswith("cut.txt:")
