"""arXiv ids that exports put in other fields than eprint: Google Scholar's journal, a note, a howpublished
URL, DBLP's CoRR volume (BibTeX), the same in RIS tags and CSL-JSON variables. The entry is matched to the
stored arXiv paper by that id."""

import json

import pytest
from sqlalchemy import func, select

from bot.commands import Caller, Commands
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
    assert reply.ok and "2 papers already known" in reply.text and "0 new" in reply.text, reply.text
    with store.session() as s:
        assert s.scalar(select(func.count(Paper.id))) == 1 and s.scalar(select(func.count(Feedback.id))) == 1
