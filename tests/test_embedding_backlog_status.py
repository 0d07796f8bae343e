"""`paperbot status` says when ranking goes by TF-IDF alone for lack of sentence vectors, and `paperbot embed` computes them.

A researcher's trial on a year-old store: status said "TF-IDF and sentence embeddings" while none of 100,303
papers had a vector (picks fell back to TF-IDF alone, said only in an INFO log), and no command embedded them.
"""


import pytest
from test_status import status
from typer.testing import CliRunner

from bot.cli.main import app
from recommender.prepared import EMBED_WHEN_RANKING
from recommender.store import Paper


def add_papers(store, n: int) -> None:
    with store.session() as s:
        s.add_all(Paper(title_key=f"paper {i}", title=f"Paper {i}", abstract="", authors=[], source_kind="hf_api")
                  for i in range(n))


@pytest.mark.semantic  # status counts the vectors of the shipped model's version (no text is encoded)
def test_status_says_ranking_is_tf_idf_alone_while_too_many_papers_lack_a_vector(store, db_url, tmp_path):
    add_papers(store, EMBED_WHEN_RANKING + 1)
    data, table = status(db_url, tmp_path)
    assert data["ranking"]["semantic"] is False and data["ranking"]["lacking_vectors"] == EMBED_WHEN_RANKING + 1
    assert "Ranking: TF-IDF alone for now: 1,001 papers lack a sentence vector (`paperbot embed` computes them" in table


@pytest.mark.semantic
def test_status_counts_the_papers_still_to_embed_below_the_bound(store, db_url, tmp_path):
    add_papers(store, 3)
    data, table = status(db_url, tmp_path)
    assert data["ranking"] == {"semantic": True, "reason": None, "lacking_vectors": 3}
    assert "Ranking: TF-IDF and sentence embeddings (3 papers still to embed)" in table


@pytest.mark.semantic  # the shipped model, on five short texts
def test_embed_computes_the_vectors_papers_lack_and_then_has_nothing_to_do(store, db_url, tmp_path):
    add_papers(store, 5)
    first = CliRunner().invoke(app, ["--database-url", db_url, "embed"])
    assert first.exit_code == 0 and "5 papers embedded." in first.output, first.output
    assert status(db_url, tmp_path)[0]["ranking"]["lacking_vectors"] == 0
    again = CliRunner().invoke(app, ["--database-url", db_url, "embed"])
    assert again.exit_code == 0 and "Every paper has its sentence vector." in again.output


def test_embed_with_semantic_ranking_off_says_so_and_fails(store, db_url):
    result = CliRunner().invoke(app, ["--database-url", db_url, "embed"])
    assert result.exit_code == 1
    assert "nothing to embed: semantic ranking is off ([recommender] semantic)" in result.output
