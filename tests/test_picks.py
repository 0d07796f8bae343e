"""Ranking over the store: exclusion, decay inputs, and the workspace community signal."""

import pytest
from sqlalchemy import select

from bot.commands import POSITIVE, Caller, Commands
from recommender.store import Paper
from recommender.teammates import member_fits

TEXTS = {
    "G1": ("Graph neural networks for molecules", "Message passing graph neural networks predict molecular properties from atoms and bonds."),
    "G2": ("Scalable graph neural networks", "We scale message passing graph neural networks to billion edge graphs with sampling."),
    "Q1": ("Post-training quantization of transformers", "Low bit quantization of weights and activations keeps transformer accuracy."),
    "Q2": ("Quantization aware training with integer kernels", "Integer quantization aware training for efficient inference on phones."),
    "X": ("A survey of bird migration", "Migratory birds navigate using magnetic fields and the stars over long distances."),
}


def add_papers(store):
    ids = {}
    with store.session() as s:
        for key, (title, abstract) in TEXTS.items():
            paper = Paper(title_key=title.lower(), title=title, abstract=abstract, authors=[], source_kind="hf_api")
            s.add(paper)
            s.flush()
            ids[key] = paper.id
    return ids


def scores_for(cmds, caller):
    with cmds.store.session() as s:
        member = cmds.member(s, caller)
        picks = cmds.recommender.picks(s, [member], k=5)[0]
        return {p.title: p.score for p in picks}


def test_teammates_co_likes_lift_related_papers(store, settings):
    ids = add_papers(store)
    cmds = Commands(store, settings)
    ada = Caller("slack", "T1", "UA")
    loner = Caller("slack", "T2", "UA")  # same user id, other workspace: no teammates
    for who in (ada, loner):
        cmds.feedback(who, ids["G1"], POSITIVE)
    q2, x = TEXTS["Q2"][0], TEXTS["X"][0]
    alone = scores_for(cmds, loner)
    lifts = []
    for n in range(1, 41):  # teammates who like G1 and Q1 together
        mate = Caller("slack", "T1", f"U{n}")
        cmds.feedback(mate, ids["G1"], POSITIVE)
        cmds.feedback(mate, ids["Q1"], POSITIVE)
        if n in (1, 40):
            with_team = scores_for(cmds, ada)
            lifts.append(with_team[q2] - alone[q2])
    assert TEXTS["G1"][0] not in with_team  # rated papers are never picked
    assert with_team[q2] > with_team[x]  # teammates like G1 and Q1 together, so Q1-like papers rise for ada
    assert with_team[q2] > alone[q2]
    assert 0 < lifts[0] < lifts[1]  # the community's weight grows with the teammates' evidence
    assert max(with_team, key=with_team.get) == TEXTS["G2"][0]


def test_feedback_in_another_workspace_does_not_leak(store, settings):
    ids = add_papers(store)
    cmds = Commands(store, settings)
    mine = Caller("slack", "T1", "U1")
    cmds.feedback(mine, ids["Q1"], POSITIVE)
    cmds.feedback(Caller("slack", "T1", "U2"), ids["G1"], POSITIVE)
    before = scores_for(cmds, mine)
    # Another workspace co-likes Q1 with the bird survey: nothing changes for T1.
    cmds.feedback(Caller("slack", "T9", "U1"), ids["Q1"], POSITIVE)
    cmds.feedback(Caller("slack", "T9", "U2"), ids["Q1"], POSITIVE)
    cmds.feedback(Caller("slack", "T9", "U2"), ids["X"], POSITIVE)
    assert scores_for(cmds, mine) == before
    # The same co-likes inside T1 do lift the survey for U1.
    cmds.feedback(Caller("slack", "T1", "U3"), ids["Q1"], POSITIVE)
    cmds.feedback(Caller("slack", "T1", "U3"), ids["X"], POSITIVE)
    assert scores_for(cmds, mine)[TEXTS["X"][0]] > before[TEXTS["X"][0]]


def test_a_stored_model_from_an_older_layout_is_refitted(store):
    from sqlalchemy import func, select

    from recommender.picks import Recommender
    from recommender.store import ModelState
    from recommender.store.models import utcnow

    add_papers(store)
    legacy = b"\x80\x04crecommender.retired_module\nPaperVectorizer\n)\x81."  # names a module that is gone
    with store.session() as s:
        s.add(ModelState(n_papers=len(TEXTS), blob=legacy, fitted_at=utcnow()))
    rec = Recommender(store)
    with store.session() as s:
        vectorizer = rec.vectorizer(s)
        assert "quantization" in set(vectorizer.feature_names())
        assert s.scalar(select(func.count(ModelState.id))) == 2  # the refit is stored next to the old row


def reasons_for(cmds, caller):
    with cmds.store.session() as s:
        member = cmds.member(s, caller)
        return {p.title: p.reason for p in cmds.recommender.picks(s, [member], k=5)[0]}


def test_a_pick_sharing_no_term_never_says_the_reader_has_no_interests(store, settings):
    ids = add_papers(store)
    cmds = Commands(store, settings)
    reader, newcomer = Caller("slack", "T1", "UA"), Caller("slack", "T1", "UB")
    cmds.interests_add(reader, "graph neural networks")
    reasons = reasons_for(cmds, reader)
    birds = reasons[TEXTS["X"][0]]  # shares no word with the interests
    assert birds == "no distinctive word in common with your interests"  # TF-IDF alone here; no 👍 to speak of
    assert reasons[TEXTS["G1"][0]].startswith("matches ")
    assert all(r.startswith("newest first: no interests") for r in reasons_for(cmds, newcomer).values())
    cmds.rate(newcomer, f"#{ids['X']}", -1)  # a 👎 alone makes no profile: still newest first, and said so
    assert all(r.startswith("newest first: no interests or 👍 yet") for r in reasons_for(cmds, newcomer).values())


def graph_reader_who_liked_pd_quant(papers_store, settings, k):
    """Picks for a reader of graph neural networks who gave one quantization paper (PD-Quant) a 👍."""
    cmds = Commands(papers_store, settings)
    reader = Caller("slack", "T1", "UA")
    cmds.interests_add(reader, "graph neural networks")
    with papers_store.session() as s:
        pd_quant = s.scalars(select(Paper).where(Paper.title.like("PD-Quant%"))).one()
    assert cmds.rate(reader, f"#{pd_quant.id}", POSITIVE).ok
    with papers_store.session() as s:
        return cmds.recommender.picks(s, [cmds.member(s, reader)], k=k)[0]


def test_a_pick_names_only_a_liked_paper_on_its_topic(papers_store, settings):
    picks = graph_reader_who_liked_pd_quant(papers_store, settings, k=10)
    named = {p.title: "similar to 👍 “PD-Quant" in p.reason for p in picks}
    assert any(named[t] for t in named if "quantiz" in t.lower())  # a quantization pick names it
    graph = [t for t in named if "graph" in t.lower() or "GNN" in t]
    assert graph and not any(named[t] for t in graph)  # a graph-network pick does not


def test_one_like_does_not_drown_the_declared_interests(papers_store, settings):
    picks = graph_reader_who_liked_pd_quant(papers_store, settings, k=8)  # one quantization paper liked, in passing
    titles = [p.title for p in picks]
    graph = [t for t in titles if "graph" in t.lower() or "GNN" in t]
    assert len(graph) >= 4 and any("graph" in t.lower() or "GNN" in t for t in titles[:2])  # the interests still lead
    assert any("quantiz" in t.lower() for t in titles)  # and the 👍 is heard


def test_a_reason_names_an_author_as_a_reader_would():
    from recommender.reasons import pick_reason
    from recommender.text.analyzer import author_token

    assert pick_reason([author_token("Geoffrey E. Hinton"), "capsules"], None) == "matches author G. Hinton, capsules"
    assert pick_reason([author_token("Jan van der Berg")], None) == "matches author J. Berg"


@pytest.mark.semantic  # the shipped path: interests read by the sentence model
def test_interests_with_no_word_of_the_vocabulary_rank_by_meaning(papers_store, settings):
    from recommender.teammates import member_fits

    cmds = Commands(papers_store, settings)
    if cmds.recommender.embedder is None:
        pytest.skip("the sentence-embedding model is not installed")
    reader, newcomer = Caller("slack", "T1", "UA"), Caller("slack", "T1", "UB")
    cmds.interests_add(reader, "protein folding")  # neither word is in the samples' vocabulary
    with papers_store.session() as s:
        member = cmds.member(s, reader)
        assert cmds.recommender.vectorizer(s).transform_text(["protein folding"]).nnz == 0
        mine, cold = cmds.recommender.picks(s, [member, cmds.member(s, newcomer)], k=5)
        assert [p.paper_id for p in mine] != [p.paper_id for p in cold]  # not the newest-first fallback
        assert all(p.reason == "close in meaning to your interests, with no distinctive word in common" for p in mine)
        papers = s.scalars(select(Paper).where(Paper.id.in_([p.paper_id for p in mine]))).all()
        assert member_fits(cmds.recommender, s, papers, [member], min_score=-1.0)  # and papers fit them


@pytest.mark.semantic  # the shipped path: interests read by the sentence model
def test_an_interest_of_another_field_than_the_stores_finds_its_paper_not_every_other_field(papers_store, settings):
    """The samples are machine-learning papers. Centred on their mean like the papers, a protein or speech reader's
    interests came out close to any paper off that field: the one protein paper was 8th, behind nuclear physics,
    and a gas-chromatography paper was the speech reader's 4th pick."""
    cmds = Commands(papers_store, settings)
    if cmds.recommender.embedder is None:
        pytest.skip("the sentence-embedding model is not installed")
    protein, speech = Caller("slack", "T1", "UP"), Caller("slack", "T1", "US")
    cmds.interests_add(protein, "protein structure prediction")
    cmds.interests_add(speech, "speech recognition")
    with papers_store.session() as s:
        picks = cmds.recommender.picks(s, [cmds.member(s, protein), cmds.member(s, speech)], k=10)
    for_protein, for_speech = ([p.title for p in rows] for rows in picks)
    assert "Robust Model-Based Optimization for Challenging Fitness Landscapes" in for_protein[:5]  # protein design
    assert "Mathematical modelling of flow and adsorption in a gas chromatograph" not in for_speech
    assert for_speech[0].startswith("Subword Dictionary Learning and Segmentation Techniques for Automatic Speech")


def test_a_reason_names_what_the_reader_declared_or_read_twice_not_one_abstracts_filler(papers_store, settings):
    cmds = Commands(papers_store, settings)
    reader = Caller("slack", "T1", "UA")
    interests = "zero-shot learning; few-shot learning with semantic attributes and knowledge graphs"
    cmds.interests_add(reader, interests)
    with papers_store.session() as s:
        survey = s.scalars(select(Paper).where(Paper.title.like("Zero-shot and Few-shot Learning with Knowledge%"))).one()
    assert cmds.rate(reader, f"#{survey.id}", POSITIVE).ok  # one 👍, whose abstract is full of everyday words
    with papers_store.session() as s:
        picks = cmds.recommender.picks(s, [cmds.member(s, reader)], k=12)[0]
        vectorizer = cmds.recommender.vectorizer(s)
    said = set(vectorizer.transform_text([interests, survey.title]).indices)
    named = [t for p in picks if p.reason.startswith("matches ") for t in p.reason[8:].split(";")[0].split(", ")]
    # in the interests or the liked title, as the model reads them ("few-shot learning" is the feature "shot learning")
    def read(term: str) -> set[int]:
        return set(vectorizer.transform_text([term]).indices)

    assert named and all(read(t) and (read(t) <= said or read(f"{t}s") <= said) for t in named), named


def test_a_reason_with_only_common_words_in_common_says_so():
    from recommender.reasons import pick_reason

    assert pick_reason([], None, profile="your interests and 👍", shared=True) == (
        "close to your interests and 👍, sharing only common words")  # not "no distinctive word in common": it shares some
    assert pick_reason([], None, profile="your 👍", shared=True, by_meaning=True) == (
        "close in meaning to your 👍, sharing only common words")
    assert pick_reason([], None, profile="your 👍") == "no distinctive word in common with your 👍"


def test_a_word_in_three_liked_papers_is_named_one_in_fewer_abstracts_is_not():
    import numpy as np

    from recommender.ranking import Target
    from recommender.reasons import nameable_terms, reason_words
    from recommender.text.tfidf import PaperVectorizer

    texts = [("Graph networks", "message passing remarkably results"), ("Molecule graphs", "message passing for atoms results"),
             ("Bird songs", "remarkably loud birds results"), ("Graph kernels", "message passing kernels results")]
    others = [(f"Topic {w}{i}", f"{w}{i}" + (" results" if i == 0 else "")) for w in "alpha beta gamma delta".split()
              for i in range(5)]
    vec = PaperVectorizer(ngram_range=(1, 1), min_df=1).fit(texts + others)  # "results" is in 8 of 24 papers
    two_likes = Target(interests_text="", liked=vec.transform(texts[:2]), liked_age_days=np.zeros(2))
    three_likes = Target(interests_text="", liked=vec.transform([texts[0], texts[1], texts[3]]), liked_age_days=np.zeros(3))
    one_like = Target(interests_text="birds", liked=vec.transform(texts[:1]), liked_age_days=np.zeros(1))
    terms = ["remarkably", "message", "passing", "results", "graph", "birds"]
    assert nameable_terms(terms, reason_words(three_likes, ["Graph networks", "Molecule graphs", "Graph kernels"], vec)) == [
        "message", "passing", "graph"]  # "results" is in all three 👍, but in too many papers
    assert nameable_terms(terms, reason_words(two_likes, ["Graph networks", "Molecule graphs"], vec)) == [
        "graph"]  # two liked abstracts with "message passing" in neither title: an everyday word's count
    assert nameable_terms(terms, reason_words(one_like, ["Graph networks"], vec)) == ["graph", "birds"]
    declared = Target(interests_text="results", liked=vec.transform(texts[:1]), liked_age_days=np.zeros(1))
    assert nameable_terms(terms, reason_words(declared, [], vec)) == ["results"]  # what the reader declared, always
    assert nameable_terms(["network", "bird"], reason_words(one_like, ["Graph networks"], vec)) == ["network", "bird"]


def test_a_reason_does_not_name_the_kind_of_paper_a_like_was():
    import numpy as np

    from recommender.ranking import Target
    from recommender.reasons import nameable_terms, reason_words
    from recommender.text.tfidf import PaperVectorizer

    texts = [("A comprehensive survey of graph networks", "message passing"), ("Active learning: a survey", "labels"),
             ("Highly accurate protein structure prediction", "")]
    others = [(f"Topic {w}{i}", f"{w}{i}") for w in "alpha beta gamma delta".split() for i in range(5)]
    vec = PaperVectorizer(ngram_range=(1, 2), min_df=1).fit(texts + others)
    liked = Target(interests_text="", liked=vec.transform(texts[:1] + texts[2:]), liked_age_days=np.zeros(2))
    words = reason_words(liked, [texts[0][0], texts[2][0]], vec)
    terms = ["survey", "comprehensive survey", "graph", "highly accurate", "highly", "graph networks", "protein"]
    assert nameable_terms(terms, words) == ["graph", "graph networks", "protein"]
    declared = Target(interests_text="survey methodology", liked=liked.liked, liked_age_days=np.zeros(2))
    assert nameable_terms(terms, reason_words(declared, [texts[0][0]], vec)) == ["survey", "graph", "graph networks"]


def test_after_a_like_on_a_survey_no_pick_is_said_to_match_survey(papers_store, settings):
    cmds = Commands(papers_store, settings)
    reader = Caller("slack", "T1", "UA")
    cmds.interests_add(reader, "zero-shot learning; few-shot learning with semantic attributes and knowledge graphs")
    with papers_store.session() as s:
        survey = s.scalars(select(Paper).where(Paper.title.like("Zero-shot and Few-shot Learning with Knowledge%"))).one()
    assert cmds.rate(reader, f"#{survey.id}", POSITIVE).ok
    with papers_store.session() as s:
        picks = cmds.recommender.picks(s, [cmds.member(s, reader)], k=20)[0]
    matched = [p.reason.split(";")[0] for p in picks if p.reason.startswith("matches ")]
    assert matched and not any(w in r for r in matched for w in ("survey", "comprehensive"))


def test_a_reason_names_an_author_only_when_it_can_be_the_same_person(store, settings):
    """A field test: a pick by Jiale Huang said "matches author J. Huang" after a 👍 on a paper by Jiaxin Huang."""
    from recommender.reasons import same_person

    assert same_person("Jiaxin Huang", "J. Huang") and same_person("Jia Huang", "Jiaxin Huang")
    assert not same_person("Jiale Huang", "Jiaxin Huang") and not same_person("Jia-Le Huang", "Jiaxin Huang")
    assert not same_person("Zi-Ang Wang", "Zifeng Wang") and same_person("Zi-Ang Wang", "Z. Wang")
    papers = {  # title: (abstract, authors)
        "Molecular graphs": ("Message passing graph neural networks predict molecular properties.", ["Jiaxin Huang"]),
        "Scalable graphs": ("We scale message passing graph neural networks to billion edge graphs.", ["Jiale Huang"]),
        "Graph sampling": ("Sampling message passing graph neural networks on large graphs.", ["J. Huang"]),
        "Bird migration": ("Migratory birds navigate using magnetic fields and the stars.", ["Ann Lee"]),
    }
    with store.session() as s:
        for title, (abstract, authors) in papers.items():
            s.add(Paper(title_key=title.lower(), title=title, abstract=abstract, authors=authors, source_kind="hf_api"))
    cmds = Commands(store, settings)
    ada = Caller("slack", "T1", "UA")
    with store.session() as s:
        liked = s.scalar(select(Paper.id).where(Paper.title == "Molecular graphs"))
    cmds.feedback(ada, liked, POSITIVE)
    reasons = reasons_for(cmds, ada)
    assert "author J. Huang" in reasons["Graph sampling"]  # an initial can be Jiaxin
    assert "author" not in reasons["Scalable graphs"]
    with store.session() as s:  # who a paper fits says it the same way (a trial: "matches author X. Qiu" for two Qius)
        fits = {s.get(Paper, f.paper_id).title: f.reason for f in
                member_fits(cmds.recommender, s, s.scalars(select(Paper)).all(), [cmds.member(s, ada)], min_score=-1.0)}
    assert "author J. Huang" in fits["Graph sampling"]
    assert "author" not in fits["Scalable graphs"]
