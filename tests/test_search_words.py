"""``paperbot search`` by words alone (issue 11): the full search's results, without importing numpy or scipy."""

import datetime as dt
import math
import pickle
import struct
import subprocess
import sys
import zlib

import pytest
from sqlalchemy import delete, select

from recommender.lexical_search import WordModel, find_words
from recommender.picks import Recommender
from recommender.settings import RecommenderSettings
from recommender.store import ModelState, Paper, TfidfRows
from recommender.text.analyzer import OLD_MARKER
from recommender.text.vectors import embed_missing

QUERIES = ["graph neural networks", "quantization of large language models", "zkReLU", "diffusion", "the of",
           "xylophone quokka", "attention is all", ""]
BOUNDS = [{}, {"since": dt.date(2021, 1, 1)}, {"until": dt.date(2023, 6, 30)}, {"source": "hf_page"},
          {"source": "arxiv_rss"}]


def full(rec, query, k=10, **bounds):
    with rec.store.session() as s:
        return [(p.paper_id, p.score, p.reason) for p in rec.search(s, query, k, **bounds)]


def words(store, query, k=10, semantic=False, **bounds):
    with store.session() as s:
        hits = find_words(s, query, k, semantic=semantic, **bounds)
    return None if hits is None else [(p.paper_id, p.score, p.reason) for p in hits]


def same(found, expected):
    """The same papers in the same order with the same reasons, scores equal to float32 rounding."""
    return found is not None and [(i, r) for i, _, r in found] == [(i, r) for i, _, r in expected] and all(
        abs(a - b) < 1e-6 for (_, a, _), (_, b, _) in zip(found, expected, strict=True))


def test_words_alone_give_the_full_searchs_papers_order_and_scores(papers_store):
    rec = Recommender(papers_store, RecommenderSettings(semantic=False))
    with papers_store.session() as s:  # the template's model gone: as before the first request
        s.execute(delete(TfidfRows))
        s.execute(delete(ModelState))
    assert words(papers_store, "graph") is None  # no model stored yet: the full search fits one first
    full(rec, "graph")
    with papers_store.session() as s:
        papers = s.scalars(select(Paper)).all()
    queries = QUERIES + [p.title for p in papers[::7]] + [p.ref for p in papers[::11]] + [f"#{papers[3].id}"]
    differ = [(q, b) for q in queries for b in BOUNDS if not same(words(papers_store, q, **b), full(rec, q, **b))]
    assert differ == []
    assert len(words(papers_store, "learning", k=50)) == 50 and same(words(papers_store, "learning", k=1), full(rec, "learning", k=1))


def test_words_alone_decline_when_embeddings_would_be_mixed_in(papers_store):
    rec = Recommender(papers_store)
    full(rec, "graph")
    assert words(papers_store, "graph", semantic=True) is not None  # no embedding stored yet
    embed_missing(papers_store, rec.embedder)
    assert words(papers_store, "graph", semantic=True) is None
    tfidf_only = Recommender(papers_store, RecommenderSettings(semantic=False))
    assert same(words(papers_store, "graph neural networks"), full(tfidf_only, "graph neural networks"))


def test_a_model_stored_in_the_earlier_layout_is_left_to_the_full_search(papers_store):
    rec = Recommender(papers_store, RecommenderSettings(semantic=False))
    before = full(rec, "graph neural networks")
    with papers_store.session() as s:
        stored = s.scalars(select(ModelState)).one()
        vectorizer = rec.vectors.few_rows(s, [])[0]
        state = {"terms": vectorizer.terms, "idf": vectorizer.idf, "authors": vectorizer.authors,
                 "author_idf": vectorizer.author_idf, "stop_words": sorted(vectorizer.stop_words),
                 "ngram_range": vectorizer.ngram_range, "sublinear_tf": vectorizer.sublinear_tf,
                 "author_weight": vectorizer.author_weight, "n_papers_fit": vectorizer.n_papers_fit_,
                 "min_fit_papers": vectorizer.min_fit_papers, "refit_growth": vectorizer.refit_growth}
        stored.blob = OLD_MARKER + zlib.compress(pickle.dumps(state))  # numpy arrays inside, as version 1 wrote
    assert words(papers_store, "graph neural networks") is None
    assert full(Recommender(papers_store, RecommenderSettings(semantic=False)), "graph neural networks") == before


def test_a_search_from_the_command_line_imports_neither_numpy_nor_scipy(db_url, sample_digests, tmp_path):
    def paperbot(*args, check_modules=False):
        code = ("import sys\nfrom bot.cli.main import main\n"
                f"sys.argv = ['paperbot', '--database-url', {db_url!r}, '--log-level', 'WARNING', *{[str(a) for a in args]!r}]\n"
                "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
                + ("print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy'}))\n"
                   if check_modules else ""))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={"PAPERBOT_RECOMMENDER__SEMANTIC": "false", "PATH": "", "COLUMNS": "200",
                                   "HOME": str(tmp_path)})
        assert done.returncode == 0, done.stderr
        return done.stdout

    paperbot("ingest", sample_digests)
    paperbot("refit")
    out = paperbot("search", "Forward Learning of Graph Neural Networks", "-k", "3", check_modules=True)
    assert "Forward Learning of Graph Neural Networks" in out.splitlines()[3]
    assert "LOADED []" in out


@pytest.mark.parametrize("terms", [["adam", "graph", "graph neural", "neural"], ["graph", "adam", "neural", "graph neural"]])
def test_the_word_model_reads_each_terms_idf_in_any_term_order(terms):
    idf = {"adam": 3.5, "graph": 1.25, "graph neural": 2.0, "neural": 1.5}
    state = {"terms": terms, "idf": struct.pack(f"<{len(terms)}f", *(idf[t] for t in terms)), "authors": [],
             "stop_words": [], "ngram_range": (1, 2), "sublinear_tf": True, "author_weight": 0.0,
             "n_papers_fit": 10, "min_fit_papers": 2}
    model = WordModel(state)
    assert {t: model.idf(t) for t in idf} == idf
    assert model.idf("aaa") is None and model.idf("zzz") is None and model.idf("graph n") is None
    assert model.weights("graph neural graph") == pytest.approx({"graph": (1 + math.log(2)) * 1.25, "neural": 1.5,
                                                                 "graph neural": 2.0})
