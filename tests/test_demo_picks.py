"""The demo team's first digests, read as their researchers would: no keyword false positive in a top 5."""

import pytest

from bot.commands import Caller, Commands
from bot.demo import add_demo_team, load_demo_team
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE

#: Papers of the bundled samples that share words, not a topic, with a demo reader's interests.
KEYWORD_ONLY = {
    "ada": ["Robustness Over Time: Understanding Adversarial Examples",  # LLM robustness; "zero-shot prompting"
            "ZeroQ: A Novel Zero Shot Quantization Framework"],  # data-free quantization, not zero-shot learning
    "grace": ["Dataset Quantization"],  # compresses a training set, not a network
}


@pytest.mark.semantic  # the shipped path: stored sentence embeddings mixed with TF-IDF
def test_demo_readers_top_5_has_no_keyword_false_positive(papers_store, settings):
    cmds = Commands(papers_store, settings)
    add_demo_team(cmds, load_demo_team())
    titles = {name: [p.title for p in cmds.picks(Caller(CLI_PLATFORM, CLI_WORKSPACE, name), 5).papers]
              for name in ("ada", "grace", "alan")}
    for name, wrong in KEYWORD_ONLY.items():
        assert not [t for t in titles[name] if any(t.startswith(w) for w in wrong)], (name, titles[name])
    # the real matches are there: the three zero-/few-shot papers, graph neural networks for alan
    assert {t.split(":")[0] for t in titles["ada"][:3]} == {
        "Zero-shot and Few-shot Learning with Knowledge Graphs", "CREST",
        "Few-Shot Learning for Clinical Natural Language Processing Using Siamese Neural Networks"}
    assert all("graph" in t.lower() or "gnn" in t.lower() for t in titles["alan"])
    # (Maestro's low-rank decomposition compresses a network: its abstract is about pruning and quantization too;
    # the consensus sub-network is found by pruning, as its abstract says)
    assert all(any(w in t.lower() for w in ("prun", "quantiz", "compression", "low-rank", "sub-network"))
               for t in titles["grace"])


@pytest.mark.semantic
def test_a_paper_close_in_one_space_only_does_not_lead_a_readers_picks(papers_store, settings):
    """The sentence model reads "diffusion models" as physical diffusion: a gas-chromatography paper
    was the embedding's first match and came 2nd for a diffusion-models reader, 1st for a reader of
    graph networks and diffusion models. The interests are expanded by papers matching in words and meaning."""
    cmds = Commands(papers_store, settings)
    wrong = "Mathematical modelling of flow and adsorption in a gas chromatograph"
    for name, interests in (("dora", ["diffusion models"]), ("gil", ["graph neural networks", "diffusion models"])):
        caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, name)
        cmds.interests_add(caller, *interests)
        titles = [p.title for p in cmds.picks(caller, 5).papers]
        top = titles[:3] if name == "dora" else titles
        assert wrong not in top, (name, titles)
        assert sum("diffusion" in t.lower() for t in titles) >= (4 if name == "dora" else 1), (name, titles)
