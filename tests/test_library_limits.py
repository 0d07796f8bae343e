"""A library entry holding a value the store cannot hold (an over-long title, arXiv id or DOI) refuses the
file at parse time, naming the entry's line, alike on SQLite and PostgreSQL; nothing of it is imported."""

import json

import pytest
from sqlalchemy import func, select

from bot.commands import Caller, Commands
from recommender.imports import parse_library
from recommender.sources.records import ParseError
from recommender.store import Feedback, Paper

GOOD = "@article{good,\n  title = {The Good Paper Before It},\n  year = 2020\n}\n\n"


def bib(field: str) -> str:
    return GOOD + f"@article{{bad,\n  title = {{A Paper}},\n  {field},\n  year = 2021\n}}\n"


def ris(tag: str) -> str:
    return f"TY  - JOUR\nTI  - The Good Paper Before It\nER  - \n\nTY  - JOUR\nTI  - A Paper\n{tag}\nER  - \n"


def csl(**fields) -> str:
    return json.dumps([{"id": "good", "title": "The Good Paper Before It"}, {"id": "bad", "title": "A Paper", **fields}],
                      indent=2)


@pytest.mark.parametrize(("text", "name", "line", "words"), [
    (bib("title = {" + "Long " * 201 + "}").replace("  title = {A Paper},\n", ""), "long.bib", 6,
     "title too long (1004 characters once normalised for matching; at most 1000)"),
    (bib("eprint = {" + "a" * 60 + "/1234567}"), "id.bib", 6, "arXiv id too long (68 characters; at most 64)"),
    (bib("doi = {10.1234/" + "x" * 250 + "}"), "doi.bib", 6, "DOI too long (258 characters; at most 255)"),
    (ris("DO  - 10.1234/" + "x" * 250), "doi.ris", 5, "DOI too long (258 characters; at most 255)"),
    (csl(DOI="10.1234/" + "x" * 250), "doi.json", 6, "DOI too long (258 characters; at most 255)"),
    (csl(title="中" * 1000), "cjk.json", 6, "title too long (3000 bytes of UTF-8 once normalised for matching"),
    (ris("UR  - https://example.org/a\x00b"), "nul.ris", 5, "the url holds a NUL character"),
    (bib("abstract = {An abstract\x00 with a NUL}"), "nul.bib", 6, "the abstract holds a NUL character"),
])
def test_a_value_the_store_cannot_hold_refuses_the_library_at_its_entry(store, settings, text, name, line, words):
    with pytest.raises(ParseError) as failed:
        parse_library(text.encode(), name)
    assert (failed.value.source, failed.value.line) == (name, line) and words in failed.value.message
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), name)
    assert not reply.ok and "Nothing imported" in reply.text and f"{name}:{line}: " in reply.text, reply.text
    with store.session() as s:  # not even the good entry before it
        assert s.scalar(select(func.count(Paper.id))) == 0 and s.scalar(select(func.count(Feedback.id))) == 0


def test_values_at_the_limits_are_imported(store, settings):
    text = GOOD + ("@article{edge,\n  title = {" + "x" * 1000 + "},\n  eprint = {" + "a" * 56 + "/1234567},\n"
                   "  doi = {10.1234/" + "y" * 247 + "}\n}\n")
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "edge.bib")
    assert reply.ok and "2 new" in reply.text, reply.text
    with store.session() as s:
        edge = s.scalars(select(Paper).where(Paper.arxiv_id.is_not(None))).one()
    assert (len(edge.title_key), len(edge.arxiv_id), len(edge.doi)) == (1000, 64, 255)
