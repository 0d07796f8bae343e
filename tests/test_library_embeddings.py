"""A library import keeps the sentence vectors of the papers whose text it did not change, and embeds
the papers it leaves without one, so they are searched and ranked by meaning at once, not by TF-IDF
alone until a later job embeds them."""

import numpy as np
import pytest
from embedder_fake import HashEmbedder
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.commands import library as library_command
from recommender.picks import Recommender
from recommender.sources.records import title_key
from recommender.store import Paper, PaperEmbedding
from recommender.text.embeddings import embedding_text
from recommender.text.vectors import embed_missing

pytestmark = pytest.mark.strict_logs

LONGER = "Graph neural networks pass messages between nodes; this review compares thirty of them on ten benchmarks."

LIBRARY = f"""@article{{vaswani,
  title = {{Attention Is All You Need}},
  eprint = {{1706.03762}},
  doi = {{10.48550/arXiv.1706.03762}},
  year = {{2017}}
}}

@inproceedings{{devlin,
  title = {{BERT: Pre-training of Deep Bidirectional Transformers}},
  doi = {{10.18653/v1/N19-1423}},
  url = {{https://aclanthology.org/N19-1423}},
  year = 2019
}}

@article{{gnn,
  title = {{Graph Neural Networks: A Review}},
  abstract = {{{LONGER}}},
  year = 2020
}}

@misc{{fresh,
  title = {{A Paper Nobody Stored Yet}},
  abstract = {{Its words reach the ranking by meaning too.}},
  year = 2021
}}
"""


@pytest.fixture
def embedded_store(store):
    """Three stored papers (by arXiv id, by DOI, by title only), each with its vector."""
    with store.session() as s:
        for arxiv_id, title, doi, abstract in (
                ("1706.03762", "Attention Is All You Need", None, "We propose the Transformer."),
                (None, "BERT: Pre-training of Deep Bidirectional Transformers", "10.18653/v1/N19-1423",
                 "We introduce BERT."),
                (None, "Graph Neural Networks: A Review", None, "A short review.")):
            s.add(Paper(arxiv_id=arxiv_id, title=title, title_key=title_key(title), doi=doi, abstract=abstract,
                        authors=[], source_kind="arxiv_atom", is_news=True))
    assert embed_missing(store, HashEmbedder()) == 3
    return store


def _vectors(store) -> dict[str, tuple[int, bytes]]:
    """Paper title -> (row id, vector) of its stored embedding."""
    with store.session() as s:
        rows = s.execute(select(Paper.title, PaperEmbedding.id, PaperEmbedding.vector)
                         .join(PaperEmbedding, PaperEmbedding.paper_id == Paper.id)).all()
    return {title: (row_id, vector) for title, row_id, vector in rows}


def test_an_import_keeps_unchanged_vectors_and_embeds_the_papers_left_without_one(embedded_store, settings):
    before = _vectors(embedded_store)
    embedder = HashEmbedder()
    cmds = Commands(embedded_store, settings, Recommender(embedded_store, settings.recommender, embedder=embedder))
    reply = cmds.import_library(Caller("cli", "local", "ada"), LIBRARY.encode(), "lib.bib")
    assert reply.ok, reply.text
    after = _vectors(embedded_store)
    # a DOI, a link or a date learned changes no word the model reads: the vectors stay as they were
    for title in ("Attention Is All You Need", "BERT: Pre-training of Deep Bidirectional Transformers"):
        assert after[title] == before[title]
    # a longer abstract is new text: its vector is of the new text; the new paper has one too
    gnn = embedding_text("Graph Neural Networks: A Review", LONGER)
    fresh = embedding_text("A Paper Nobody Stored Yet", "Its words reach the ranking by meaning too.")
    assert sorted(embedder.texts) == sorted([gnn, fresh])
    assert np.allclose(np.frombuffer(after["Graph Neural Networks: A Review"][1], dtype="<f4"), embedder.encode([gnn])[0])
    assert set(after) == {*before, "A Paper Nobody Stored Yet"}


def test_the_vectors_computed_at_import_are_bounded(store, settings, monkeypatch):
    monkeypatch.setattr(library_command, "IMPORT_EMBED_LIMIT", 2)
    bib = "\n".join(f"@article{{k{i},\n  title = {{Synthetic paper number {i}}},\n  year = 2020\n}}" for i in range(5))
    embedder = HashEmbedder()
    cmds = Commands(store, settings, Recommender(store, settings.recommender, embedder=embedder))
    assert cmds.import_library(Caller("cli", "local", "bo"), bib.encode(), "big.bib").ok
    assert len(embedder.texts) == 2 and len(_vectors(store)) == 2  # the rest: the embedding job or the ranking
