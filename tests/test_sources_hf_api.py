"""Hugging Face Daily Papers API JSON: both real shapes, the corrupt sample, small fixtures."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from recommender.sources import hf_api
from recommender.sources.records import ParseError

from sources_helpers import abstract, sample_bytes

OLD = "daily_papers_2024-05-27.json"
NEW = "daily_papers_2026-08-21.json"
EDGE = "EDGE_daily_papers_2024-12-11_python-repr-strings.json"


def test_old_shape_2024():
    digest = hf_api.parse(sample_bytes("formats", "hf_api", OLD), source=OLD)
    assert digest.kind == "hf_api"
    assert len(digest.papers) == 13
    assert len({p.key for p in digest.papers}) == 13
    assert digest.date == dt.date(2024, 5, 27)  # no submittedOnDailyAt: item.publishedAt day
    first = digest.papers[0]
    # arXiv hard-wrapped the title: "...Large Multimodal\n  Models"
    assert first.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert first.arxiv_id == "2405.15738" and first.key == "arxiv:2405.15738"
    assert first.authors[:3] == ("Chunjiang Ge", "Sijie Cheng", "Ziming Wang")
    assert first.published == dt.date(2024, 5, 24)
    assert first.upvotes == 32
    assert first.url == "https://arxiv.org/abs/2405.15738"
    assert first.abstract.startswith("High-resolution Large Multimodal Models (LMMs) encounter")
    assert digest.papers[2].title == ("Grokked Transformers are Implicit Reasoners: A Mechanistic Journey "
                                      "to the Edge of Generalization")
    for paper in digest.papers:
        assert "\n" not in paper.title + paper.abstract and "  " not in paper.title + paper.abstract


def test_new_shape_2026():
    digest = hf_api.parse(sample_bytes("formats", "hf_api", NEW), source=NEW)
    assert len(digest.papers) == 17
    assert digest.date == dt.date(2026, 8, 21)  # paper.submittedOnDailyAt
    first = digest.papers[0]
    assert first.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert first.arxiv_id == "2608.19880"
    assert first.authors[:3] == ("Chengsong Huang", "Zifeng Wang", "Rujun Han")
    assert first.published == dt.date(2026, 8, 20)
    assert first.upvotes == 163
    assert [p.arxiv_id for p in digest.papers[:3]] == ["2608.19880", "2608.18580", "2608.20335"]


def test_python_repr_strings_are_rejected_clearly():
    with pytest.raises(ParseError) as info:
        hf_api.parse(sample_bytes("formats", "hf_api", EDGE), source=EDGE)
    assert info.value.source == EDGE
    assert "Python-repr strings" in info.value.message
    assert info.value.line == 2  # the first item, as a string


def item(n: int, **paper) -> dict:
    base = {"id": f"2401.0000{n}", "title": f"Paper {n}", "summary": abstract(n),
            "authors": [{"_id": "x", "name": "Ada Lovelace", "hidden": False}, {"name": "Alan  Turing"}],
            "publishedAt": "2024-01-02T17:59:30.000Z", "upvotes": n}
    base.update(paper)
    return {"paper": base, "publishedAt": "2024-01-03T00:57:09.392Z", "title": base.get("title"),
            "numComments": 0}


def test_fixture_fields_and_date_fallbacks():
    items = [item(1), item(2, submittedOnDailyAt="2024-01-04T00:00:00.000Z"),
             item(3, submittedOnDailyAt="2024-01-04T00:00:00.000Z")]
    digest = hf_api.parse(json.dumps(items))
    assert [p.title for p in digest.papers] == ["Paper 1", "Paper 2", "Paper 3"]
    assert digest.papers[0].authors == ("Ada Lovelace", "Alan Turing")
    assert digest.date == dt.date(2024, 1, 4)  # the day most items were submitted on


def test_a_published_date_that_is_no_date_is_stored_undated_and_said():
    digest = hf_api.parse(json.dumps([item(1, publishedAt="2024-13-45"), item(2)]), "day.json")
    assert [p.published for p in digest.papers] == [None, dt.date(2024, 1, 2)]
    assert digest.warnings == ["day.json:1: item 1 ('Paper 1') has publishedAt '2024-13-45', which is no date; "
                               "the paper is stored undated"]


def test_missing_optional_fields():
    items = [{"paper": {"title": "Only a title"}}]
    paper = hf_api.parse(json.dumps(items)).papers[0]
    assert (paper.title, paper.abstract, paper.authors, paper.arxiv_id, paper.url, paper.upvotes) == (
        "Only a title", "", (), None, None, None)


def test_empty_array_is_an_empty_digest():
    digest = hf_api.parse(b"[]")
    assert digest.papers == [] and digest.date is None


@pytest.mark.parametrize("data, words", [
    ("", "empty"),
    ("{not json", "not valid JSON"),
    ('{"results": []}', "expected a JSON array"),
    ("[1, 2]", "item 1"),  # counted from 1
    ('[{"title": "no paper"}]', "no 'paper'"),
    ('[{"paper": {"id": "2401.00001"}}]', "no title"),
    # a typo'd id was stored as a second paper beside the real one, linked to a page that does not exist
    ('[{"paper": {"id": "2401.0408", "title": "Mixtral of Experts"}}]',
     "item 1 ('Mixtral of Experts') has id '2401.0408', which no arXiv paper can have"),
    ('[{"paper": {"id": "arXiv:2413.01234v2", "title": "T"}}]', "a month 01-12"),
    ('[{"paper": {"id": "10.48550/arXiv.2401.0408", "title": "T"}}]', "which no arXiv paper can have"),  # its DOI form
    (b"\xff\xfe[]", "not valid JSON"),  # a UTF-16 byte-order mark, then one UTF-16 character
    (b"\x00\x01\x02\xff\xfe", "UTF-8"),
])
def test_bad_input(data, words):
    with pytest.raises(ParseError) as info:
        hf_api.parse(data, source="api.json")
    assert words in info.value.message and info.value.source == "api.json"
