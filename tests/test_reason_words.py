"""A reason says its terms as the paper and the reader write them, and not a lone word of a declared phrase."""

import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.reason_terms import interest_phrases, lone_words, own_words, said_terms, spelled
from recommender.reasons import ReaderWords, distinct_terms, paper_reason, pick_reason
from recommender.store import Paper

ADA = "zero-shot learning; few-shot learning with semantic attributes and knowledge graphs"


def test_a_term_is_said_as_the_reader_and_the_paper_both_write_it():
    paper = ("Few-Shot Learning for Clinical NLP with GNNs", "We study zero-shot transfer; meta-learning helps.")
    assert spelled("shot learning", paper, (ADA,)) == "few-shot learning"  # the model dropped the stop word "few"
    assert spelled("zero shot", paper, (ADA,)) == "zero-shot"
    assert spelled("gnns", paper, ("GNNs for molecules",)) == "GNNs"  # two capitals: an acronym, as written
    assert spelled("meta", paper, ("meta-learning; prompt tuning",)) == "meta-learning"
    assert spelled("clinical", paper, (ADA,)) == "clinical"  # the reader never wrote it: as the paper does
    assert spelled("message passing", paper, (ADA,)) == ""  # two words neither side writes in a row: not said
    assert spelled("passing", paper, (ADA,)) == "passing"  # one word: the term itself
    # a liked "Zero Shot Quantization" title gave the term "shot": not "few-shot", which only the paper writes
    assert spelled("shot", paper, ("ZeroQ: A Novel Zero Shot Quantization Framework",)) == "shot"
    # the reader wrote "network": not the paper's "sub-network", though its title says so first
    assert spelled("network", ("A Consensus Sub-Network", "pruning the network"), ("network pruning",)) == "network"
    assert spelled("graph neural", ("Graph neural networks at scale",), ("graph neural networks",)) == (
        "graph neural networks")


def test_two_terms_the_reader_writes_as_one_phrase_are_said_as_it():
    paper = ("Deep GNNs", "We evaluate node classification and efficient inference on graphs.")
    reader = ("graph neural networks; node classification; efficient inference",)
    said = said_terms(["node", "graph", "classification", "inference", "efficient"], paper, reader)
    assert distinct_terms(said, 3) == ["node classification", "graph", "efficient inference"]
    assert said_terms(["classification", "node"], ("Node features; a classification head",), reader) == [
        "classification", "node"]  # apart in the paper: two matches, not the reader's phrase
    assert said_terms(["classification", "node"], ("Classification of each node",), ("node; classification",)) == [
        "classification", "node"]  # the reader wrote them apart


def test_a_reason_names_a_hyphenated_term_once():
    assert distinct_terms(["zero-shot learning", "zero-shot", "zero", "semantic"], 3) == ["zero-shot learning", "semantic"]
    # a term holding an earlier one takes its place, not the end of the line
    assert distinct_terms(["inference", "graph", "efficient inference"], 3) == ["efficient inference", "graph"]


def test_a_declared_word_alone_outside_its_phrase_is_not_named_as_a_match():
    phrases = (frozenset({"knowledge", "graph"}), frozenset({"quantization"}), frozenset({"node", "classification"}))
    assert "knowledge" in lone_words(phrases, "Knowledge distillation for the edge")
    assert "knowledge" not in lone_words(phrases, "Knowledge graphs for question answering")
    assert "quantization" not in lone_words(phrases, "Vector quantization of images")  # a phrase of its own
    assert "node" not in lone_words(phrases, "Each node's label: node classification")
    assert "node" in lone_words(phrases, "Compute nodes of a cluster")
    assert pick_reason([], None, profile="your interests", shared=True, partial=["knowledge"]) == (
        "shares only “knowledge” of a declared phrase")
    assert pick_reason([], None, profile="your interests", by_meaning=True, partial=["knowledge"]) == (
        "close in meaning to your interests, sharing only “knowledge” of a declared phrase")


@pytest.mark.semantic  # the shipped path
def test_a_knowledge_distillation_pick_is_not_said_to_match_knowledge_graphs(papers_store, settings):
    cmds = Commands(papers_store, settings)
    ada = Caller("slack", "T1", "UA")
    cmds.interests_add(ada, *ADA.split("; "))
    with papers_store.session() as s:
        picks = {p.title: p.reason for p in cmds.recommender.picks(s, [cmds.member(s, ada)], k=30)[0]}
        titles = set(s.scalars(select(Paper.title)))
    distillation = next(t for t in titles if t.startswith("A Layered Self-Supervised Knowledge Distillation"))
    survey = next(t for t in titles if t.startswith("Zero-shot and Few-shot Learning with Knowledge Graphs"))
    assert distillation in picks and "knowledge" not in picks[distillation], picks[distillation]
    assert "few-shot learning" in picks[distillation]  # its abstract's "few-shot learning scenarios"
    assert picks[survey].startswith("matches ") and "knowledge graphs" in picks[survey], picks[survey]
    assert not any("shot learning" in r.replace("-shot learning", "") for r in picks.values())  # never a bare "shot"


def test_review_cases_of_the_spelling():
    """A review's cases: a word after a hyphenated one, a digit, two words on, accents."""
    assert spelled("zero", ("Zero-shot learning for X",), ("zero-shot learning",)) == "zero-shot"  # not "zero learning"
    assert spelled("neural", ("Graph neural GPT4 heads",), ("graph neural GPT4",)) == "neural"  # no "neural GPT"
    assert spelled("graph", ("Graph neural networks for X",), ("graph neural networks",)) == "graph neural networks"
    phrases = (frozenset({"poincare", "embedding"}),)
    assert "embedding" not in lone_words(phrases, "Poincaré Embeddings for Hierarchies")


def test_an_accented_word_is_said_with_its_accent():
    """A review: the model's accent-free "schrodinger" was said as such, a word neither the reader nor the paper wrote."""
    paper = ("Neural solvers for the Schrödinger equation",)
    assert spelled("schrodinger", paper, ("Schrödinger equation; PDEs",)) == "schrödinger equation"
    assert spelled("poincare", ("Poincaré embeddings of trees",), ("hyperbolic geometry", "Poincaré Embeddings")) == "poincaré"
    assert spelled("schrodinger", paper, ("schrodinger equation",)) == "schrodinger equation"  # as the reader wrote it
    assert spelled("godel", ("On Gödel's incompleteness",), ("Gödel numbering",)) == "gödel"


class StoredLike:  # what paper_reason reads of a stored paper
    def __init__(self, title: str, abstract: str = "", authors=()):
        self.title, self.abstract, self.authors = title, abstract, list(authors)


def test_a_word_of_a_liked_title_is_no_lone_word():
    reader = ReaderWords(frozenset({"knowledge", "knowledge distillation"}), (frozenset({"knowledge", "graph"}),),
                         ("knowledge graphs", "Knowledge Distillation for BERT"),
                         frozenset({"knowledge", "distillation", "for", "bert"}))
    reason = paper_reason(["knowledge"], StoredLike("Knowledge distillation for ViTs"), reader, profile="your interests")
    assert reason == "matches knowledge", reason  # a word of the liked title: a match, not "shares only"
    alone = ReaderWords(frozenset({"knowledge"}), (frozenset({"knowledge", "graph"}),), ("knowledge graphs",))
    assert paper_reason(["knowledge"], StoredLike("Knowledge distillation for ViTs"), alone, profile="your interests",
                        shared=True) == "shares only “knowledge” of a declared phrase"


def test_a_hyphenated_interest_is_one_phrase(papers_store, settings):
    cmds = Commands(papers_store, settings)
    with papers_store.session() as s:
        vectorizer = cmds.recommender.vectorizer(s)
    phrases = interest_phrases("out-of-distribution detection; mixture-of-experts models", vectorizer)
    assert len(phrases) == 2 and "detection" in phrases[0] and "expert" in phrases[1], phrases  # "of" inside a word


def test_the_word_author_is_not_swallowed_by_an_author_term():
    """A review: "author" (a paper on authorship) was dropped as a word of "author G. Hinton"."""
    said = pick_reason(["author:g_hinton", "author", "attribution"], None)
    assert said == "matches author G. Hinton, author, attribution"
    assert pick_reason(["author:g_hinton", "hinton"], None) == "matches author G. Hinton"  # one person, said once
    assert pick_reason(["author:plato", "plato"], None) == "matches author Plato"  # a name of one part too


def test_two_words_nobody_wrote_as_a_phrase_are_not_said():
    """reason_cost's reader: "matches graph neural networks, networks gnns", a feature across "networks (GNNs)"."""
    paper = ("Graph neural networks (GNNs) for molecules",)
    reader = ("graph neural networks", "Scaling graph neural networks (GNNs)")
    assert spelled("networks gnns", paper, reader) == ""
    assert said_terms(["graph neural", "networks gnns", "gnns"], paper, reader) == ["graph neural networks", "GNNs"]


def test_a_term_inside_a_hyphenated_word_is_not_said_without_it():
    """A trial: "matches shot learning" for a reader of zero-shot learning and a few-shot paper."""
    paper = ("Few-Shot Learning for Clinical NLP",)
    assert spelled("shot learning", paper, ("few-shot learning",)) == "few-shot learning"  # as both write it
    # the reader's "zero-shot" and the paper's "few-shot" share a fragment, not a term: not said
    assert spelled("shot learning", paper, ("continual and zero-shot learning",)) == ""
    assert said_terms(["shot learning", "shot"], paper, ("zero-shot learning",)) == []


def test_a_liked_title_s_word_inside_its_declared_phrase_stays_lone():
    """A trial: a reader of "neural collapse" who liked neural-collapse papers got "matches neural" on neural ODEs."""
    phrases = (frozenset({"neural", "collapse"}), frozenset({"grokking"}))
    titles = ["Prevalence of Neural Collapse during training", "Grokking: generalization beyond overfitting"]
    own = own_words(titles, phrases)
    assert "neural" not in own and "collapse" not in own and {"prevalence", "grokking"} <= own
    assert "neural" in own_words([*titles, "Neural ODEs"], phrases)  # a title that says "neural" on its own
    assert "neural" in own_words(["Neural ODEs Avoid Mode Collapse"], phrases)  # both words, not in a row
    reader = ReaderWords(frozenset({"neural", "collapse"}), phrases, ("neural collapse; grokking", " | ".join(titles)), own)
    paper = StoredLike("Two Sides of the Same Coin: Neural ODEs")
    assert paper_reason(["neural"], paper, reader, profile="your interests", shared=True) == (
        "shares only “neural” of a declared phrase")


def test_two_words_written_with_a_slash_are_said_as_written():
    """A review: "encoder decoder", written "encoder/decoder" by both sides, was dropped as written by neither."""
    assert spelled("encoder decoder", ("An encoder/decoder model",), ("encoder/decoder",)) == "encoder/decoder"
