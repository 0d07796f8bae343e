"""Search through the store (issue 11): index candidates re-ranked, persisted TF-IDF rows, refits beside requests."""

import datetime as dt
import json
import re
import threading

from rich.console import Console
from sqlalchemy import func, select

from bot.commands import POSITIVE, Caller, Commands
from bot.console import render_item
from bot.digest import meta_line
from bot.discord.embeds import paper_embed
from recommender.ingest import ingest_bytes
from recommender.lexical_search import POOL
from recommender.pick import Pick
from recommender.picks import Recommender
from recommender.settings import RecommenderSettings
from recommender.store import ModelState, Paper, TfidfRows
from recommender.store.fulltext import candidates
from recommender.text.vectors import embed_missing

ADA = Caller("slack", "T1", "UADA")


def tfidf_only(store):
    return Recommender(store, RecommenderSettings(semantic=False))


def all_papers(store):
    with store.session() as s:
        return s.scalars(select(Paper).order_by(Paper.id)).all()


def top(rec, query, **kw):
    with rec.store.session() as s:
        found = rec.search(s, query, k=kw.pop("k", 3), **kw)
    return [p.paper_id for p in found]


def distinctive_names(papers):
    names = {}
    for p in papers:
        if ":" in p.title:
            names.setdefault(p.title.split(":", 1)[0].strip(), []).append(p)
    return {
        name: group[0] for name, group in names.items()
        if len(group) == 1 and not any(name.lower() in q.title.lower() for q in papers if q is not group[0])
    }


def parenthesised_names(papers):
    """The one-word names in the sample titles' parentheses ("Adaptive Precision Training (AdaPT): ...")."""
    names = {name: p for p in papers for name in re.findall(r"\(([\w-]+)\)", p.title)}
    assert set(names) == {"AdaPT", "TADPOLE", "X-NeSyL", "GaSNets"}
    return names


def count(store, column):
    with store.session() as s:
        return s.scalar(select(func.count(column)))


def hf_item(arxiv_id, title, summary, published="2024-05-10T00:00:00.000Z"):
    return {"paper": {"id": arxiv_id, "title": title, "summary": summary, "authors": [{"name": "Ada Lovelace"}],
                      "publishedAt": published}}


def test_names_titles_and_one_paper_words_find_their_paper_first_through_search(papers_store):
    rec = tfidf_only(papers_store)
    papers = all_papers(papers_store)
    names = distinctive_names(papers)
    assert len(names) >= 90
    assert [n for n, p in names.items() if top(rec, n)[:1] != [p.id]] == []
    assert [n for n, p in parenthesised_names(papers).items() if top(rec, n)[:1] != [p.id]] == []
    assert [p.title for p in papers if top(rec, p.title)[:1] != [p.id]] == []
    [zkdl] = [p for p in papers if p.title.startswith("zkDL:")]
    assert top(rec, "zkReLU") == [zkdl.id]  # one paper holds the word: the TF-IDF vocabulary dropped it
    assert top(rec, f"#{zkdl.id}")[:1] == [zkdl.id]
    assert top(rec, "xylophone quokka") == []


def test_the_bars_hold_with_stored_embeddings_mixed_in(papers_store):
    rec = Recommender(papers_store)
    assert rec.embedder is not None
    embed_missing(papers_store, rec.embedder)
    papers = all_papers(papers_store)
    names = distinctive_names(papers)
    assert [n for n, p in names.items() if top(rec, n)[:1] != [p.id]] == []
    assert [n for n, p in parenthesised_names(papers).items() if top(rec, n)[:1] != [p.id]] == []
    assert [p.title for p in papers if top(rec, p.title)[:1] != [p.id]] == []
    # by meaning: a paper sharing no word with the query is a candidate too
    query = "pictures of cats"
    found = top(rec, query, k=10)
    assert len(found) == 10
    with papers_store.session() as s:
        vec = rec.vectorizer(s)
        by_words = {pid for pid, _ in candidates(s, query, limit=max(POOL, 10 * 10), stop_words=vec.stop_words,
                                                 document_frequency=vec.document_frequency)}
    assert by_words and set(found) - by_words  # some are found by meaning alone, though words find papers too
    # but a query that shares no term with any paper and means nothing finds nothing
    assert [q for q in ("zzzzqqq", "???", "the", "banana bread recipe") if top(rec, q)] == []


def test_since_never_treats_an_ingest_day_as_a_publication_day(papers_store):
    rec = tfidf_only(papers_store)
    papers = {p.id: p for p in all_papers(papers_store)}
    assert any(p.published is None for p in papers.values())
    everything = top(rec, "learning model", k=200)
    assert any(papers[i].published is None for i in everything)
    dated = top(rec, "learning model", k=200, since=dt.date(1900, 1, 1))
    assert dated and all(papers[i].published is not None for i in dated)
    assert set(dated) == {i for i in everything if papers[i].published is not None}
    cut = sorted(papers[i].published for i in dated)[len(dated) // 2]
    assert all(papers[i].published >= cut for i in top(rec, "learning model", k=200, since=cut))
    assert all(papers[i].published <= cut for i in top(rec, "learning model", k=200, until=cut))
    assert top(rec, "learning model", source="arxiv_rss") == []


def test_rows_persist_per_model_and_a_new_process_reads_them_instead_of_the_text(papers_store):
    first = tfidf_only(papers_store)
    before = top(first, "graph neural networks", k=5)
    assert count(papers_store, ModelState.id) == 1
    with papers_store.session() as s:
        stored = s.scalar(select(func.sum(TfidfRows.n_rows)))
    assert stored == 216
    batches = count(papers_store, TfidfRows.id)
    second = tfidf_only(papers_store)  # a fresh process: loads the model and its rows
    assert top(second, "graph neural networks", k=5) == before
    assert count(papers_store, TfidfRows.id) == batches  # nothing vectorised again
    with papers_store.session() as s:
        model = second.vectors.model(s)
        assert len(model.rows) == 216 and model.rows.matrix.shape == (216, model.n_features)
    # a paper stored later gets its row once, appended to the matrix and to the table
    item = hf_item("2405.09999", "QuokkaNet: Marsupial Vision", "We present QuokkaNet, a graph vision model.")
    ingest_bytes(papers_store, json.dumps([item]).encode(), source="late.json")
    [late] = top(second, "QuokkaNet", k=1)
    assert count(papers_store, TfidfRows.id) == batches + 1
    assert top(first, "QuokkaNet", k=1) == [late]  # the other process appends it to its own matrix
    with papers_store.session() as s:
        assert len(second.vectors.model(s).rows) == 217 and s.scalar(select(func.sum(TfidfRows.n_rows))) in (217, 218)


def test_a_fresh_process_searches_before_reading_every_row_and_finds_the_same(papers_store, settings):
    loaded = tfidf_only(papers_store)
    with papers_store.session() as s:
        loaded.vectors.model(s)  # fits, stores the model and every row, holds the matrix
    Commands(papers_store, settings, loaded).feedback(ADA, top(loaded, "graph neural networks", k=1)[0], POSITIVE)
    fresh = tfidf_only(papers_store)  # another process
    for query in ["graph neural networks", "quantization of large language models", "zkReLU"]:
        assert top(fresh, query, k=10) == top(loaded, query, k=10)
        with papers_store.session() as s:
            ada = Commands(papers_store, settings, fresh).member(s, ADA)
            assert [p.paper_id for p in fresh.search(s, query, 10, member=ada)] == \
                [p.paper_id for p in loaded.search(s, query, 10, member=ada)]
    assert not fresh.vectors.rows_loaded  # the candidates' text was vectorised, not 216 rows read
    fresh.warm_up()
    fresh.vectors.load_in_background(papers_store).join(timeout=60)
    assert fresh.vectors.rows_loaded
    assert top(fresh, "graph neural networks", k=10) == top(loaded, "graph neural networks", k=10)


def test_requests_never_refit_a_usable_model_and_a_refit_does_not_wait_for_them(papers_store):
    rec = tfidf_only(papers_store)
    top(rec, "graph", k=1)
    items = [hf_item(f"2406.{n:05d}", f"Wombat{n} burrow networks", f"Wombat{n} digs burrows with graph planning.")
             for n in range(150)]
    ingest_bytes(papers_store, json.dumps(items).encode(), source="growth.json")
    with papers_store.session() as s:
        assert rec.needs_refit(s)  # 366 papers against a fit on 216
    assert top(rec, "Wombat7", k=1)  # found through the index with the old model: no refit in the request
    assert count(papers_store, ModelState.id) == 1
    done = threading.Event()
    with rec._lock:  # a request in progress holds the lock requests take
        refit = threading.Thread(target=lambda: (rec.refit(), done.set()))
        refit.start()
        refit.join(timeout=120)
        assert done.is_set()  # the refit finished while the request held the lock
    assert count(papers_store, ModelState.id) == 2
    with papers_store.session() as s:
        assert not rec.needs_refit(s)
        model = rec.vectors.model(s)
        assert model.state_id == s.scalar(select(func.max(ModelState.id))) and len(model.rows) == 366
        assert model.vectorizer.n_papers_fit_ == 366


def test_a_week_old_model_is_refitted_once_the_store_grew_by_one_percent(papers_store):
    """A trial: words of papers ingested after the fit ("reward models") counted for nothing, and reasons said
    "no term in common", until the store grew by half: months in a store of 100,000 papers."""
    rec = tfidf_only(papers_store)
    top(rec, "graph", k=1)  # fits the model on the 216 papers
    now = dt.datetime.now(dt.UTC)
    items = [hf_item(f"2406.{n:05d}", f"Quokkanet reward models {n}", "Quokkanet learns from human feedback.")
             for n in range(3)]
    ingest_bytes(papers_store, json.dumps(items).encode(), source="week.json")  # 219 papers: +1.4 %
    with papers_store.session() as s:
        assert rec.vectors.model(s).vectorizer.document_frequency("quokkanet") is None
        assert not rec.needs_refit(s, now + dt.timedelta(days=6))
        assert rec.needs_refit(s, now + dt.timedelta(days=8))
    rec.refit()
    with papers_store.session() as s:
        assert not rec.needs_refit(s, now + dt.timedelta(days=30))  # nothing new since this fit
        assert rec.vectors.model(s).vectorizer.document_frequency("quokkanet") is not None


def test_a_person_re_ranks_search_and_picks_still_rank_from_the_stored_rows(papers_store, settings):
    cmds = Commands(papers_store, settings, tfidf_only(papers_store))
    found = cmds.search(ADA, "graph neural networks", k=10).papers
    assert len(found) == 10
    liked = found[-1]
    cmds.feedback(ADA, liked.paper_id, POSITIVE)
    personal = cmds.search(ADA, "graph neural networks", k=10).papers
    assert [p.paper_id for p in personal].index(liked.paper_id) < 9  # the liked paper rises for its liker
    picks = cmds.picks(ADA, 5).papers
    assert len(picks) == 5 and liked.paper_id not in {p.paper_id for p in picks}


def test_every_rendering_shows_the_date_or_undated():
    undated = Pick(paper_id=1, ref="#1", title="A paper", url=None, authors=("Ada",), source_kind="hf_page",
                   published=None, abstract="Text.")
    dated = Pick(paper_id=2, ref="2405.00001", title="B paper", url=None, authors=("Bo",), source_kind="hf_api",
                 published=dt.date(2024, 5, 1), abstract="Text.")
    assert meta_line(undated).endswith("undated") and meta_line(dated).endswith("2024-05-01")
    console = Console(record=True, width=200)
    render_item(console, 1, undated)
    assert "undated" in console.export_text()
    fields = {f.name: f.value for f in paper_embed(undated).fields}
    assert fields["Date"] == "undated"
    assert {f.name: f.value for f in paper_embed(dated).fields}["Date"] == "2024-05-01"


def test_the_refit_job_refits_the_shared_recommender_only_when_the_policy_asks(papers_store, settings):
    from bot.service.context import JobContext, set_context
    from bot.service.refit_job import refit_job

    ctx = JobContext(papers_store, settings, {}, recommender=tfidf_only(papers_store))
    set_context(ctx)
    try:
        top(ctx.recommender, "graph", k=1)
        refit_job()
        assert count(papers_store, ModelState.id) == 1  # fitted on every paper there is: nothing to do
        items = [hf_item(f"2406.{n:05d}", f"Numbat{n} sensing", f"Numbat{n} senses termites.") for n in range(150)]
        ingest_bytes(papers_store, json.dumps(items).encode(), source="growth.json")
        refit_job()
        assert count(papers_store, ModelState.id) == 2
        with papers_store.session() as s:
            assert ctx.recommender.vectors.model(s).vectorizer.n_papers_fit_ == 366
    finally:
        set_context(None)


def test_cli_refit_and_search_show_dates(db_url, sample_digests):
    from typer.testing import CliRunner

    from bot.cli import app

    def cli(*args):
        return CliRunner().invoke(app, ["--database-url", db_url, "--log-level", "WARNING", *map(str, args)],
                                  env={"COLUMNS": "200"})

    assert cli("ingest", sample_digests).exit_code == 0  # 216 papers: the first model is the first picks' to fit
    assert json.loads(cli("refit", "--if-needed", "--json").stdout)["refitted"]  # no model yet
    fitted = json.loads(cli("refit", "--json").stdout)
    assert fitted["refitted"] and fitted["papers"] == 216 and fitted["features"] > 0
    assert json.loads(cli("refit", "--if-needed", "--json").stdout) == {"refitted": False}
    table = cli("search", "graph neural networks", "-k", "20").stdout
    assert "undated" in table and re.search(r"│ \d{4}-\d{2}-\d{2} │", table)
    header = [cell.strip() for cell in next(line for line in table.splitlines() if "paper" in line).split("┃")[1:-1]]
    assert header == ["ref", "paper", "date"]  # a place in the list (1, 2, 3) was read as #1, #2, #3
    first = next(line for line in table.splitlines() if line.startswith("│ #"))
    assert re.match(r"│ #\d+ +│", first)


def test_ingest_fits_the_first_model_rather_than_the_first_picks(db_url, sample_digests, monkeypatch):
    """A trial's first `picks` after a bulk ingest fitted the model itself, silent for 82 s on 100,000 papers."""
    from typer.testing import CliRunner

    from bot.cli import app, ingest

    monkeypatch.setattr(ingest, "FIRST_FIT_AT", 200)  # the bundled 216 papers stand for a bulk load

    def cli(*args):
        return CliRunner().invoke(app, ["--database-url", db_url, *map(str, args)], env={"COLUMNS": "200"})

    ingested = cli("ingest", sample_digests)
    assert ingested.exit_code == 0 and "Fitted the TF-IDF model on 216 papers." in ingested.output
    assert json.loads(cli("refit", "--if-needed", "--json").stdout) == {"refitted": False}


def test_a_background_load_that_fails_logs_one_line(papers_store, caplog):
    """The operations trial: with the database down, the warm-up logged the driver's multi-line message."""
    import logging

    from sqlalchemy import text

    from recommender.text.current import CurrentVectors

    with papers_store.session() as s:
        for table in ("papers", "model_state", "tfidf_rows"):  # every read fails, as in an outage
            s.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))
    with caplog.at_level(logging.WARNING, logger="recommender.text.current"):
        CurrentVectors(None).load_in_background(papers_store).join(timeout=60)
    [line] = [r for r in caplog.records if r.getMessage().startswith("could not load the TF-IDF rows")]
    assert line.getMessage() == "could not load the TF-IDF rows in the background"
    assert "\n" not in line.error and line.error.startswith(("OperationalError", "ProgrammingError"))
