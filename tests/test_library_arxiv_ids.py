"""arXiv ids that exports put in other fields than eprint: Google Scholar's journal, a note, a howpublished
URL, DBLP's CoRR volume (BibTeX), the same in RIS tags and CSL-JSON variables. The entry is matched to the
stored arXiv paper by that id."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from bot.commands import Caller, Commands
from recommender.dates import arxiv_month
from recommender.imports import parse_library
from recommender.sources.records import title_key
from recommender.store import Feedback, Paper


def bib(*fields: str) -> str:
    return "@article{key,\n  title = {The Transformer Paper as Scholar Lists It},\n" + "".join(
        f"  {field},\n" for field in fields) + "  year = 2017\n}\n"


@pytest.mark.parametrize(("fields", "arxiv_id"), [
    (("journal = {arXiv preprint arXiv:1706.03762}",), "1706.03762"),  # Google Scholar
    (("note = {arXiv:1706.03762}",), "1706.03762"),
    (("note = {arXiv: 1706.03762v5 [cs.CL]}",), "1706.03762"),
    (("howpublished = {\\url{https://arxiv.org/abs/1706.03762}}",), "1706.03762"),
    (("note = {Preprint at https://arxiv.org/abs/1706.03762.}",), "1706.03762"),
    (("journal = {CoRR}", "volume = {abs/1706.03762}"), "1706.03762"),  # DBLP
    (("journal = {ArXiv}", "volume = {abs/1706.03762}"), "1706.03762"),  # Semantic Scholar
    (("journal = {arXiv preprint hep-th/9901001}",), "hep-th/9901001"),
    (("eprint = {2401.00001}", "note = {arXiv:1706.03762}"), "2401.00001"),  # an eprint field says it first
    (("note = {Talk 1706.03762 of the workshop}",), None),  # a number, in a note that names no arXiv
    (("journal = {Physics Letters}", "volume = {abs/1706.03762}"), None),
    # a note naming several ids cites other papers; a journal article's own DOI says it is no preprint
    (("note = {Supersedes arXiv:1501.00001; this is arXiv:1706.03762}",), None),
    (("journal = {Nature}", "doi = {10.1038/nature14539}", "note = {Related: the Transformer, arXiv:1706.03762}"), None),
    (("doi = {10.48550/arXiv.1706.03762}", "note = {arXiv:1706.03762}"), "1706.03762"),
    (("journal = {arXiv preprint math.GT/0209056}",), "math/0209056"),  # the subject class is no part of the id
    (("journal = {CoRR}", "volume = {cs.AI/0207097}"), "cs/0207097"),
])
def test_an_arxiv_id_in_journal_note_howpublished_or_a_corr_volume_is_read(fields, arxiv_id):
    (entry,) = parse_library(bib(*fields), "scholar.bib")
    assert entry.record.arxiv_id == arxiv_id


def ris(*tags: str) -> str:
    return "TY  - JOUR\nTI  - The Transformer Paper as Scholar Lists It\n" + "".join(f"{t}\n" for t in tags) + "ER  - \n"


@pytest.mark.parametrize(("tags", "arxiv_id"), [
    (("JO  - arXiv preprint arXiv:1706.03762",), "1706.03762"),  # Google Scholar's RIS export
    (("T2  - arXiv preprint arXiv:1706.03762",), "1706.03762"),
    (("JF  - CoRR", "VL  - abs/1706.03762"), "1706.03762"),
    (("N1  - arXiv: 1706.03762v5 [cs.CL]",), "1706.03762"),
    (("N1  - Talk 1706.03762 of the workshop",), None),
    (("T2  - CoRR", "J2  - CoRR", "VL  - abs/1706.03762"), "1706.03762"),  # a journal's title and abbreviation
    (("JO  - Nature", "DO  - 10.1038/nature14539", "N1  - cites arXiv:1706.03762"), None),
    (('N1  - <p><a href="https://arxiv.org/abs/1706.03762">the preprint</a></p>',), "1706.03762"),  # Zotero's RIS
])
def test_an_arxiv_id_in_a_ris_journal_or_note_is_read(tags, arxiv_id):
    (entry,) = parse_library(ris(*tags), "scholar.ris")
    assert entry.record.arxiv_id == arxiv_id


@pytest.mark.parametrize(("variables", "arxiv_id"), [
    ({"container-title": "arXiv preprint arXiv:1706.03762"}, "1706.03762"),
    ({"container-title": ["arXiv preprint arXiv:1706.03762"]}, "1706.03762"),
    ({"note": "arXiv: 1706.03762"}, "1706.03762"),
    ({"container-title": "CoRR", "volume": "abs/1706.03762"}, "1706.03762"),
    ({"container-title": "Nature", "volume": 7}, None),
    # Zotero's notes are HTML: the words of its paragraphs, the targets of its links
    ({"note": "<p>arXiv: 1706.03762</p>"}, "1706.03762"),
    ({"note": '<p>Preprint: <a href="https://arxiv.org/abs/1706.03762">here</a></p>'}, "1706.03762"),
    ({"note": '<div class="zotero-note"><p>arXiv:</p><p>1706.03762v5 &amp; more</p></div>'}, "1706.03762"),
    ({"note": '<p>arXiv: <a href="https://arxiv.org/abs/1706.03762">arXiv:1706.03762</a></p>'}, "1706.03762"),
    ({"note": '<p>See <a href="https://arxiv.org/abs/1501.00001">this</a> and arXiv:1706.03762</p>'}, None),
    ({"note": '<p><a href="https://arxiv.org/abs/1706.03762">cited</a></p>', "DOI": "10.1038/nature14539"}, None),
    ({"note": "<p>Talk 1706.03762 of the workshop</p>"}, None),
])
def test_an_arxiv_id_in_a_csl_container_title_or_note_is_read(variables, arxiv_id):
    item = {"id": "a", "type": "article", "title": "The Transformer Paper as Scholar Lists It", **variables}
    (entry,) = parse_library(json.dumps([item]), "scholar.json")
    assert entry.record.arxiv_id == arxiv_id


def test_a_scholar_entry_matches_the_stored_arxiv_paper_by_its_hidden_id(store, settings):
    with store.session() as s:
        s.add(Paper(arxiv_id="1706.03762", title="Attention Is All You Need", abstract="", authors=[],
                    title_key=title_key("Attention Is All You Need"), source_kind="arxiv_atom", is_news=True))
    text = bib("journal = {arXiv preprint arXiv:1706.03762}") + "\n" + bib(
        "journal = {CoRR}", "volume = {abs/1706.03762}").replace("{key,", "{dblp,")
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "scholar.bib")
    # two entries, one paper: counted once (it said "2 papers already known")
    assert reply.ok and "Imported 2 entries" in reply.text and "1 paper already known" in reply.text, reply.text
    # a trial: "Imported 7 entries: 1 paper already known, 5 new" left the seventh unexplained
    assert "and 1 entry listing a paper listed before; " in reply.text, reply.text
    assert "0 new" in reply.text
    with store.session() as s:
        assert s.scalar(select(func.count(Paper.id))) == 1 and s.scalar(select(func.count(Feedback.id))) == 1


def _stored(store, *papers: tuple[str | None, str, str | None]) -> None:
    with store.session() as s:
        for arxiv_id, title, doi in papers:
            s.add(Paper(arxiv_id=arxiv_id, title=title, title_key=title_key(title), doi=doi, abstract="", authors=[],
                        source_kind="arxiv_atom", is_news=True))


def _liked(store) -> list[tuple]:
    with store.session() as s:
        return s.execute(select(Paper.title, Paper.arxiv_id, Paper.doi).join(Feedback, Feedback.paper_id == Paper.id)
                         .order_by(Paper.title)).all()


def test_a_journal_article_whose_note_mentions_a_preprint_is_liked_as_itself(store, settings):
    """The note cites the Transformer: the 👍 went to the Transformer, which was given Nature's DOI."""
    _stored(store, ("1706.03762", "Attention Is All You Need", None), (None, "Deep learning", "10.1038/nature14539"))
    text = ("@article{lecun, title = {Deep learning}, journal = {Nature}, doi = {10.1038/nature14539},\n"
            "  note = {Related: the Transformer, arXiv:1706.03762}, year = 2015}\n")
    assert Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "lib.bib").ok
    assert _liked(store) == [("Deep learning", None, "10.1038/nature14539")]


def test_an_entry_with_a_preprint_id_nothing_stored_still_matches_its_stored_paper_by_doi(store, settings):
    """It was stored a second time: the DOI was only looked up for entries without an arXiv id."""
    _stored(store, (None, "Deep Learning: A Review", "10.1038/nature14539"))
    text = ("@article{a, title = {Deep learning}, doi = {10.1038/nature14539}, eprint = {1501.00001}, year = 2015}\n"
            "@article{b, title = {Another Title}, doi = {10.1234/other}, eprint = {1501.00001}, year = 2015}\n")
    _stored(store, (None, "Another Title", "10.1234/other"))
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), "lib.bib")
    assert reply.ok and "0 new" in reply.text, reply.text
    # the first paper learns the preprint's id; the second, matched by its own DOI, cannot hold it too
    assert _liked(store) == [("Another Title", None, "10.1234/other"),
                             ("Deep Learning: A Review", "1501.00001", "10.1038/nature14539")]


def test_one_stored_paper_listed_twice_by_title_and_by_arxiv_id_is_merged_and_liked_once(store, settings):
    """The first entry dates and fills the paper by title, the second finds the same paper by title again with
    an arXiv id and a better date: it failed with "unknown date precision" (the first merge's SQL CASE read back)."""
    _stored(store, (None, "Graph Neural Networks: A Review", None))
    bib = ("@article{a, title = {Graph Neural Networks: A Review}, abstract = {A short review.}, year = 2020}\n"
           "@article{b, title = {Graph neural networks: a review}, eprint = {2001.00001}, year = 2020, month = mar,\n"
           "  abstract = {A longer review of graph neural networks.}}\n")
    reply = Commands(store, settings).import_library(Caller("cli", "local", "ada"), bib.encode(), "twice.bib")
    assert reply.ok, reply.text
    with store.session() as s:
        paper = s.scalars(select(Paper)).one()
        assert (paper.arxiv_id, paper.abstract) == ("2001.00001", "A longer review of graph neural networks.")
        assert (paper.published, paper.published_precision) == (dt.date(2020, 3, 1), "month")
    assert _liked(store) == [("Graph Neural Networks: A Review", "2001.00001", None)]


@pytest.mark.parametrize(("text", "published"), [
    ("@misc{k, title = {Outrageously Large Neural Networks}, howpublished = {arXiv:1701.06538}}", dt.date(2017, 1, 1)),
    ("@misc{k, title = {A String Theory Preprint}, eprint = {hep-th/9901001}}", dt.date(1999, 1, 1)),
    ("TY  - JOUR\nTI  - Outrageously Large Neural Networks\nN1  - arXiv:1701.06538\nER  - \n", dt.date(2017, 1, 1)),
])
def test_an_undated_entry_is_dated_by_the_month_its_arxiv_id_gives(text, published):
    """The new user's trial: an entry with no year but an arXiv id was undated, so its 👍 took the import's day."""
    (entry,) = parse_library(text, "undated.bib" if text.startswith("@") else "undated.ris")
    assert (entry.record.published, entry.record.published_precision, entry.liked_at) == (published, "month", published)


def test_a_dated_entry_keeps_its_own_date_over_its_arxiv_ids():
    (entry,) = parse_library("@misc{k, title = {A Journal Version}, year = {2018}, eprint = {1701.06538}}", "dated.bib")
    assert (entry.record.published, entry.record.published_precision) == (dt.date(2018, 1, 1), "year")


@pytest.mark.parametrize(("arxiv_id", "month"), [
    ("0704.0001", dt.date(2007, 4, 1)), ("hep-th/9912001", dt.date(1999, 12, 1)), ("math/0309136", dt.date(2003, 9, 1)),
    ("9912.12345", dt.date(2099, 12, 1)),  # a new-style id is 20YY: they began in April 2007
])
def test_the_month_an_arxiv_id_gives(arxiv_id, month):
    assert arxiv_month(arxiv_id) == (month, "month")


@pytest.mark.parametrize(("date", "published"), [
    ("2019-06-01", (dt.date(2019, 6, 1), None)), ("2019-06", (dt.date(2019, 6, 1), "month")),
    ("2019", (dt.date(2019, 1, 1), "year")), ("2019-06-01/2019-06-05", (dt.date(2019, 6, 1), None)),
])
def test_a_biblatex_date_wins_over_the_month_its_arxiv_id_gives(date, published):
    """Zotero's BibLaTeX export writes ``date`` and no ``year``: the entry's own date, not 1701.06538's January 2017."""
    (entry,) = parse_library(f"@article{{k, title = {{A Journal Version}}, date = {{{date}}}, eprint = {{1701.06538}}}}",
                             "biblatex.bib")
    assert (entry.record.published, entry.record.published_precision) == published
