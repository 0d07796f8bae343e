"""A reason says its terms as the paper and the reader write them, and not a lone word of a declared phrase."""

import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.reasons import distinct_terms, lone_words, pick_reason, spelled
from recommender.store import Paper

ADA = "zero-shot learning; few-shot learning with semantic attributes and knowledge graphs"


def test_a_term_is_spelled_as_the_paper_writes_it():
    texts = ("Few-Shot Learning for Clinical NLP with GNNs", "We study zero-shot transfer.", ADA)
    assert spelled("shot learning", texts) == "few-shot learning"  # "few" is a stop word the model dropped
    assert spelled("zero shot", texts) == "zero-shot"
    assert spelled("gnns", texts) == "GNNs"  # two capitals: an acronym, as written
    assert spelled("clinical", texts) == "clinical"
    assert spelled("message passing", texts) == "message passing"  # in none of the texts: the term itself
    # only "zero-shot learning" holds "shot learning": the word before it is said too, or it reads as another term
    assert spelled("shot learning", ("CREST: Enhanced Zero-Shot Learning",)) == "zero-shot learning"
    assert spelled("shot learning", ("Zero-Shot Learning", "few-shot learning")) == "zero-shot learning"  # the title first


def test_a_reason_names_a_hyphenated_term_once():
    assert distinct_terms(["zero-shot learning", "zero-shot", "zero", "semantic"], 3) == ["zero-shot learning", "semantic"]
    texts = ("CREST: Cross-modal Resonance for Enhanced Zero-Shot Learning", "", ADA)
    assert pick_reason(["shot learning", "zero shot", "zero", "semantic"], None, texts=texts) == (
        "matches zero-shot learning, semantic")


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
