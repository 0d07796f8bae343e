"""``paperbot export PERSON``: a user's 👍 as a BibTeX, RIS or CSL-JSON library that ``paperbot import`` reads
back as the same papers, dated as precisely (a trial found import only)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from recommender.imports import parse_library
from recommender.store import Feedback, Member, Paper, Store

BIB = r"""@article{k1, title = {{\'E}tude of {Ü}mlauts \& Braces in Q\&A Systems},
  author = {M{\"u}ller, J{\"o}rg and François, Renée}, year = 2019, abstract = {We study $O(n^2)$ things.}}
@article{k2, title = {Sparse Graph Kernels}, author = {Lovelace, Ada}, year = 2020, month = {Apr},
  doi = {10.1145/3366423.3380048}}
"""


def _liked(db_url: str, user: str) -> dict[int, tuple]:
    store = Store(db_url)
    try:
        with store.session() as s:
            rows = s.execute(select(Paper.id, Paper.title, Paper.authors, Paper.published, Paper.published_precision)
                             .join(Feedback, Feedback.paper_id == Paper.id).join(Member, Member.id == Feedback.member_id)
                             .where(Member.user_ref == user, Feedback.value > 0)).all()
            return {r[0]: tuple(r[1:]) for r in rows} | {-1: (s.scalar(select(func.count(Paper.id))),)}
    finally:
        store.dispose()


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_an_export_imports_back_as_the_same_papers(cli, db_url, sample_digests, tmp_path, fmt):
    assert cli("ingest", sample_digests).exit_code == 0
    bib = tmp_path / "mine.bib"
    bib.write_text(BIB, encoding="utf-8")
    for user in ("ada", "bob"):
        assert cli("users", "add", user).exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    assert cli("like", "ada", "#6").exit_code == 0  # a sample paper, dated to the day
    out = tmp_path / f"ada.{fmt}"
    done = cli("export", "ada", "--format", fmt, "--output", out)
    assert done.exit_code == 0, done.output
    assert cli("import", "bob", out).exit_code == 0
    ada, bob = _liked(db_url, "ada"), _liked(db_url, "bob")
    assert bob == ada and len(ada) == 4  # three papers, matched (no new row), with authors and dates as stored
    assert ("Étude of Ümlauts & Braces in Q&A Systems", ["Jörg Müller", "Renée François"]) in [v[:2] for v in ada.values()]
    assert {v[3] for k, v in ada.items() if k > 0} == {None, "year", "month"}


def test_export_to_standard_output_newest_first_and_its_errors(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("export", "nobody").exit_code == 1
    assert cli("users", "add", "ada").exit_code == 0
    empty = cli("export", "ada")
    assert empty.exit_code == 0 and "ada has no 👍 yet" in empty.output and "@" not in empty.stdout
    for ref in ("#6", "#7"):
        assert cli("like", "ada", ref).exit_code == 0
    text = cli("export", "ada").stdout
    first, second = (json.loads(cli("search", ref, "--json").stdout)["results"][0]["title"] for ref in ("#7", "#6"))
    assert text.index(first) < text.index(second)  # the newest 👍 first
    # a digest's title-only paper has no journal, which BibTeX's @article wants: a @misc
    assert text.count("@misc{") == 2 and "@article{" not in text
    keys = [line.split("{", 1)[1].rstrip(",") for line in text.splitlines() if line.startswith("@")]
    assert len(set(keys)) == 2


@pytest.mark.parametrize(("name", "fmt"), [("x.ris", "ris"), ("x.bib", "bibtex"), ("x.BibTeX", "bibtex"),
                                           ("x.json", "csl-json")])
def test_the_output_file_name_says_the_format_when_format_is_not_given(cli, tmp_path, name, fmt):
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("import", "ada", _written(tmp_path / "mine.bib", BIB)).exit_code == 0
    done = cli("export", "ada", "-o", tmp_path / name)  # a trial's -o x.ris wrote BibTeX into it
    assert done.exit_code == 0, done.output
    assert (tmp_path / name).read_text(encoding="utf-8") == cli("export", "ada", "--format", fmt).stdout


def test_an_output_name_that_says_no_format_or_another_one_is_a_usage_error(cli, tmp_path):
    assert cli("users", "add", "ada").exit_code == 0
    unknown = cli("export", "ada", "-o", tmp_path / "x.txt")
    assert unknown.exit_code == 2 and not (tmp_path / "x.txt").exists()
    assert ("cannot tell the format from the name 'x.txt': give --format bibtex, ris or csl-json, or name the file "
            ".bib, .bibtex, .ris or .json") in " ".join(unknown.output.split())
    assert cli("export", "ada", "-o", tmp_path / "x.txt", "--format", "ris").exit_code == 0  # said: any name
    contradicted = cli("export", "ada", "-o", tmp_path / "x.ris", "--format", "bibtex")
    assert contradicted.exit_code == 2 and not (tmp_path / "x.ris").exists()
    assert ("--format bibtex writes BibTeX, but 'x.ris' names a RIS file: drop --format, or name the file .bib or "
            ".bibtex") in " ".join(contradicted.output.split())
    docx = cli("export", "ada", "--format", "docx")  # said plainly, without pydantic's "Value error, "
    assert docx.exit_code == 2
    assert "Invalid value for '--format': 'docx' is not one of bibtex, ris or csl-json" in " ".join(
        re.sub("[│╭╮╰╯─]", " ", docx.output).split())
    assert "Value error" not in docx.output


def _written(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_ris_and_csl_keep_what_a_reference_manager_needs(cli, db_url, tmp_path, capfd):
    """Review: a line of an abstract reading `ER  - …` ended the RIS record, rispy numbered records ("1."),
    neither RIS nor CSL-JSON named the arXiv id, and a CJK title made pylatexenc warn once per character."""
    feed = tmp_path / "one.json"
    feed.write_text(json.dumps([{"paper": {
        "id": "2409.11111", "title": "图神经网络 for Burrow Planning",
        "summary": "First paragraph.\nER  - not the end\nAB  - not a tag either", "authors": [{"name": "Ada Lovelace"}],
        "publishedAt": "2024-09-10T00:00:00.000Z"}}]), encoding="utf-8")
    assert cli("ingest", feed).exit_code == 0
    for user in ("ada", "bob"):
        assert cli("users", "add", user).exit_code == 0
    assert cli("like", "ada", "arXiv:2409.11111").exit_code == 0
    capfd.readouterr()
    ris = cli("export", "ada", "--format", "ris").stdout
    assert ris.splitlines()[0] == "TY  - GEN" and "UR  - https://arxiv.org/abs/2409.11111" in ris  # a preprint, as BibTeX @misc
    assert [line for line in ris.splitlines() if line.startswith("ER  -")] == ["ER  - "]
    (tmp_path / "ada.ris").write_text(ris, encoding="utf-8")
    assert cli("import", "bob", tmp_path / "ada.ris").exit_code == 0
    assert _liked(db_url, "bob") == _liked(db_url, "ada")
    [item] = json.loads(cli("export", "ada", "--format", "csl-json").stdout)
    assert (item["number"], item["URL"]) == ("arXiv:2409.11111", "https://arxiv.org/abs/2409.11111")
    bib = cli("export", "ada", "--format", "bibtex")
    assert bib.exit_code == 0 and "图神经网络" in bib.stdout
    assert "latex representation" not in bib.stderr + capfd.readouterr().err


GROUPS = r"""@techreport{nas, title = {Reproducibility and Replicability in Science},
  author = {{National Academies of Sciences, Engineering, and Medicine}}, year = 2019}
@article{rnd, title = {Sparse Graph Kernels at Scale}, author = {{Research and Development Team} and Lovelace, Ada},
  year = 2021}
"""


def test_a_group_author_holding_and_stays_one_author_through_import_and_export(cli, db_url, tmp_path):
    """A braced group name ("{Research and Development Team}", as Zotero writes one) was split at its
    "and" on import, and a stored name holding "and" was exported unbraced, so read back as two."""
    bib = tmp_path / "groups.bib"
    bib.write_text(GROUPS, encoding="utf-8")
    for user in ("ada", "bob"):
        assert cli("users", "add", user).exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    authors = sorted(v[1] for k, v in _liked(db_url, "ada").items() if k > 0)
    assert authors == [["National Academies of Sciences, Engineering, and Medicine"],
                       ["Research and Development Team", "Ada Lovelace"]]
    out = cli("export", "ada", "--format", "bibtex").stdout
    assert "{Research and Development Team} and Lovelace, Ada" in out
    (tmp_path / "ada.bib").write_text(out, encoding="utf-8")
    assert cli("import", "bob", tmp_path / "ada.bib").exit_code == 0
    assert _liked(db_url, "bob") == _liked(db_url, "ada")


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json"])
def test_quotes_and_doubled_hyphens_survive_export_and_import(cli, db_url, tmp_path, fmt):
    """Trial: a BibTeX round trip wrote "early learning" as ''early learning'', read back as ”early learning”, and
    3--5 came back as 3–5; each further round trip changed the text again, in every format after."""
    title, abstract = 'On "early learning" -- and 3--5 things', 'We study "early learning" -- 3--5 times, x---y, $a--b$.'
    feed = tmp_path / "one.json"
    feed.write_text(json.dumps([{"paper": {"id": "2409.11111", "title": title, "summary": abstract,
                                           "authors": [{"name": "Ada Lovelace"}], "publishedAt": "2024-09-10T00:00:00.000Z"}}]))
    assert cli("ingest", str(feed)).exit_code == 0
    assert cli("users", "add", "lena").exit_code == 0
    assert cli("like", "lena", "2409.11111").exit_code == 0
    out = tmp_path / f"lena.{fmt}"
    assert cli("export", "lena", "--format", fmt, "--output", out).exit_code == 0
    (entry,) = parse_library(out.read_bytes(), out.name)  # what an import reads back
    assert (entry.record.title, entry.record.abstract) == (title, abstract)


def test_ris_lists_an_arxiv_papers_link_once(cli, db_url, tmp_path):
    """Trial: a paper whose stored URL was its arXiv page over http (or a version of it) got two UR lines."""
    feed = tmp_path / "one.json"
    feed.write_text(json.dumps([{"paper": {"id": "2409.11111", "title": "One Link", "summary": "An abstract.",
                                           "authors": [{"name": "Ada Lovelace"}], "publishedAt": "2024-09-10T00:00:00.000Z"}}]))
    assert cli("ingest", str(feed)).exit_code == 0
    store = Store(db_url)
    try:
        with store.session() as s:
            s.execute(Paper.__table__.update().values(url="http://arxiv.org/abs/2409.11111v2"))
    finally:
        store.dispose()
    assert cli("users", "add", "lena").exit_code == 0 and cli("like", "lena", "2409.11111").exit_code == 0
    lines = [line for line in cli("export", "lena", "--format", "ris").stdout.splitlines() if line.startswith("UR")]
    assert lines == ["UR  - https://arxiv.org/abs/2409.11111"]



def test_ris_keeps_the_link_of_a_paper_without_an_arxiv_id():
    """Review: the RIS export dropped the URL of every paper without an arXiv id (the dedup of arXiv links)."""
    from recommender.imports.export import write_library

    paper = Paper(id=1, title="A Journal Paper", abstract="", authors=["Ada Lovelace"], arxiv_id=None, doi=None,
                  url="https://www.nature.com/articles/s41586-021-03819-2", published=None, published_precision=None,
                  source_kind="hf_api")
    assert "UR  - https://www.nature.com/articles/s41586-021-03819-2" in write_library([paper], "ris").splitlines()


KEYED = r"""@article{nagel2020up, title = {Up or Down? Adaptive Rounding for Post-Training Quantization},
  author = {Nagel, Markus and Amjad, Rana Ali}, year = 2020}
@article{zeroq, title = {ZeroQ: A Novel Zero Shot Quantization Framework}, author = {Cai, Yaohui}, year = 2020}
@article{zeroq2, title = {ZeroQ: A Novel Zero Shot Quantization Framework}, author = {Cai, Yaohui}, year = 2020}
@misc{nokey_title, title = {Sparse Graph Kernels}, author = {Lovelace, Ada}, year = 2020}
"""


@pytest.mark.parametrize(("fmt", "written"), [("bibtex", "{%s,\n"), ("ris", "ID  - %s"),
                                              ("csl-json", '"id": "%s"')])
def test_an_export_gives_back_the_citation_keys_the_library_gave(cli, tmp_path, fmt, written):
    """A trial: `nagel2020up` imported came back `nagel2020down`, `zeroq` came back `cai2020zeroq`: every
    `\\cite{}` of the person's paper broke. The key is kept with the 👍 and written back, in every format."""
    bib = tmp_path / "mine.bib"
    bib.write_text(KEYED, encoding="utf-8")
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    text = cli("export", "ada", "--format", fmt).stdout
    for key in ("nagel2020up", "zeroq", "nokey_title"):  # zeroq2 listed a paper listed before: its first key
        assert written % key in text, (key, text)
    assert "zeroq2" not in text
    back = parse_library(text.encode(), "back")
    assert {e.key for e in back} == {"nagel2020up", "zeroq", "nokey_title"}  # and it imports back as them


def test_a_key_a_library_cannot_cite_with_is_made_anew(cli, tmp_path):
    """Zotero's CSL-JSON `id` is its item's link; a key with a space cannot follow `\\cite{`: neither is kept."""
    items = [{"id": "http://zotero.org/users/1/items/ABCD", "type": "article-journal", "title": "Sparse Graph Kernels",
              "author": [{"family": "Lovelace", "given": "Ada"}], "issued": {"date-parts": [[2020]]}},
             {"id": "two words", "type": "article-journal", "title": "Dense Graph Kernels",
              "author": [{"family": "Babbage", "given": "Charles"}], "issued": {"date-parts": [[2021]]}}]
    library = tmp_path / "zotero.json"
    library.write_text(json.dumps(items), encoding="utf-8")
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("import", "ada", library).exit_code == 0
    text = cli("export", "ada", "--format", "bibtex").stdout
    assert "@article{lovelace2020sparse," in text and "@article{babbage2021dense," in text


OTHERS = r"""@article{gptq, title = {GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers},
  author = {Frantar, Elias and Ashkboos, Saleh and Alistarh, Dan and others}, year = 2022}
"""


def test_and_others_is_kept_written_back_and_shown(cli, tmp_path):
    """A trial: "Frantar, Elias and … Alistarh, Dan and others" came back from export as a complete list of three."""
    bib = tmp_path / "mine.bib"
    bib.write_text(OTHERS, encoding="utf-8")
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    text = cli("export", "ada", "--format", "bibtex").stdout
    assert "author = {Frantar, Elias and Ashkboos, Saleh and Alistarh, Dan and others}" in text
    (entry,) = parse_library(text.encode(), "back.bib")
    assert entry.record.authors == ("Elias Frantar", "Saleh Ashkboos", "Dan Alistarh") and entry.record.more_authors
    (hit,) = json.loads(cli("search", "GPTQ post-training quantization", "-k", "1", "--json").stdout)["results"]
    assert hit["more_authors"] and len(hit["authors"]) == 3
    shown = " ".join(cli("papers", "ada", "search GPTQ post-training quantization").stdout.split())  # as in chat
    assert "Elias Frantar, Saleh Ashkboos, Dan Alistarh and others · " in shown


def test_a_digest_listing_every_author_clears_and_others(cli, tmp_path):
    bib = tmp_path / "mine.bib"
    bib.write_text(OTHERS.replace("year = 2022}", "year = 2022, eprint = {2210.17323}, archiveprefix = {arXiv}}"),
                   encoding="utf-8")
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    digest = tmp_path / "api.json"
    digest.write_text(json.dumps([{"paper": {
        "id": "2210.17323", "title": "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers",
        "summary": "We quantize.", "authors": [{"name": n} for n in ("Elias Frantar", "Saleh Ashkboos",
                                                                      "Torsten Hoefler", "Dan Alistarh")]}}]))
    assert cli("ingest", digest).exit_code == 0
    (hit,) = json.loads(cli("search", "GPTQ", "-k", "1", "--json").stdout)["results"]
    assert len(hit["authors"]) == 4 and not hit["more_authors"]
    assert "and others" not in cli("export", "ada", "--format", "bibtex").stdout


def test_a_reimport_gives_a_paper_rated_before_its_citation_key(cli, db_url, tmp_path):
    """A review: a paper 👍'd before the import (in chat, or by an import before keys were kept) kept no key."""
    bib = tmp_path / "mine.bib"
    bib.write_text(KEYED, encoding="utf-8")
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("import", "ada", bib).exit_code == 0
    store = Store(db_url)
    try:
        with store.session() as s:
            for row in s.scalars(select(Feedback)):
                row.citation_key = None  # as every 👍 recorded before migration 0021
    finally:
        store.dispose()
    assert "{nagel2020up," not in cli("export", "ada").stdout
    assert cli("import", "ada", bib).exit_code == 0
    assert "{nagel2020up," in cli("export", "ada").stdout
