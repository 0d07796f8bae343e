"""A reader of two fields finds both in their first picks: each declared interest weighs alike."""

import pytest

from bot.commands import Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
from recommender.ranking.targets import interest_parts


def test_interests_are_split_at_semicolons_and_line_ends():
    assert interest_parts("diffusion models; speech recognition\nnode classification;; ") == [
        "diffusion models", "speech recognition", "node classification"]
    assert interest_parts("deep learning efficiency, compression and graph learning") == [
        "deep learning efficiency, compression and graph learning"]  # a topic with no ";" is one interest
    assert interest_parts("a; b", split=False) == ["a; b"]


@pytest.mark.semantic  # the shipped path: stored sentence embeddings mixed with TF-IDF
@pytest.mark.parametrize(("interests", "first", "second"), [
    # the joined text was read as speech alone: no zero- or few-shot paper in the top 5
    (("speech recognition", "zero-shot learning"), ("speech",), ("zero-shot", "few-shot")),
    # and as graph networks alone
    (("graph neural networks", "object detection"), ("graph", "gnn"), ("detection", "detector")),
])
def test_a_reader_of_two_fields_gets_papers_of_both_in_the_top_5(papers_store, settings, interests, first, second):
    cmds = Commands(papers_store, settings)
    caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, "ivy")
    assert cmds.interests_add(caller, *interests).ok
    titles = [p.title.lower() for p in cmds.picks(caller, 5).papers]
    assert any(any(w in t for w in first) for t in titles), titles
    assert any(any(w in t for w in second) for t in titles), titles
