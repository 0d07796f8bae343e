"""A DOI names its paper wherever an arXiv id does: like, dislike, unrate, who, search.

A trial imported a library with DOIs and then typed `paperbot like omar 10.1038/s41586-021-03819-2`: "no stored
paper", and the search it suggested answered with an unrelated paper as "matches a related word form".
"""

import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.store import Feedback, Paper

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
DOI = "10.1038/S41586-021-03819-2"  # stored with the case the library gave it


@pytest.fixture
def doi_paper(store) -> int:
    with store.session() as s:
        s.add(Paper(title_key="other", title="Another protein paper", abstract="Protein folding.", authors=[],
                    source_kind="hf_api"))
        paper = Paper(title_key="highly accurate protein structure prediction with alphafold",
                      title="Highly accurate protein structure prediction with AlphaFold", abstract="Proteins fold.",
                      authors=["John Jumper"], source_kind="library", doi=DOI)
        s.add(paper)
        s.flush()
        return paper.id


def liked(store) -> list[int]:
    with store.session() as s:
        return list(s.scalars(select(Feedback.paper_id).where(Feedback.value > 0)))


@pytest.mark.parametrize("typed", ["10.1038/s41586-021-03819-2", "https://doi.org/10.1038/S41586-021-03819-2",
                                   "doi:10.1038/s41586-021-03819-2", "(10.1038/s41586-021-03819-2).",
                                   "https://doi.org/10.1038%2Fs41586-021-03819-2"])  # a link as printed, encoded
def test_a_doi_rates_its_paper_in_any_ascii_case_and_form(store, settings, doi_paper, typed):
    cmds = Commands(store, settings)
    assert cmds.handle(ADA, f"like {typed}").ok
    assert liked(store) == [doi_paper]
    assert cmds.handle(ADA, f"unrate {typed}").ok and liked(store) == []


def test_an_unknown_doi_is_said_to_be_one_and_changes_nothing(store, settings, doi_paper):
    reply = Commands(store, settings).handle(ADA, "like 10.1000/nothing-here")
    assert not reply.ok and "no stored paper has the DOI 10.1000/nothing-here" in reply.text
    assert liked(store) == []


def test_search_for_a_doi_finds_its_paper_first_with_no_missing_words(store, settings, doi_paper):
    with store.session() as s:
        found = Commands(store, settings).recommender.search(s, "https://doi.org/10.1038/s41586-021-03819-2", 5)
    assert found[0].paper_id == doi_paper
    assert found[0].reason == ""  # not "matches a related word form, with none of the words searched"
