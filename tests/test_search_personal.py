"""A person re-ranks search among the results that answer the query; a paper only their profile placed comes after.

On the demo store `paperbot search "speech recognition" --user ada` put ada's zero-shot survey second, above
seven papers holding "recognition" or both words: it holds neither and is far from the query in meaning (-0.05);
its 0.24 score was all ada's part.
"""

import json

import numpy as np
import pytest
from embedder_fake import TopicEmbedder
from test_search_reasons import ADA, BOB, NONE, by_meaning

from bot.commands import Commands
from bot.demo import add_demo_team, load_demo_team
from recommender.ranking import Ranker, Target
from recommender.search import MIN_MEANING, rerank, search
from recommender.text.tfidf import PaperText, PaperVectorizer
from recommender.text.vectors import embed_missing

QUERY = "quantum error correction"
TITLES = ["Zero-shot learning of unseen classes",  # 0: liked; no word searched, far in meaning
          "Rounding error in climate models",  # 1: holds "error"
          "Bird migration survey",  # 2: nothing
          "Fault-tolerant qubit arrays",  # 3: no word searched, close in meaning
          "Error bounds for zero-shot learning of unseen classes"]  # 4: holds "error", and like the liked paper
TOPICS = {"quantum": frozenset({"quantum", "qubit", "fault-tolerant", "error", "correction"}),
          "zero-shot": frozenset({"zero-shot", "unseen"})}
#: What a result that does not answer the query says it is there for (reasons.search_lead).
ELSEWHERE = ("for your interests" + NONE, "nearest in meaning" + NONE)


def matrices():
    vec = PaperVectorizer().fit([PaperText(t) for t in TITLES])
    return vec, vec.transform([PaperText(t) for t in TITLES])


def test_rerank_puts_what_only_the_profile_placed_after_every_result_that_answers():
    vec, rows = matrices()
    ranker = Ranker(vec, embedder=TopicEmbedder(TOPICS))
    lexical = np.array([0.0, 2.0, 0.0, 0.0, 1.0])  # the full-text index's scores: 1 and 4 hold "error"
    meaning = np.array([0.05, 0.10, 0.0, MIN_MEANING + 0.1, 0.05])
    reader = Target(liked=rows[[0]])
    plain = rerank(ranker, QUERY, rows, lexical, 5, meaning=meaning)
    assert [h.index for h in plain][:3] == [1, 3, 4] and plain[-1].index in (0, 2)
    hits = rerank(ranker, QUERY, rows, lexical, 5, meaning=meaning, target=reader, personal_weight=0.9)
    order = [h.index for h in hits]
    assert order == [4, 1, 3, 0, 2]  # the reader lifts 4 over 1 and 0 over 2, never 0 over an answer
    assert [h.answers for h in hits] == [True, True, True, False, False]
    assert hits[3].personal > hits[0].personal  # the profile weighs most in 0's score, and still it comes after
    named = rerank(ranker, QUERY, rows, lexical, 5, meaning=meaning, target=reader, personal_weight=0.9,
                   named=np.array([False, False, True, False, False]))
    assert [h.index for h in named] == [2, 4, 1, 3, 0]  # a paper the query names still comes first
    assert [h.index for h in rerank(ranker, QUERY, rows, lexical, 2, meaning=meaning, target=reader,
                                     personal_weight=0.9)] == [4, 1]


def test_the_in_memory_search_orders_a_person_s_results_as_rerank_does():
    vec, x = matrices()
    embedder = TopicEmbedder(TOPICS)
    ranker = Ranker(vec, embedder=embedder)
    emb = embedder.encode(TITLES)
    reader = Target(liked=x[[0]])
    found = [i for i, _ in search(ranker, QUERY, x, k=5, target=reader, personal_weight=0.9, embeddings=emb)]
    assert set(found[:3]) == {1, 3, 4} and found[3:] == [0, 2]  # 3 is close in meaning: it answers
    assert found.index(4) < found.index(1)  # the person reorders the answers
    plain = [i for i, _ in search(ranker, QUERY, x, k=5, embeddings=emb)]
    assert plain.index(1) < plain.index(4)


def answer_first(reply) -> tuple[int, int]:
    """How many results answer the query and how many do not, asserting the first all come first, each by score."""
    elsewhere = [p.reason in ELSEWHERE for p in reply.papers]
    n = elsewhere.index(True) if True in elsewhere else len(elsewhere)
    assert not any(elsewhere[:n]) and all(elsewhere[n:]), [(p.title[:40], p.reason) for p in reply.papers]
    for tier in (reply.papers[:n], reply.papers[n:]):
        assert [p.score for p in tier] == sorted((p.score for p in tier), reverse=True)
    return n, len(elsewhere) - n


def test_a_searchers_profile_reorders_the_answers_and_adds_only_after_them(papers_store, settings):
    cmds = by_meaning(papers_store, settings, flock=False)
    assert cmds.interests_add(ADA, "zero-shot learning").ok
    counts = {q: answer_first(cmds.search(ADA, q, k=40))
              for q in ("speech recognition", "protein folding", "robots", QUERY, "graph neural networks")}
    assert counts["robots"][1] > 0 and counts["protein folding"][1] > 0  # profile-only results are still shown, after the answers
    mine = [p.title for p in cmds.search(ADA, "speech recognition", k=10).papers]
    anyone = [p.title for p in cmds.search(BOB, "speech recognition", k=10).papers]
    crest = next(t for t in mine if t.startswith("CREST"))  # holds "recognition"; on zero-shot learning
    assert crest not in anyone or mine.index(crest) < anyone.index(crest)


@pytest.mark.semantic  # the shipped sentence model, as the demo ranks
def test_the_demo_readers_search_lists_papers_holding_the_words_before_her_own_topic(papers_store, settings, cli):
    cmds = Commands(papers_store, settings)
    add_demo_team(cmds, load_demo_team())
    embed_missing(papers_store, cmds.recommender.embedder)
    for query in ("speech recognition", "protein folding", QUERY):
        results = json.loads(cli("search", query, "--user", "ada", "--json").stdout)["results"]
        elsewhere = [r["reason"].startswith("for your interests") or r["reason"].startswith("nearest in meaning")
                     for r in results]
        n = elsewhere.index(True) if True in elsewhere else len(elsewhere)
        assert n > 0 and all(elsewhere[n:]), (query, [(r["title"][:40], r["reason"]) for r in results])
