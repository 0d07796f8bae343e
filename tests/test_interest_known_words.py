"""An interest whose rarer words the TF-IDF model does not know yet is matched by meaning, not by its common word.

A two-field reader of a first week's store ("medical image analysis; seismology and earthquake detection", 216
papers) got grape- and traffic-detection papers as "matches detection" while the one seismic paper ranked 18th:
"seismology" and "earthquake" were each in fewer than two papers, so the second interest read as "detection".
"""

import numpy as np
import pytest
from embedder_fake import TopicEmbedder

from bot.commands import Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
from recommender.ranking import Ranker, Target
from recommender.ranking.profiles import _agreement, declared_targets
from recommender.ranking.semantic import SemanticInputs
from recommender.reasons import nearest_interest_words, pick_reason
from recommender.text.tfidf import PaperText, PaperVectorizer

SEISMIC = "Phase picking of seismic arrivals in earthquake catalogues"
DETECTION = ["Grape detection and tracking in vineyards", "Traffic incident detection on highways",
             "Fraud detection in card payments", "Anomaly detection for server logs",
             "Pedestrian detection at night", "Weed detection from drone images"]
MEDICAL = ["Medical image segmentation of tumours", "Histopathology image analysis with deep networks",
           "Medical image registration for radiology", "Chest radiograph image analysis",
           "Retinal image analysis for screening", "Medical image denoising with priors"]
OTHER = ["Protein folding with language models", "Speech recognition for low-resource languages",
         "Graph neural networks for molecules", "Reinforcement learning for robot arms",
         "Compressing language models by pruning", "Bird song classification in the wild",
         "Weather forecasting with transformers", "Code generation by language models"]
TITLES = [SEISMIC, *DETECTION, *MEDICAL, *OTHER]
TOPICS = {"seismic": frozenset({"seismology", "seismic", "earthquake", "arrivals"}),
          "medical": frozenset({"medical", "histopathology", "radiology", "radiograph", "retinal", "tumours"}),
          "detection": frozenset({"detection", "tracking"})}
INTERESTS = "medical image analysis; seismology and earthquake detection"


def test_the_share_of_an_interest_s_words_the_model_knows():
    vec = PaperVectorizer().fit([PaperText(t) for t in TITLES])  # 26 papers: a word must be in two
    assert vec.known_share(["seismology and earthquake detection", "medical image analysis", "the of",
                            ""]).tolist() == pytest.approx([1 / 3, 1.0, 1.0, 1.0])


def test_agreement_leans_on_meaning_by_the_share_of_words_unknown():
    lexical = np.array([[0.0, 0.5]])  # candidate 0 shares no known word; candidate 1 holds the one known word
    meaning = np.array([[0.6, 0.1]])
    embedded = np.array([True])
    both = _agreement(lexical, meaning, embedded, 0.5)
    assert both[0, 0] == 0 and both[0, 1] > 0  # every word known: words and meaning must both agree
    partial = _agreement(lexical, meaning, embedded, 0.5, np.array([1 / 3]))
    assert partial[0].tolist() == pytest.approx([0.4, np.sqrt(0.05) / 3 + 0.2 / 3])
    assert partial[0, 0] > partial[0, 1]


def test_a_reader_of_a_field_the_model_barely_knows_gets_its_paper_before_the_common_word_s():
    vec = PaperVectorizer().fit([PaperText(t) for t in TITLES])
    rows = vec.transform([PaperText(t) for t in TITLES])
    embedder = TopicEmbedder(TOPICS)
    ranker = Ranker(vec, embedder=embedder, mmr_lambda=0.0)
    ranked = [TITLES[r.index] for r in ranker.rank(rows, [Target(interests_text=INTERESTS)], k=len(TITLES),
                                                  semantic=SemanticInputs(embedder.encode(TITLES)))[0]]
    assert set(ranked[:6]) == set(MEDICAL)  # the field the model knows word for word comes first
    assert ranked[6] == SEISMIC, ranked  # then the seismic paper, above every paper that only holds "detection"


def test_each_pick_knows_which_declared_interest_it_is_nearest_in_meaning():
    vec = PaperVectorizer().fit([PaperText(t) for t in TITLES])
    rows = vec.transform([PaperText(t) for t in TITLES])
    embedder = TopicEmbedder(TOPICS)
    ranker = Ranker(vec, embedder=embedder, mmr_lambda=0.0)
    two, one = ranker.rank(rows, [Target(interests_text=INTERESTS), Target(interests_text="medical image analysis")],
                           k=len(TITLES), semantic=SemanticInputs(embedder.encode(TITLES)))
    nearest = {TITLES[r.index]: r.interest for r in two}
    assert nearest[SEISMIC] == 1 and all(nearest[t] == 0 for t in MEDICAL)
    assert {r.interest for r in one} == {None}  # one interest: nothing to tell apart
    assert {r.interest for r in ranker.rank(rows, [Target(interests_text=INTERESTS)], k=5)[0]} == {None}  # no meaning


def test_a_reason_names_the_interest_a_pick_is_nearest_to_when_it_names_no_declared_word():
    field = "seismology and earthquake detection"
    assert nearest_interest_words("your interests", field) == f"your interest “{field}”"
    assert nearest_interest_words("the channel's topic", "medical image") == "the channel's topic “medical image”"
    assert nearest_interest_words("your interests and 👍", field) == "your interests and 👍"  # may be the 👍
    assert nearest_interest_words("your interests", None) == "your interests"
    assert nearest_interest_words(None, field) is None
    assert nearest_interest_words("your interests", "gene\x1b[31m expression") == "your interest “gene [31m expression”"
    close = pick_reason([], None, profile="your interests", by_meaning=True, interest=field)
    assert close == f"close in meaning to your interest “{field}”, with no distinctive word in common"
    # a word said as shared may be another interest's ("recognition" of "speech recognition"): no interest named
    shares = pick_reason([], None, profile="your interests", by_meaning=True, interest=field, partial=["recognition"])
    assert "your interests, sharing only “recognition”" in shares


@pytest.mark.semantic  # the shipped path, the real sentence model, the bundled samples
def test_a_two_field_reader_of_the_bundled_samples_gets_the_seismic_paper_in_the_top_5(papers_store, settings):
    cmds = Commands(papers_store, settings)
    caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, "eve")
    assert cmds.interests_add(caller, "medical image analysis", "seismology and earthquake detection").ok
    seismic = [p for p in cmds.picks(caller, 5).papers if "Seismic" in p.title]
    assert seismic, "no seismic paper in the top 5"
    assert "“seismology and earthquake detection”" in seismic[0].reason  # not "your interests"


def test_an_interest_of_no_known_word_is_widened_by_its_meaning():
    """A review: an interest all of whose words the model lacks had an empty TF-IDF row and was never widened."""
    vec = PaperVectorizer().fit([PaperText(t) for t in TITLES])
    embedder = TopicEmbedder(TOPICS)
    ranker = Ranker(vec, embedder=embedder)
    batch = ranker.batch([Target(interests_text="seismology and earthquake"), Target()], vec.n_features_)
    assert batch.interest_known.tolist() == [0.0] and batch.interests[0].nnz == 0
    assert declared_targets(batch, semantic=True).tolist() == [0]
    assert declared_targets(batch, semantic=False).tolist() == []
