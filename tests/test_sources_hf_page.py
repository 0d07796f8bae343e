"""Hugging Face Daily Papers pages copied as text: real samples and every layout variant."""

from __future__ import annotations

import datetime as dt

import pytest

from recommender.sources import hf_page, parse_digest
from recommender.sources.records import ParseError

from sources_helpers import DIGESTS, HEADER, abstract, card, page, sample_bytes


def titles(digest) -> list[str]:
    return [p.title for p in digest.papers]


# --- real samples -----------------------------------------------------------------

EXPECTED = {  # cards, distinct keys
    "000_c6f8620f3de3774f.txt": (37, 37),
    "001_22f0a1ce284fcda3.txt": (39, 39),
    "002_060d071d17833c35.txt": (149, 149),
}


@pytest.mark.parametrize("name", DIGESTS)
def test_real_digest_counts(name):
    digest = hf_page.parse(sample_bytes("digests", name), source=name)
    cards, distinct = EXPECTED[name]
    assert digest.kind == "hf_page"
    assert len(digest.papers) == cards
    assert len({p.key for p in digest.papers}) == distinct
    for paper in digest.papers:
        assert paper.title and len(paper.title) < hf_page.ABSTRACT_MIN_CHARS
        assert len(paper.abstract) >= hf_page.ABSTRACT_MIN_CHARS
        assert paper.arxiv_id is None and paper.key.startswith("title:")
        assert "\n" not in paper.title + paper.abstract and "  " not in paper.abstract


def test_real_digests_total_and_distinct():
    digests = [hf_page.parse(sample_bytes("digests", name), source=name) for name in DIGESTS]
    keys = [p.key for d in digests for p in d.papers]
    assert len(keys) == 225
    assert len(set(keys)) == 216


def test_real_000_first_and_last_cards():
    digest = hf_page.parse(sample_bytes("digests", DIGESTS[0]), source=DIGESTS[0])
    first, last = digest.papers[0], digest.papers[-1]
    assert first.title == "zkDL: Efficient Zero-Knowledge Proofs of Deep Learning Training"
    assert first.abstract.startswith("The recent advancements in deep learning have brought about")
    assert first.published == dt.date(2023, 7, 30)
    assert first.line == 13
    assert first.authors == () and first.upvotes is None
    assert last.title == ("A Layered Self-Supervised Knowledge Distillation Framework for Efficient "
                          "Multimodal Learning on the Edge")
    # "Jun 8" has no year: the current year is one past the latest explicit year (2024).
    assert last.published == dt.date(2025, 6, 8)
    assert digest.date == dt.date(2025, 12, 30)


def test_real_001_card_without_meta_and_date_with_count():
    digest = hf_page.parse(sample_bytes("digests", DIGESTS[1]), source=DIGESTS[1])
    no_meta = [p for p in digest.papers if p.published is None]
    assert [(p.line, p.title) for p in no_meta] == [
        (269, "Technical Report: Full-Stack Fine-Tuning for the Q Programming Language")]
    by_title = {p.title: p for p in digest.papers}
    # "Oct 3, 2023 2": the trailing count does not disturb the date.
    assert by_title["DeepZero: Scaling up Zeroth-Order Optimization for Deep Model Training"].published \
        == dt.date(2023, 10, 3)
    assert "Climate Modelling in Low-Precision: Effects of both Deterministic & Stochastic Rounding" in by_title


def test_real_002_has_no_meta_blocks_at_all():
    digest = hf_page.parse(sample_bytes("digests", DIGESTS[2]), source=DIGESTS[2])
    assert digest.papers[0].title == ("OTOv3: Automatic Architecture-Agnostic Neural Network Training and "
                                      "Compression from Structured Pruning to Erasing Operators")
    assert digest.papers[-1].title == "A Deep Look into Neural Ranking Models for Information Retrieval"
    assert digest.papers[-1].line == 603
    assert all(p.published is None for p in digest.papers)
    assert digest.date is None  # "Mar 14" and no card date to infer the year from


# --- layout variants ----------------------------------------------------------------


def test_basic_fixture_page():
    digest = hf_page.parse(page(card("Alpha Models", 1), card("Beta Models", 2, "  • 2 authors\n·\nJun 8")))
    assert titles(digest) == ["Alpha Models", "Beta Models"]
    assert digest.papers[0].abstract == abstract(1)
    assert digest.papers[0].published == dt.date(2023, 7, 30)
    assert digest.papers[1].published == dt.date(2024, 6, 8)
    assert digest.date == dt.date(2024, 12, 30)


def test_upvote_count_and_dash_before_title():
    text = page("12\n\n" + card("Alpha Models", 1), "-\n\n" + card("Beta Models", 2), "1.2k\n" + card("Gamma", 3))
    digest = hf_page.parse(text)
    assert titles(digest) == ["Alpha Models", "Beta Models", "Gamma"]
    assert [p.upvotes for p in digest.papers] == [12, None, 1200]


def test_title_wrapped_onto_two_lines():
    text = page(card("Grokked Transformers are Implicit Reasoners: A Mechanistic Journey to\nthe Edge of "
                     "Generalization", 1), "7\n" + card("Short one\nand its tail", 2))
    digest = hf_page.parse(text)
    assert titles(digest) == [
        "Grokked Transformers are Implicit Reasoners: A Mechanistic Journey to the Edge of Generalization",
        "Short one and its tail"]
    assert digest.papers[1].upvotes == 7


@pytest.mark.parametrize("bullet", ["•", "*", "-"])
def test_bullet_variants(bullet):
    meta = f"  {bullet} 3 authors\n·\nMar 2, 2022"
    digest = hf_page.parse(page(card("Alpha", 1, meta), card("Beta", 2, meta)))
    assert titles(digest) == ["Alpha", "Beta"]
    assert [p.published for p in digest.papers] == [dt.date(2022, 3, 2)] * 2


@pytest.mark.parametrize("org", ["  • Google DeepMind", "Google DeepMind", "  * Allen Institute for AI"])
def test_organization_instead_of_author_count(org):
    digest = hf_page.parse(page(card("Alpha", 1, f"{org}\n·\nMar 2, 2022"), card("Beta", 2)))
    assert titles(digest) == ["Alpha", "Beta"]
    assert digest.papers[0].published == dt.date(2022, 3, 2)


def test_submitted_by_github_arxiv_and_published_lines():
    first = ("Submitted by\nakhaliq\n\n31\n\nAlpha Models\n\nPublished on Jan 5, 2024\n\n"
             f"{abstract(1)}\n\nGitHub 3.29k\n\narXiv Page\n\n  • 5 authors\n·\nJan 5, 2024")
    second = ("Submitted by nielsr\n\nBeta Models\n\n" + abstract(2) + "\n\nGitHub\n\nView arXiv page\n\n"
              "Published on Feb 1, 2024")
    digest = hf_page.parse(page(first, second))
    assert titles(digest) == ["Alpha Models", "Beta Models"]
    assert digest.papers[0].upvotes == 31
    assert [p.published for p in digest.papers] == [dt.date(2024, 1, 5), dt.date(2024, 2, 1)]


def test_repeated_card_is_kept_and_shares_key():
    text = page(card("Alpha Models", 1), card("Beta", 2), card("Alpha Models", 1))
    digest = hf_page.parse(text)
    assert titles(digest) == ["Alpha Models", "Beta", "Alpha Models"]
    assert len({p.key for p in digest.papers}) == 2


def test_cards_without_meta_block():
    digest = hf_page.parse(page(card("Alpha", 1, meta=""), card("Beta", 2), card("Gamma", 3, meta="")))
    assert titles(digest) == ["Alpha", "Beta", "Gamma"]
    assert [p.published for p in digest.papers] == [None, dt.date(2023, 7, 30), None]


@pytest.mark.parametrize("header", [
    "Daily Papers\nby AK and the research community\nnew\nGet trending papers in your email inbox\nSubscribe\nJun 3\n",
    "byAK and the research community\n\nSubscribe\n\nJun 3\n\n",
    "DAILY PAPERS\n\nJune 3\n\n",
    "Jun 3\n\n",
])
def test_header_in_other_order_and_spelling(header):
    digest = hf_page.parse(page(card("Alpha", 1), header=header))
    assert titles(digest) == ["Alpha"]
    assert digest.date is None  # no year-less card date to infer the year from


def test_title_longer_than_the_abstract_threshold():
    long_title = "A Very Long Title " + "about Scaling Laws " * 12
    assert len(long_title) > hf_page.ABSTRACT_MIN_CHARS
    digest = hf_page.parse(page(card(long_title, 1), card("Beta", 2)))
    assert titles(digest) == [long_title.strip(), "Beta"]


def test_multi_paragraph_abstract_is_joined():
    text = page(f"Alpha\n\n{abstract(1)}\n\n{abstract(2)}\n\n  • 1 author\n·\nMay 1, 2020")
    digest = hf_page.parse(text)
    assert digest.papers[0].abstract == f"{abstract(1)} {abstract(2)}"


def test_cleaning_applies_to_cards():
    text = page(card("Ram\u00c3\u00adrez &amp; Friends:\u00a0 A   Study", 1))
    assert titles(hf_page.parse(text.encode("utf-8"))) == ["Ramírez & Friends: A Study"]


def test_crlf_and_bom():
    text = "\ufeff" + page(card("Alpha", 1)).replace("\n", "\r\n")
    assert titles(hf_page.parse(text.encode("utf-8"))) == ["Alpha"]


# --- bad input ------------------------------------------------------------------------


def error(data, source="page.txt") -> ParseError:
    with pytest.raises(ParseError) as info:
        hf_page.parse(data, source=source)
    assert info.value.source == source
    return info.value


@pytest.mark.parametrize("data", ["", "   \n\n\t\n", b""])
def test_empty_input(data):
    assert "empty" in error(data).message


def test_random_prose_is_rejected_with_line():
    err = error("\n\nIt was a bright cold day in April, and the clocks were striking thirteen.\n" + abstract(1))
    assert err.line == 3 and "not a Hugging Face papers page" in err.message


def test_python_file_is_rejected():
    assert error("import os\n\n\ndef main():\n    return os.getcwd()\n").line == 1


def test_binary_is_rejected():
    err = error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    assert "UTF-8" in err.message and err.line == 1


def test_truncated_last_card_is_dropped_with_a_warning_naming_its_line():
    text = page(card("Alpha", 1)) + "\nBeta: A Truncated Card\n"
    digest = hf_page.parse(text, source="page.txt")
    assert titles(digest) == ["Alpha"]
    line = text.splitlines().index("Beta: A Truncated Card") + 1
    assert len(digest.warnings) == 1 and digest.warnings[0].startswith(f"page.txt:{line}: ")
    assert "cut off" in digest.warnings[0]


def test_a_first_card_cut_before_its_abstract_is_an_error_naming_its_line():
    """A field test cut the first card's abstract to a few words and its meta: the card was read as a
    header line and dropped without a word, the rest stored."""
    text = page("Alpha: A Cut Card\n\nThe extended method", card("Beta", 2), card("Gamma", 3))
    err = error(text)
    assert err.line == text.splitlines().index("Alpha: A Cut Card") + 1
    assert "'Alpha: A Cut Card' has no abstract" in err.message
    assert titles(hf_page.parse(page(card("Beta", 2), card("Gamma", 3)))) == ["Beta", "Gamma"]  # whole: read


def test_title_without_abstract_before_the_last_card_is_an_error():
    text = page(card("Alpha", 1), "Beta: No Abstract Here\n\n  • 2 authors\n·\nJun 8", card("Gamma", 3))
    err = error(text)
    assert err.line == text.splitlines().index("Beta: No Abstract Here") + 1
    assert "no abstract" in err.message


def test_title_without_abstract_before_a_card_with_a_short_summary_is_an_error():
    """A trial: the card after the broken one had a one-sentence summary, so nothing after the break read as
    an abstract, and the rest of the page was dropped as a footer with a warning: papers lost, exit 0."""
    text = page("Speech Enhancement with Diffusion Models\n\nWe denoise speech with score-based diffusion models."
                "\n\n  • 3 authors\n·\nOct 6, 2024",
                "A Card With No Abstract At All\n\n  • 3 authors\n·\nOct 7, 2024",
                "Keyword Spotting on Microcontrollers\n\nWe spot keywords in audio on tiny microcontrollers."
                "\n\n  • 3 authors\n·\nOct 5, 2024")
    err = error(text)
    assert err.line == text.splitlines().index("A Card With No Abstract At All") + 1
    assert "no abstract" in err.message


def test_a_date_that_is_no_calendar_day_is_stored_undated_with_a_warning():
    text = page(card("Alpha", 1, meta="  • 3 authors\n·\nFeb 30, 2024"), card("Beta", 2))
    digest = hf_page.parse(text, source="page.txt")
    assert [p.published for p in digest.papers] == [None, dt.date(2023, 7, 30)]
    assert digest.warnings == [f"page.txt:{text.splitlines().index('Alpha') + 1}: card 'Alpha' is dated 2024-02-30, "
                               "no day of the calendar; stored undated"]


def test_three_short_lines_before_an_abstract_is_an_error():
    text = page(card("Alpha", 1), f"One\n\nTwo\n\nThree\n\n{abstract(2)}")
    err = error(text)
    assert err.line == text.splitlines().index("One") + 1


def test_abstract_without_title():
    text = page(card("Alpha", 1)) + "\n" + abstract(3) + "\n"
    err = error(text)
    assert err.line == len(text.splitlines()) and "without a title" in err.message


def test_header_without_cards():
    assert "no paper cards" in error(HEADER).message


def test_line_number_in_message():
    err = error(page(card("Alpha", 1), "Beta\n\n  • 2 authors\n·\nJun 8", card("Gamma", 3)), source="x.txt")
    assert str(err).startswith(f"x.txt:{err.line}: ")


# --- very long titles ---------------------------------------------------------------


def _long_title(n: int) -> str:
    words = "Towards Scalable and Robust Multimodal Foundation Models for Scientific Discovery across Domains".split()
    text = ""
    while len(text) < n:
        text = f"{text} {words[len(text) % len(words)]}".strip()
    return text[:n].rstrip()


@pytest.mark.parametrize("position", [0, 1])
@pytest.mark.parametrize("length", [400, 500])
def test_a_long_title_where_a_title_stands_is_a_title(position, length):
    cards = [card("Alpha", 1), card("Beta", 2), card("Gamma", 3)]
    cards[position] = card(_long_title(length), position + 1)
    digest = parse_digest(page(*cards).encode(), source="long.txt")
    assert digest.kind == "hf_page" and len(digest.papers) == 3
    assert digest.papers[position].title == _long_title(length) and digest.papers[position].abstract == abstract(position + 1)


@pytest.mark.parametrize("position", [0, 1])
def test_a_title_past_the_limit_is_reported_as_too_long_at_its_line(position):
    cards = [card("Alpha", 1), card("Beta", 2), card("Gamma", 3)]
    title = _long_title(800)
    cards[position] = card(title, position + 1)
    text = page(*cards)
    with pytest.raises(ParseError) as failed:
        parse_digest(text.encode(), source="long.txt")
    assert failed.value.line == text[:text.index(title)].count("\n") + 1
    assert failed.value.message.startswith(f"title too long ({len(title)} characters")
