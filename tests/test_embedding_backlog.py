"""A backfill's papers lacking sentence vectors do not hold the day's digests: more than ``EMBED_WHEN_RANKING`` of
them, and the ranking goes by TF-IDF alone, on time, while the ingest job embeds them (an operator's trial: 60,000
papers dropped in the inbox held every digest 15 minutes and more, embedded before ranking)."""

import pytest
from embedder_fake import HashEmbedder
from sqlalchemy import func, select

from bot.commands import POSITIVE, Caller, Commands
from recommender import picks as picks_module
from recommender import prepared
from recommender.picks import Recommender
from recommender.settings import RecommenderSettings
from recommender.store import Member, Paper, PaperEmbedding
from recommender.text.vectors import embed_missing

ADA = Caller("slack", "T1", "U1", display_name="ada")


def vectors(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(PaperEmbedding)) or 0


def ranked(rec, store) -> list[int]:
    with store.session() as s:  # as the digest planner does: vectors stored first, then the ranking
        rec.prepare(s)
    with store.session() as s:
        member = s.scalars(select(Member)).one()
        return [p.paper_id for p in rec.picks(s, [member], 10)[0]]


@pytest.mark.parametrize("like", [True, False])  # with no 👍, every stored paper is a candidate: no corpus at all
def test_too_many_papers_lacking_a_vector_rank_by_tfidf_alone_until_they_are_embedded(papers_store, settings,
                                                                                      monkeypatch, like):
    cmds = Commands(papers_store, settings)
    assert cmds.interests_add(ADA, "graph neural networks").ok
    with papers_store.session() as s:
        liked = s.scalars(select(Paper.id).where(Paper.title.ilike("%graph%")).order_by(Paper.id)).first()
    assert not like or cmds.rate(ADA, f"#{liked}", POSITIVE).ok  # a liked paper's vector is no exception
    assert vectors(papers_store) == 0  # the sample store's 216 papers: none embedded yet
    for module in (prepared, picks_module):
        monkeypatch.setattr(module, "EMBED_WHEN_RANKING", 50)  # a backfill of 216 papers, by this bound
    embedder = HashEmbedder()  # the rule, not the model, is tested: a stand-in with no runtime to load
    hybrid = Recommender(papers_store, embedder=embedder)
    backlog = ranked(hybrid, papers_store)
    assert vectors(papers_store) == 0  # nothing embedded on the way to the ranking, the liked paper's neither
    assert backlog == ranked(Recommender(papers_store, RecommenderSettings(semantic=False)), papers_store)

    embed_missing(papers_store, embedder)  # the ingest job's pass over the backlog
    assert vectors(papers_store) == 216
    # the same process ranks with the vectors now, as a new one would: the day's fallback is not kept
    with_vectors = ranked(Recommender(papers_store, embedder=embedder), papers_store)
    assert with_vectors != backlog and ranked(hybrid, papers_store) == with_vectors
