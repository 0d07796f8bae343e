"""A trial found one store mixing "Family, Given" (BibTeX and RIS imports) with "Given Family" (digests, CSL-JSON),
and the CSL-JSON export writing {"literal": "Ba, Jimmy Lei"}. Every import now stores "Given Family"; every
export writes each format's own form, and reads back as the same names."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from recommender.imports import parse_library
from recommender.imports.export import citation_keys
from recommender.store import Feedback, Member, Paper, Store

STORED = ["Jimmy Lei Ba", "John von Neumann", "John Smith Jr.", "Jörg Müller",
          "National Academies of Sciences, Engineering, and Medicine", "Research and Development Team", "Ada",
          "Ekin Akyürek"]

BIB = r"""@article{ba2016, title = {Layer Normalization}, year = 2016,
  author = {Ba, Jimmy Lei and von Neumann, John and Smith, Jr., John and M{\"u}ller, J{\"o}rg and
            {National Academies of Sciences, Engineering, and Medicine} and {Research and Development Team} and Ada and
            Ekin Aky{\"u}rek and others}}
"""

RIS = """TY  - JOUR
TI  - Layer Normalization
AU  - Ba, Jimmy Lei
AU  - von Neumann, John
AU  - Smith, John, Jr.
AU  - Müller, Jörg
AU  - National Academies of Sciences, Engineering, and Medicine
AU  - Research and Development Team
AU  - Ada
AU  - Ekin Akyürek
PY  - 2016
ER  -
"""

CSL = json.dumps([{"id": "ba2016", "type": "article", "title": "Layer Normalization", "author": [
    {"family": "Ba", "given": "Jimmy Lei"}, {"family": "Neumann", "given": "John", "non-dropping-particle": "von"},
    {"family": "Smith", "given": "John", "suffix": "Jr."}, {"family": "Müller", "given": "Jörg"},
    {"literal": "National Academies of Sciences, Engineering, and Medicine"},
    {"literal": "Research and Development Team"}, {"literal": "Ada"}, {"given": "Ekin", "family": "Akyürek"}]}])


@pytest.mark.parametrize(("text", "name"), [(BIB, "refs.bib"), (RIS, "refs.ris"), (CSL, "refs.json")])
def test_every_format_stores_authors_given_name_first(text, name):
    (entry,) = parse_library(text.encode(), name)
    assert list(entry.record.authors) == STORED


def _authors(db_url: str, user: str) -> list[list[str]]:
    store = Store(db_url)
    try:
        with store.session() as s:
            return [list(a) for a in s.scalars(
                select(Paper.authors).join(Feedback, Feedback.paper_id == Paper.id)
                .join(Member, Member.id == Feedback.member_id).where(Member.user_ref == user, Feedback.value > 0))]
    finally:
        store.dispose()


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_an_export_writes_family_given_and_imports_back_as_the_same_names(cli, db_url, tmp_path, fmt):
    bib = tmp_path / "mine.bib"
    bib.write_text(BIB, encoding="utf-8")
    for user in ("ada", "bob"):
        assert cli("users", "add", user).exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    assert _authors(db_url, "ada") == [STORED]
    done = cli("export", "ada", "--format", fmt)
    assert done.exit_code == 0, done.output
    text = done.stdout
    if fmt == "bibtex":
        assert ('Ba, Jimmy Lei and von Neumann, John and Smith, Jr., John and M\\"uller, J\\"org and '
                "{National Academies of Sciences, Engineering, and Medicine} and {Research and Development Team} "
                "and Ada and Aky\\\"urek, Ekin") in " ".join(text.split())
        assert "@article{ba2016," in text  # the key the library gave it, kept
        made = Paper(title="Layer Normalization", authors=STORED, published=dt.date(2016, 1, 1))
        assert citation_keys([made]) == ["ba2016layer"]  # a key made for it starts with the family name
    elif fmt == "ris":
        assert [line[6:] for line in text.splitlines() if line.startswith("AU  - ")] == [
            "Ba, Jimmy Lei", "von Neumann, John", "Smith, John, Jr.", "Müller, Jörg",
            "National Academies of Sciences, Engineering, and Medicine", "Research and Development Team", "Ada",
            "Akyürek, Ekin"]
    else:
        assert json.loads(text)[0]["author"] == [
            {"family": "Ba", "given": "Jimmy Lei"}, {"family": "von Neumann", "given": "John"},
            {"family": "Smith", "given": "John", "suffix": "Jr."}, {"family": "Müller", "given": "Jörg"},
            {"literal": "National Academies of Sciences, Engineering, and Medicine"},
            {"literal": "Research and Development Team"}, {"literal": "Ada"}, {"family": "Akyürek", "given": "Ekin"}]
    out = tmp_path / "ada.export"
    out.write_text(text, encoding="utf-8")
    assert cli("import", "bob", out).exit_code == 0
    assert _authors(db_url, "bob") == [STORED]


def test_a_name_stored_family_first_by_an_earlier_import_is_written_as_that_person():
    from recommender.imports.export import write_library

    paper = Paper(title="Layer Normalization", abstract="", authors=["Ba, Jimmy Lei", "Kiros, Jamie Ryan"])
    assert json.loads(write_library([paper], "csl-json"))[0]["author"] == [
        {"family": "Ba", "given": "Jimmy Lei"}, {"family": "Kiros", "given": "Jamie Ryan"}]
    (entry,) = parse_library(write_library([paper], "bibtex"), "old.bib")
    assert entry.record.authors == ("Jimmy Lei Ba", "Jamie Ryan Kiros")


@pytest.mark.parametrize(("raw", "stored"), [
    (r"Mu\~noz, Pedro", "Pedro Muñoz"),  # BibTeX reads "~" as a tie: the name was cut, "Pedro Mu noz"
    (r"Pedro Mu\~{n}oz", "Pedro Muñoz"),
    (r"Qui\~nones, Mar{\'\i}a Jos\'e Carre\~no", "María José Carreño Quiñones"),
    (r"D.~E. Knuth", "D. E. Knuth"),  # a tie between words is still a space
])
def test_a_tilde_accent_stays_in_its_word(raw, stored):
    (entry,) = parse_library("@article{k, title = {T}, author = {" + raw + "}}", "tilde.bib")
    assert entry.record.authors == (stored,)


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_groups_with_a_comma_and_suffixes_survive_export_and_import(fmt):
    """Review: "University of California, Berkeley" came back "Berkeley University of California" from any
    format, read as "Family, Given"; "Google, Inc." and "John Smith, Jr." likewise."""
    import datetime as dt

    from recommender.imports.export import write_library

    names = ["University of California, Berkeley", "Google, Inc.", "John Smith, Jr.", "John Smith Jr.", "Ba, Jimmy Lei"]
    paper = Paper(id=1, title="A Paper", abstract="", authors=names, arxiv_id=None, doi=None, url=None,
                  published=dt.date(2020, 1, 1), published_precision=None, source_kind="hf_api")
    suffix = {"bibtex": "bib", "ris": "ris", "csl-json": "json"}[fmt]
    (entry,) = parse_library(write_library([paper], fmt), f"lib.{suffix}")
    assert entry.record.authors == ("University of California, Berkeley", "Google, Inc.", "John Smith, Jr.",
                                    "John Smith Jr.", "Jimmy Lei Ba")  # an old "Family, Given" as that person


def test_a_suffix_is_no_surname_in_the_author_feature():
    from recommender.text.analyzer import author_token

    assert author_token("John Smith Jr.") == author_token("John Smith") == "author:j_smith"  # it was author:j_jr
    assert author_token("Jane Jones III") == "author:j_jones" and author_token("Li Jr") == "author:l_jr"


#: Names as imports stored them before names were turned round: BibTeX's as written (a two-word family name,
#: ``von Last, Jr, First``), RIS's ``Family, Given, Suffix``.
LEGACY = ["García Márquez, Gabriel", "Le Cun, Yann", "Smith, Jr., John", "Jones, Mary Ann, III", "de la Cruz, Juan"]
#: How each is written: BibTeX and RIS, CSL-JSON.
WRITTEN = [("García Márquez, Gabriel", "García Márquez, Gabriel", {"family": "García Márquez", "given": "Gabriel"}),
           ("Le Cun, Yann", "Le Cun, Yann", {"family": "Le Cun", "given": "Yann"}),
           ("Smith, Jr., John", "Smith, John, Jr.", {"family": "Smith", "given": "John", "suffix": "Jr."}),
           ("Jones, III, Mary Ann", "Jones, Mary Ann, III", {"family": "Jones", "given": "Mary Ann", "suffix": "III"}),
           ("de la Cruz, Juan", "de la Cruz, Juan", {"family": "de la Cruz", "given": "Juan"})]


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_legacy_family_first_names_are_written_back_as_those_people_in_every_format(fmt):
    import datetime as dt

    import bibtexparser
    import rispy

    from recommender.imports.export import write_library

    paper = Paper(id=1, title="A Paper", abstract="", authors=LEGACY, arxiv_id=None, doi=None, url=None,
                  published=dt.date(2020, 1, 1), published_precision=None, source_kind="library")
    text = write_library([paper], fmt)
    if fmt == "bibtex":
        (entry,) = bibtexparser.parse_string(text).entries
        assert entry["author"] == " and ".join(bib for bib, _, _ in WRITTEN).replace("í", "{\\'\\i}").replace("á", "\\'a")
    elif fmt == "ris":
        assert rispy.loads(text)[0]["authors"] == [ris for _, ris, _ in WRITTEN]
    else:
        assert json.loads(text)[0]["author"] == [csl for _, _, csl in WRITTEN]
    (back,) = parse_library(text, "lib." + {"bibtex": "bib", "ris": "ris", "csl-json": "json"}[fmt])
    assert back.record.authors == ("Gabriel García Márquez", "Yann Le Cun", "John Smith Jr.", "Mary Ann Jones III",
                                   "Juan de la Cruz")


def test_et_al_in_any_format_is_no_author_and_says_the_list_stops_short():
    """A review: CSL-JSON's {"literal": "et al."} was stored as an author."""
    csl = json.dumps([{"id": "k", "type": "article", "title": "T",
                       "author": [{"family": "Lovelace", "given": "Ada"}, {"literal": "et al."}]}])
    ris = "TY  - JOUR\nTI  - T\nAU  - Lovelace, Ada\nAU  - et al.\nER  - \n"
    bib = "@article{k, title = {T}, author = {Lovelace, Ada and others}}\n"
    for text, name in ((csl, "x.json"), (ris, "x.ris"), (bib, "x.bib")):
        (entry,) = parse_library(text.encode(), name)
        assert (entry.record.authors, entry.record.more_authors) == (("Ada Lovelace",), True), name
