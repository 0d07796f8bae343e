"""RIS dates as reference managers write them: Y1, DA and PY each read, the most precise wins, the spec's forms;
and CSL-JSON dates written as text."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.imports import parse_library
from recommender.store import Paper


def ris(*lines: str) -> str:
    return "TY  - JOUR\nTI  - A Paper With Dates\n" + "".join(f"{line}\n" for line in lines) + "ER  - \n"


@pytest.mark.parametrize(("lines", "published", "precision"), [
    (("PY  - 2017", "DA  - 2017/06/12"), dt.date(2017, 6, 12), None),
    (("DA  - 2017", "PY  - 2017/06/12"), dt.date(2017, 6, 12), None),  # the day, whichever tag holds it
    (("Y1  - 2017/06/12/",), dt.date(2017, 6, 12), None),  # Y1, the older tag, read too
    (("PY  - 2017", "Y1  - 2017/06/12/"), dt.date(2017, 6, 12), None),
    (("PY  - 2017", "DA  - 2017/06"), dt.date(2017, 6, 1), "month"),
    (("PY  - 2016", "DA  - 2017/06/12"), dt.date(2017, 6, 12), None),  # one tag's date, not parts of two
    (("DA  - 2022/01/05/",), dt.date(2022, 1, 5), None),  # the spec's YYYY/MM/DD/other info
    (("PY  - 2017///",), dt.date(2017, 1, 1), "year"),
    (("Y1  - 2017///Spring",), dt.date(2017, 1, 1), "year"),
    (("DA  - 2017/06//Spring",), dt.date(2017, 6, 1), "month"),
    (("PY  - 2017//12/",), dt.date(2017, 1, 1), "year"),  # a day with no month: the year, not December
    (("DA  - 2017-06-12",), dt.date(2017, 6, 12), None),
    (("PY  - n.d.",), None, None),
    (("DA  - SEP 22", "PY  - 2010"), dt.date(2010, 9, 22), None),  # Web of Science: the month's name, PY's year
    (("PY  - 2010", "DA  - DEC"), dt.date(2010, 12, 1), "month"),
    (("DA  - 2017 Jun 12",), dt.date(2017, 6, 12), None),  # PubMed
    (("DA  - SEP 22",), None, None),  # no year anywhere: undated
    (("DA  - MAR 2019",), dt.date(2019, 3, 1), "month"),  # Web of Science: the month's name, then the year
    (("PY  - 2019", "DA  - MAR 2019"), dt.date(2019, 3, 1), "month"),
    (("DA  - March 12, 2019",), dt.date(2019, 3, 12), None),
    (("DA  - Spring 2019",), dt.date(2019, 1, 1), "year"),  # no month: the year alone
])
def test_the_most_precise_of_y1_da_and_py_dates_the_entry(lines, published, precision):
    (entry,) = parse_library(ris(*lines), "dates.ris")
    assert (entry.record.published, entry.record.published_precision) == (published, precision)


@pytest.mark.parametrize(("lines", "unread"), [
    (("PY  - 20x1",), "20x1"),
    (("DA  - SEP 22",), "SEP 22"),  # a month and day with no year anywhere
    (("PY  - n.d.",), None),  # "no date", as citation styles write it: undated without a word (BibTeX too)
    (("PY  - 2017",), None),
    ((), None),
])
def test_a_ris_date_with_no_readable_year_is_kept_as_written(lines, unread):
    (entry,) = parse_library(ris(*lines), "dates.ris")
    assert entry.unread_date == unread


def test_a_ris_import_names_each_record_whose_date_could_not_be_read(store, settings):
    text = ris("PY  - 2019") + ris("PY  - 20x1") + ris("DA  - Spring")
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "lib.ris")
    assert reply.ok, reply.text
    # no entry has an arXiv id: the answer does not speak of one
    assert ("2 entries had a date that could not be read and were imported undated: `lib.ris:5` (20x1), "
            "`lib.ris:9` (Spring).") in reply.text


def test_an_imported_ris_record_is_stored_with_the_day_its_y1_gives(store, settings):
    text = ris("PY  - 2017", "Y1  - 2017/06/12/")
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "dates.ris")
    assert reply.ok, reply.text
    with store.session() as s:
        paper = s.scalars(select(Paper)).one()
    assert (paper.published, paper.published_precision) == (dt.date(2017, 6, 12), None)


@pytest.mark.parametrize(("issued", "published", "precision"), [
    ({"raw": "2023-01-31"}, dt.date(2023, 1, 31), None),  # a date Zotero did not split: it stayed undated
    ({"literal": "2023"}, dt.date(2023, 1, 1), "year"),
    ("2021-05", dt.date(2021, 5, 1), "month"),
    ({"date-parts": [[2020, 3]]}, dt.date(2020, 3, 1), "month"),
    ({"raw": "spring"}, None, None),
])
def test_a_csl_date_written_as_text_is_read(issued, published, precision):
    (entry,) = parse_library(json.dumps([{"id": "a", "title": "A Paper With Dates", "issued": issued}]), "dates.json")
    assert (entry.record.published, entry.record.published_precision) == (published, precision)


@pytest.mark.parametrize(("issued", "unread"), [
    ({"raw": "spring"}, "spring"),
    ("20x1", "20x1"),
    ({"date-parts": [["spring"]]}, '{"date-parts": [["spring"]]}'),
    ({"literal": "n.d."}, None),
    ({"date-parts": [[2020, 3]]}, None),
    (None, None),
])
def test_a_csl_date_with_no_readable_year_is_kept_as_written(issued, unread):
    item = {"id": "a", "title": "A Paper With Dates"} | ({"issued": issued} if issued is not None else {})
    (entry,) = parse_library(json.dumps([item]), "dates.json")
    assert entry.unread_date == unread


def test_a_csl_accessed_time_with_an_offset_dates_the_like_in_utc():
    """Review: {"raw": "2021-05-02T23:30:00-07:00"} dated the 👍 2 May; it is 3 May 06:30 UTC, as BibTeX's timestamp reads it."""
    item = {"id": "a", "title": "A Paper With Dates", "accessed": {"raw": "2021-05-02T23:30:00-07:00"}}
    (entry,) = parse_library(json.dumps([item]), "dates.json")
    assert entry.added == dt.datetime(2021, 5, 3, 6, 30, tzinfo=dt.UTC)
