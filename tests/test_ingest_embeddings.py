"""Scheduled sources embed what they store, at ingest; two writers embedding one paper store it once.

An operations trial dropped 12,000 papers into an inbox: only ``paperbot ingest`` embedded at
ingest, so the next digest embedded them all first and was minutes late, with no log line.
"""

import datetime as dt
import logging
import threading

import numpy as np
import pytest
from embedder_fake import HashEmbedder
from sqlalchemy import func, select

from bot.service.context import JobContext, set_context
from bot.service.once import run_once
from bot.service.scheduler import ingest_job
from bot.settings import InboxSource
from recommender.ingest import IngestResult, insert_new_papers, resolve_records
from recommender.picks import Recommender
from recommender.sources.records import PaperRecord, title_key
from recommender.store import Paper, PaperEmbedding
from recommender.text.embeddings import embedding_text
from recommender.text.vectors import count_missing, embed_missing, embeddings_for

pytestmark = pytest.mark.strict_logs


def inbox_with_sample(tmp_path, sample_digests):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "today.txt").write_bytes((sample_digests / "001_22f0a1ce284fcda3.txt").read_bytes())
    return InboxSource(name="drop", path=inbox, every_minutes=5, settle_seconds=0)


def stored_papers(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(Paper)) or 0


def test_scheduled_inbox_job_embeds_the_papers_it_stored(store, settings, sample_digests, tmp_path, caplog):
    embedder = HashEmbedder()
    spec = inbox_with_sample(tmp_path, sample_digests)
    set_context(JobContext(store, settings, {}, [spec], recommender=Recommender(store, settings.recommender, embedder=embedder)))
    with caplog.at_level(logging.INFO, logger="bot.service.embedding"):
        ingest_job("drop")
    papers = stored_papers(store)
    assert papers > 0
    with store.session() as s:
        assert count_missing(s, embedder) == 0
    (line,) = [r for r in caplog.records if r.getMessage() == "papers embedded"]
    assert line.papers == papers and line.model == "hash-embedder"
    # how far it is, after the first batch (216 papers: one batch), then at most once a minute (a trial's backfill)
    (first,) = [r for r in caplog.records if r.getMessage() == "embedding papers"]
    assert (first.done, first.of) == (papers, papers)
    ingest_job("drop")  # nothing new: nothing encoded again
    assert len(embedder.texts) == papers


def test_a_backlog_is_embedded_by_the_next_source_run_that_stores_nothing(store, settings, sample_digests, tmp_path):
    """A review: papers left without a vector (a pass cut short, an import past its limit) waited for the next new
    paper, and a ranking embeds at most 1,000 of them: every digest meanwhile went by TF-IDF alone."""
    embedder = HashEmbedder()
    spec = inbox_with_sample(tmp_path, sample_digests)
    set_context(JobContext(store, settings, {}, [spec], recommender=Recommender(store, settings.recommender, embedder=embedder)))
    ingest_job("drop")
    with store.session() as s:
        s.execute(PaperEmbedding.__table__.delete().where(PaperEmbedding.paper_id.in_(
            select(Paper.id).order_by(Paper.id).limit(5).scalar_subquery())))
        assert count_missing(s, embedder) == 5
    ingest_job("drop")  # an empty inbox: nothing stored
    with store.session() as s:
        assert count_missing(s, embedder) == 0


def test_run_once_embeds_at_ingest_before_ranking(store, settings, sample_digests, tmp_path, caplog):
    embedder = HashEmbedder()
    ctx = JobContext(store, settings, {}, [inbox_with_sample(tmp_path, sample_digests)],
                     recommender=Recommender(store, settings.recommender, embedder=embedder))
    with caplog.at_level(logging.INFO):
        run_once(ctx)
    with store.session() as s:
        assert count_missing(s, embedder) == 0
    assert [r.getMessage() for r in caplog.records].count("papers embedded") == 1
    assert "embedding papers before ranking" not in [r.getMessage() for r in caplog.records]


def test_a_shutdown_stops_embedding_between_batches(store, settings, sample_digests, tmp_path):
    from recommender.ingest import ingest

    ingest(store, [str(sample_digests / "001_22f0a1ce284fcda3.txt")])
    stop = threading.Event()
    stop.set()
    assert embed_missing(store, HashEmbedder(), batch_size=4, stop=stop) == 0
    with store.session() as s:
        assert count_missing(s, HashEmbedder()) == stored_papers(store)


def test_a_paper_embedded_meanwhile_by_another_writer_is_kept_not_an_error(store, sample_digests):
    """A ranking embeds a new paper while the ingest job stores the same paper's vector and commits."""
    from recommender.ingest import ingest

    ingest(store, [str(sample_digests / "001_22f0a1ce284fcda3.txt")])
    other = HashEmbedder()
    ranking = HashEmbedder(during_encode=lambda: embed_missing(store, other))
    with store.session() as s:
        papers = s.scalars(select(Paper).order_by(Paper.id).limit(3)).all()
        vectors = embeddings_for(s, papers, ranking)
    assert vectors.shape == (3, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    with store.session() as s:
        rows = s.execute(select(PaperEmbedding.paper_id, func.count()).group_by(PaperEmbedding.paper_id)).all()
    assert len(rows) == stored_papers(store) and {n for _, n in rows} == {1}


def test_a_paper_whose_text_changed_while_encoded_keeps_no_stale_vector(store, sample_digests):
    """An arXiv lookup fills a paper's abstract (and forgets its vector) while a batch with it is encoded."""
    from recommender.ingest import ingest
    from recommender.text.vectors import forget_embeddings

    ingest(store, [str(sample_digests / "001_22f0a1ce284fcda3.txt")])
    with store.session() as s:
        first = s.scalars(select(Paper).order_by(Paper.id).limit(1)).one().id

    def enrich_meanwhile():
        with store.session() as s:
            s.get(Paper, first).abstract = "An abstract the arXiv API returned while the batch was encoded."
            forget_embeddings(s, first)

    embedder = HashEmbedder(during_encode=enrich_meanwhile)
    assert embed_missing(store, embedder) == stored_papers(store)
    with store.session() as s:
        assert s.scalars(select(PaperEmbedding.paper_id).where(PaperEmbedding.paper_id == first)).all() == []
        assert count_missing(s, embedder) == 1  # the next pass embeds its new text
    embed_missing(store, embedder)
    with store.session() as s:
        paper = s.get(Paper, first)
        assert np.allclose(embeddings_for(s, [paper], embedder), embedder.encode([embedding_text(paper.title, paper.abstract)]))


def test_two_jobs_embedding_at_once_encode_each_paper_once(store, settings, sample_digests):
    """A second job finding one under way returns at once (waiting would hold a thread digests need), and
    the one under way also embeds what the second stored: each paper encoded once, none left."""
    from bot.service.embedding import embed_stored
    from bot.service.ingest_jobs import SourceRunResult
    from recommender.ingest import ingest

    ingest(store, [str(sample_digests / "001_22f0a1ce284fcda3.txt")])
    stored = [SourceRunResult(source="drop", kind="inbox", new_papers=1)]
    second, returned = HashEmbedder(), []

    def second_job_stores_and_finishes():
        ingest(store, [str(sample_digests / "000_c6f8620f3de3774f.txt")])
        returned.append(embed_stored(store, second, stored))

    first = HashEmbedder(during_encode=second_job_stores_and_finishes)
    embed_stored(store, first, stored)
    assert returned == [0] and second.texts == []
    assert len(first.texts) == len(set(first.texts)) == stored_papers(store)
    with store.session() as s:
        assert count_missing(s, first) == 0


def test_storing_vectors_never_waits_for_a_paper_another_transaction_is_changing(store, sample_digests):
    """Review: the share lock taken after the insert waited for an ingest updating a paper, and deadlocked
    when that ingest then updated a paper the ranking had locked. A paper being changed is skipped instead."""
    from sqlalchemy import text

    from recommender.ingest import ingest

    if store.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite has one writer at a time")
    ingest(store, [str(sample_digests / "001_22f0a1ce284fcda3.txt")])
    with store.session() as s:
        first, second = s.scalars(select(Paper.id).order_by(Paper.id).limit(2)).all()
    embedder, outcome = HashEmbedder(), []

    def rank():
        with store.session() as s:
            papers = s.scalars(select(Paper).where(Paper.id.in_([first, second])).order_by(Paper.id)).all()
            outcome.append(embeddings_for(s, papers, embedder).shape)

    with store.engine.connect() as ingesting:
        ingesting.execute(text("UPDATE papers SET abstract = 'new text' WHERE id = :id"), {"id": second})
        ranking = threading.Thread(target=rank)
        ranking.start()
        ranking.join(20)
        finished = not ranking.is_alive()
        ingesting.execute(text("UPDATE papers SET abstract = 'new text' WHERE id = :id"), {"id": first})
        ingesting.commit()
    ranking.join(20)
    assert finished and outcome == [(2, 8)]
    with store.session() as s:
        assert s.scalars(select(PaperEmbedding.paper_id)).all() == [first]  # the paper being changed: next pass


RACED = "A Paper Two Writers Stored"
SHORT = "The abstract the other writer stored."


@pytest.mark.parametrize(("learned", "forgotten"), [
    ({"doi": "10.1234/raced"}, False),  # a DOI, a link, a date: no word the model reads
    ({"url": "https://example.org/raced", "published": dt.date(2024, 5, 24)}, False),
    ({"abstract": SHORT + " And the longer one this digest has, with its results."}, True),
])
def test_a_paper_a_racing_writer_stored_keeps_its_vector_unless_the_merge_changed_its_text(store, learned, forgotten):
    """Our ingest found the paper missing; another writer stored and embedded it before our insert, which
    then merges our record into that row: its vector is kept unless the merge changed its title or abstract."""
    record = PaperRecord(title=RACED, arxiv_id="2405.01234", abstract=learned.get("abstract", SHORT),
                         doi=learned.get("doi"), url=learned.get("url"), published=learned.get("published"))
    with store.session() as s:  # our lookup, before the other writer commits: the paper is new
        _, new = resolve_records(s, [record], "hf_api", IngestResult(source="ours"))
    assert len(new) == 1
    with store.session() as s:
        s.add(Paper(arxiv_id="2405.01234", title=RACED, title_key=title_key(RACED), abstract=SHORT, authors=[],
                    source_kind="arxiv_atom"))
    assert embed_missing(store, HashEmbedder()) == 1
    with store.session() as s:
        before = s.execute(select(PaperEmbedding.paper_id, PaperEmbedding.vector)).all()
    result = IngestResult(source="ours", new=1)
    with store.session(immediate=True) as s:
        insert_new_papers(s, new, result)
    assert (result.new, result.known, result.updated, result.new_paper_ids) == (0, 1, 1, [])  # our merge: updated
    with store.session() as s:
        paper = s.scalars(select(Paper)).one()
        assert paper.abstract == record.abstract and (paper.doi, paper.url) == (record.doi, record.url)
        after = s.execute(select(PaperEmbedding.paper_id, PaperEmbedding.vector)).all()
    assert after == ([] if forgotten else before)
