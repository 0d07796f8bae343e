"""A search word no paper holds is respelled as the closest word the store knows (a trial's "quantisation")."""

import json

from bot.commands import Caller, Commands
from recommender.spelling import known_words, respell

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
STOP = frozenset({"of", "the", "with", "for"})
DF = {"diffusion": 40.0, "models": 90.0, "modules": 3.0, "quantization": 12.0, "graph": 30.0, "graph neural": 8.0}


def _respell(query: str, terms=tuple(DF)) -> str | None:
    words = set(query.lower().split())
    return respell(query, words, known_words(terms), DF.get, STOP)


def test_unknown_words_take_the_known_word_fewest_edits_away_then_the_commoner():
    assert _respell("quantisation") == "quantization"
    # "modles" is one swap from "models" and one insertion from "modules": more papers hold "models"
    assert _respell("Difusion modles") == "diffusion models"  # the replaced words as the store spells them
    assert _respell("diffusion models") is None  # nothing unknown
    assert _respell("xyzzyq") is None  # nothing close enough
    assert _respell("lora") is None
    assert _respell("grpha") is None  # two edits from "graph": too many for a word under eight letters
    assert _respell("quantizaiton of grpah") == "quantization of graph"  # stop words kept, two swaps in a long word


def test_a_word_too_common_to_be_a_feature_is_known_through_its_n_grams():
    assert "neural" in known_words(DF)  # only in "graph neural"
    assert _respell("nueral") == "neural"


def test_a_misspelled_search_answers_with_the_respelled_one(papers_store, settings):
    cmds = Commands(papers_store, settings)
    right = cmds.search(ADA, "Quantization")
    wrong = cmds.search(ADA, "Quantisation")
    assert right.papers and [p.paper_id for p in wrong.papers] == [p.paper_id for p in right.papers]
    assert wrong.text == f"No stored paper matches “Quantisation”. Top {len(right.papers)} for “quantization”:"
    nothing = cmds.search(ADA, "xyzzyq")
    assert (nothing.text, nothing.papers) == ("No stored paper matches “xyzzyq”.", [])


def test_a_search_that_found_papers_by_its_other_words_offers_the_respelling(papers_store, settings):
    cmds = Commands(papers_store, settings)
    partial = cmds.search(ADA, "post-training quantisation")
    assert partial.papers  # found by "post-training" alone
    assert partial.text.endswith("(did you mean “post-training quantization”?):")
    assert "did you mean" not in cmds.search(ADA, "post-training quantization").text


def test_paperbot_search_json_says_what_was_searched(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    out = json.loads(cli("search", "quantisation", "--json").stdout)
    assert (out["respelled"], out["respelled_searched"]) == ("quantization", True)
    assert out["results"] and all("quantiz" in r["title"].lower() for r in out["results"][:3])
    table = cli("search", "quantisation")
    assert "No stored paper matches “quantisation”. Top 10 for “quantization”:" in " ".join(table.stdout.split())
    exact = json.loads(cli("search", "quantization", "--json").stdout)
    assert (exact["respelled"], exact["respelled_searched"]) == (None, False)
