"""BibTeX as reference managers write it: LaTeX accents decoded, a missing comma refused, a year dating a new paper."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.commands import Caller, Commands
from recommender.imports import parse_library
from recommender.sources.records import ParseError
from recommender.store import Feedback, Paper, Store

ACCENTS = r"""@article{muller,
  abstract = {We show that $\{a\}$ of size
  n = 3 suffices},
  title = {\'Etude of {\"u}mlauts and na\"{\i}ve {BERT}},
  author = {M{\"u}ller, J{\"o}rg and Fran{\c{c}}ois, Ren{\'e}e},
  doi = {10.1000/a_b%20c},
  year = 2019
}
"""

MISSING_COMMA = """@article{fine,
  title = {A Fine Entry},
  author = {B}
}

@article{x,
 title={Only one {entry} but missing comma}
 author={A}
}
"""


def test_latex_accents_in_titles_and_authors_are_decoded():
    (entry,) = parse_library(ACCENTS.encode(), "accents.bib")
    assert entry.record.title == "Étude of ümlauts and naïve BERT"
    assert entry.record.authors == ("Jörg Müller", "Renée François")  # "Given Family", as digests give them
    assert entry.record.doi == "10.1000/a_b%20c"  # identifiers are read as written: '%' is no LaTeX comment there


@pytest.mark.parametrize("text", [
    MISSING_COMMA,
    MISSING_COMMA.replace("{Only one {entry} but missing comma}", '"Only one {entry} but missing comma"'),
    MISSING_COMMA.replace(" title={Only one {entry} but missing comma}\n", " year = 2019\n"),
])
def test_a_missing_comma_between_fields_refuses_the_file_at_the_swallowed_field(text):
    with pytest.raises(ParseError) as failed:
        parse_library(text.encode(), "refs.bib")
    assert failed.value.source == "refs.bib" and failed.value.line == 8
    assert "'x'" in failed.value.message and "comma" in failed.value.message and "'author'" in failed.value.message


def test_cli_import_refuses_a_missing_comma_and_stores_a_year_as_the_new_papers_date(db_url, tmp_path):
    runner = CliRunner()
    bad, good = tmp_path / "refs.bib", tmp_path / "accents.bib"
    bad.write_text(MISSING_COMMA)
    good.write_text(ACCENTS)
    assert runner.invoke(app, ["--database-url", db_url, "users", "add", "ada"]).exit_code == 0
    failed = runner.invoke(app, ["--database-url", db_url, "import", "ada", str(bad)])
    assert failed.exit_code == 1 and "refs.bib:8" in failed.stdout
    store = Store(db_url)
    try:
        with store.session() as s:
            assert s.scalar(select(func.count(Paper.id))) == 0 and s.scalar(select(func.count(Feedback.id))) == 0
        ok = runner.invoke(app, ["--database-url", db_url, "import", "ada", str(good)])
        assert ok.exit_code == 0, ok.output
        with store.session() as s:
            paper = s.scalars(select(Paper)).one()
        assert (paper.title, paper.authors, paper.published) == (
            "Étude of ümlauts and naïve BERT", ["Jörg Müller", "Renée François"], dt.date(2019, 1, 1))
    finally:
        store.dispose()
    def search(*bounds: str) -> list[dict]:
        found = runner.invoke(app, ["--database-url", db_url, "search", "ümlauts", *bounds, "--json"])
        assert found.exit_code == 0, found.output
        return json.loads(found.stdout)["results"]

    (hit,) = search("--since", "2019-01-01")
    assert hit["title"] == "Étude of ümlauts and naïve BERT" and hit["published"] == "2019-01-01"
    # known only as "2019": it may be from any day of it, so bounds reaching into 2019 keep it (a review)
    assert len(search("--since", "2019-06-01")) == len(search("--until", "2019-03-01")) == 1
    assert search("--since", "2020-01-01") == search("--until", "2018-12-31") == []
    # a year or a month stands for its first day after --since and its last after --until (a trial: "2021" refused)
    assert len(search("--since", "2019")) == len(search("--until", "2019")) == len(search("--until", "2019-01")) == 1
    assert search("--since", "2020") == search("--until", "2018") == search("--until", "2018-12") == []


FIELDS = r"""@article{kept,
  title = {Sparse Graph Kernels},
  author = {Lovelace, Ada and Babbage, Charles and others},
  abstract = {We count walks on M{\"u}ller's graphs in $O(n^2)$ time,
    with {\em no} sampling.},
  doi = {10.1145/3366423.3380048},
  year = 2020, month = {Apr}
}
"""


def test_an_imported_entrys_abstract_is_stored_others_is_no_author_and_a_doi_is_its_link(cli, db_url, tmp_path):
    bib = tmp_path / "fields.bib"
    bib.write_text(FIELDS)
    assert cli("users", "add", "ada").exit_code == 0
    done = cli("import", "ada", bib)
    assert done.exit_code == 0, done.output
    found = cli("search", "sparse graph kernels", "--json")
    assert found.exit_code == 0, found.output
    (hit,) = json.loads(found.stdout)["results"]
    assert hit["authors"] == ["Ada Lovelace", "Charles Babbage"]  # no author named "others"
    assert hit["url"] == "https://doi.org/10.1145/3366423.3380048"  # the DOI links when there is no URL
    assert json.loads(cli("status", "--json").stdout)["papers"] == {"stored": 1, "without_link": 0}
    assert (hit["published"], hit["published_precision"]) == ("2020-04-01", "month")
    shown = cli("search", "walks sampling")  # the abstract is searched (its words are in no title)
    assert shown.exit_code == 0 and "Sparse Graph Kernels" in shown.stdout and "Apr 2020" in shown.stdout, shown.stdout
    store = Store(db_url)
    try:
        with store.session() as s:
            abstract = s.scalars(select(Paper.abstract)).one()
    finally:
        store.dispose()
    assert abstract == "We count walks on Müller's graphs in $O(n^2)$ time, with no sampling."  # accents decoded, math kept


UNREADABLE_YEAR = """@article{dated,
  title = {A Dated Paper},
  year = {2019}
}

@misc{transformer,
  title = {The Transformer with a Typo in its Year},
  eprint = {1706.03762},
  year = {20x1}
}

@article{plain,
  title = {No Identifier and No Readable Date},
  date = {spring of 2020}
}
"""


def test_an_unreadable_year_is_told_by_its_line_and_the_entry_is_imported_undated(store, settings):
    dated, transformer, plain = parse_library(UNREADABLE_YEAR.encode(), "typo.bib")
    assert (dated.unread_date, transformer.unread_date, plain.unread_date) == (None, "20x1", "spring of 2020")
    (no_date,) = parse_library(b"@misc{x, title = {Undated}, year = {n.d.}}\n", "nd.bib")
    assert no_date.unread_date is None  # "no date", as citation styles write it: nothing to report
    # undated, as the rules already in place date it: the month its arXiv id was given, else no date
    assert (transformer.record.published, transformer.record.published_precision) == (dt.date(2017, 6, 1), "month")
    assert plain.record.published is None
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), UNREADABLE_YEAR.encode(), "typo.bib")
    assert reply.ok, reply.text
    assert "Imported 3 entries" in reply.text
    assert ("2 entries had a date that could not be read and were imported undated (an arXiv id dates its paper "
            "by its month): `typo.bib:6` (20x1), `typo.bib:12` (spring of 2020).") in reply.text
    with store.session() as s:
        assert s.scalar(select(func.count(Feedback.id))) == 3
        assert s.scalar(select(Paper.published).where(Paper.arxiv_id == "1706.03762")) == dt.date(2017, 6, 1)


def _two_entries(second: str) -> str:
    return "@article{first,\n  title = {First},\n  year = {2019}\n}\n\n" + second + "\n@article{third,\n  title = {Third}\n}\n"


@pytest.mark.parametrize(("second", "brace_line"), [
    ("@article{b,\n  title = {Second {part,\n  author = {X},\n  year = {2019}\n}\n", 7),  # a brace left open
    ("@article{b,\n  title = {Second,\n  author = {X},\n  year = {2019}\n}\n", 7),  # the entry's } closes the title
    ("@article{b,\n  title = {Second},\n  author = {X},\n  year = {2019}\n", 6),  # the entry's own brace
    ("@article{b,\n  title = {B},\n  note = {see {x}\n}\n", 8),  # the note took the entry's closing brace
    ("% notes\n\n@article{b,\n  title = {Second},\n  abstract = {One\n    two {three\n    four},\n  year = 2019\n}\n", 10),
])
def test_an_unclosed_brace_refuses_the_file_naming_its_entry_and_the_braces_line(store, settings, second, brace_line):
    text = _two_entries(second)
    entry_line = text.count("\n", 0, text.index("@article{b")) + 1
    with pytest.raises(ParseError) as failed:
        parse_library(text.encode(), "open.bib")
    assert failed.value.line == entry_line
    assert f"'@article{{b,' is malformed: the brace opened on line {brace_line} is never closed" in failed.value.message
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "open.bib")
    assert not reply.ok and f"open.bib:{entry_line}" in reply.text and f"line {brace_line}" in reply.text
    with store.session() as s:
        assert s.scalar(select(func.count(Paper.id))) == 0 and s.scalar(select(func.count(Feedback.id))) == 0
