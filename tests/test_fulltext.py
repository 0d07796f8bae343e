"""Full-text candidates from the database's index (FTS5 on SQLite, tsvector on PostgreSQL), on the sample digests."""

import datetime as dt
import json
import re

from sqlalchemy import delete, event, select, text

from recommender.ingest import ingest_bytes
from recommender.store import Paper
from recommender.store.fulltext import candidates, parenthesised_names, query_words
from recommender.store.word_counts import count_rare_words, papers_holding, rarest_within_budget


def all_papers(store):
    with store.session() as s:
        return s.scalars(select(Paper).order_by(Paper.id)).all()


def first(store, query, **kw):
    with store.session() as s:
        found = candidates(s, query, limit=kw.pop("limit", 5), **kw)
    return found[0][0] if found else None


def test_every_exact_title_finds_its_paper_first(papers_store):
    papers = all_papers(papers_store)
    assert len(papers) == 216
    missed = [p.title for p in papers if first(papers_store, p.title) != p.id]
    assert missed == []


def test_every_distinctive_name_before_a_colon_finds_its_paper_first(papers_store):
    papers = all_papers(papers_store)
    names = {}
    for p in papers:
        if ":" in p.title:
            names.setdefault(p.title.split(":", 1)[0].strip(), []).append(p)
    distinctive = {
        name: group[0] for name, group in names.items()
        if len(group) == 1 and not any(name.lower() in q.title.lower() for q in papers if q is not group[0])
    }
    assert {"GNNPipe", "zkDL", "CREST"} <= set(distinctive)
    assert len(distinctive) >= 90
    missed = [name for name, paper in distinctive.items() if first(papers_store, name) != paper.id]
    assert missed == []


def test_every_name_in_a_title_s_parentheses_finds_its_paper_first(papers_store):
    papers = all_papers(papers_store)
    held = {text: p for p in papers for text in re.findall(r"\(([^()]+)\)", p.title)}
    assert set(held) == {"per gradient", "TADPOLE", "X-NeSyL", "AdaPT", "GaSNets"}
    names = {text: p for text, p in held.items() if text != "per gradient"}  # a phrase, not a name
    missed = [name for name, paper in names.items() if first(papers_store, name) != paper.id]
    assert missed == []  # "AdaPT" was 6th, below papers on adaptation ("adapt" stems alike)
    with papers_store.session() as s:
        for query, named in [("AdaPT", [names["AdaPT"].id]), ("per gradient", []), ("adapt", []), ("ADAPT", [])]:
            exact: list[int] = []  # "(per gradient)" names nothing; a name in parentheses is read in its own case
            found = candidates(s, query, limit=5, named_out=exact)
            assert exact == named, query
            assert not named or found[0][0] == names["AdaPT"].id, query  # "adapt" may find it, as a word only


def test_a_name_in_parentheses_is_one_word_that_looks_like_a_name(store):
    titles = ["Routing Experts Sparsely (RouteX)", "Kernels for Attention (Extended Version)",
              "Scaling Laws Revisited (II)", "Kernel Sketches (Sketch)", "Sparse Attention for 3D Scenes (3D)"]
    items = [{"paper": {"id": f"2405.{i:05d}", "title": t, "summary": f"{t} in a few words.", "authors": [],
                        "publishedAt": "2024-05-10T00:00:00.000Z"}} for i, t in enumerate(titles, start=1)]
    assert ingest_bytes(store, json.dumps(items).encode(), "api.json").new == 5
    with store.session() as s:
        ids = {p.title: p.id for p in s.scalars(select(Paper))}
        for query, named in [("RouteX", [ids[titles[0]]]), ("routex", []), ("extended version", []), ("II", []),
                             ("sketch", []), ("3D", [])]:
            exact: list[int] = []
            candidates(s, query, limit=5, named_out=exact)
            assert exact == named, query
    assert parenthesised_names("Long Title (GPT-4o): A Study (LLMs) (2023)") == ["GPT-4o", "LLMs"]


def test_a_name_in_parentheses_of_roman_numeral_letters_is_a_name_unless_it_is_a_numeral(store):
    titles = ["Reasoning Shortcuts in a Large Language Model (LLM)", "Tempered Chains for Monte Carlo (MCMC)",
              "Scaling Laws Revisited (II)", "Sparse Routing, Part (IV)"]
    items = [{"paper": {"id": f"2405.{i:05d}", "title": t, "summary": f"{t} in a few words.", "authors": [],
                        "publishedAt": "2024-05-10T00:00:00.000Z"}} for i, t in enumerate(titles, start=1)]
    assert ingest_bytes(store, json.dumps(items).encode(), "api.json").new == 4
    with store.session() as s:
        ids = {p.title: p.id for p in s.scalars(select(Paper))}
        for query, named in [("LLM", [ids[titles[0]]]), ("MCMC", [ids[titles[1]]]), ("II", []), ("IV", [])]:
            exact: list[int] = []
            found = candidates(s, query, limit=5, named_out=exact)
            assert exact == named, query
            assert not named or found[0][0] == named[0], query
    assert [parenthesised_names(t) for t in titles] == [["LLM"], ["MCMC"], [], []]
    assert parenthesised_names("Models (ML), (DL), (CD), (LDM), (DDIM), (XI) and (VII)") == ["ML", "DL", "CD", "LDM", "DDIM"]


def test_a_word_in_one_paper_only_matches_it(papers_store):
    papers = all_papers(papers_store)
    [zkdl] = [p for p in papers if p.title.startswith("zkDL:")]
    assert "zkReLU" in zkdl.abstract and sum("zkrelu" in p.abstract.lower() for p in papers) == 1
    with papers_store.session() as s:
        assert candidates(s, "zkReLU", limit=10) == [(zkdl.id, candidates(s, "zkReLU", limit=1)[0][1])]
        assert candidates(s, "FAC4DNN circuit", limit=3)[0][0] == zkdl.id


def test_words_rank_papers_holding_more_of_them_higher(papers_store):
    with papers_store.session() as s:
        found = candidates(s, "graph neural networks", limit=20)
        scores = [score for _, score in found]
        assert len(found) == 20 and scores == sorted(scores, reverse=True)
        top = s.get(Paper, found[0][0])
        text = f"{top.title} {top.abstract}".lower()
        assert "graph" in text and "neural" in text and "network" in text
        assert candidates(s, "the of and", limit=3) == []  # stop words alone match nothing, not everything
        assert candidates(s, "!!! ???", limit=3) == []
        assert candidates(s, "graph", limit=0) == []
    assert query_words("The GNNPipe and the graph") == ["gnnpipe", "graph"]


def test_arxiv_id_link_and_ref_find_their_paper_first(store):
    item = {"paper": {"id": "2405.07777", "title": "Sparse Attention Kernels", "summary": "We study attention kernels.",
                      "authors": [{"name": "José Pérez"}], "publishedAt": "2024-05-10T00:00:00.000Z"},
            "publishedAt": "2024-05-11T00:00:00.000Z"}
    other = json.loads(json.dumps(item))
    other["paper"].update(id="2405.08888", title="Attention Kernels Revisited", summary="Sparse attention kernels again.",
                          authors=[{"name": "Ada Lovelace"}])
    assert ingest_bytes(store, json.dumps([other, item]).encode(), "api.json").new == 2
    with store.session() as s:
        wanted = s.scalar(select(Paper.id).where(Paper.arxiv_id == "2405.07777"))
        for query in ("2405.07777", "arXiv:2405.07777v2", "https://arxiv.org/abs/2405.07777v1", f"#{wanted}",
                      "sparse attention kernels", "Pérez", "josé"):
            assert candidates(s, query, limit=5)[0][0] == wanted, query


def test_a_name_before_a_title_colon_names_its_paper_over_papers_that_say_it_more(store):
    def item(arxiv_id, title, summary):
        return {"paper": {"id": arxiv_id, "title": title, "summary": summary, "authors": [],
                          "publishedAt": "2024-05-10T00:00:00.000Z"}}

    papers = [item("2405.00001", "Sparse Mixture Routing: Experts That Listen", "A router for experts."),
              item("2405.00002", "Sparse Mixture Routing Revisited",
                   "Sparse mixture routing, sparse mixture routing and more sparse mixture routing."),
              item("2405.00003", "Notes on routing", "Sparse mixture routing explained: sparse mixture routing.")]
    assert ingest_bytes(store, json.dumps(papers).encode(), "api.json").new == 3
    with store.session() as s:
        ids = {p.arxiv_id: p.id for p in s.scalars(select(Paper))}
        exact: list[int] = []
        found = candidates(s, "sparse mixture  ROUTING", limit=5, named_out=exact)
        assert exact == [ids["2405.00001"]] and found[0][0] == ids["2405.00001"]
        assert found[0][1] > found[1][1]  # scored above every full-text match, as a whole title is
        exact = []
        candidates(s, "sparse mixture", limit=5, named_out=exact)  # the first words of a name are not the name
        assert exact == []


def test_date_and_source_filters_run_in_sql_and_undated_papers_never_pass_a_date(papers_store):
    papers = all_papers(papers_store)
    dated = [p for p in papers if p.published is not None]
    undated = [p for p in papers if p.published is None]
    assert dated and undated
    since = sorted(p.published for p in dated)[len(dated) // 2]
    with papers_store.session() as s:
        everything = {i for i, _ in candidates(s, "learning model", limit=1000)}
        after = {i for i, _ in candidates(s, "learning model", limit=1000, since=since)}
        before = {i for i, _ in candidates(s, "learning model", limit=1000, until=since - dt.timedelta(days=1))}
        by_id = {p.id: p for p in papers}
        assert after and before and after.isdisjoint(before)
        assert all(by_id[i].published is not None and by_id[i].published >= since for i in after)
        assert all(by_id[i].published is not None and by_id[i].published < since for i in before)
        assert everything & {p.id for p in undated}  # undated papers match without a date filter
        assert everything - after - before == {i for i in everything if by_id[i].published is None}
        undated_title = undated[0].title
        assert candidates(s, undated_title, limit=5, since=dt.date(1900, 1, 1))[0][0] != undated[0].id
        assert candidates(s, undated_title, limit=5, sources=["hf_page"])[0][0] == undated[0].id
        assert candidates(s, undated_title, limit=5, sources=["arxiv_rss"]) == []


def test_a_word_no_paper_held_is_found_once_a_paper_brings_it(papers_store):
    """A word counted in no paper was cached as 0 for the process's life: a running bot searched for "Mamba"
    before the first Mamba paper came, and found none of them after (a search ORs only words papers hold)."""
    with papers_store.session() as s:
        assert candidates(s, "wombatformer", limit=5) == [] and papers_holding(s, "wombatformer", 1, rare=True) == 0
    item = {"paper": {"id": "2405.09998", "title": "Wombatformer: Burrowing Attention",
                      "summary": "Attention that digs.", "authors": [{"name": "Ada Lovelace"}]}}
    assert ingest_bytes(papers_store, json.dumps([item]).encode(), "api.json").new == 1
    with papers_store.session() as s:
        assert papers_holding(s, "wombatformer", 1, rare=True) == 1
        assert [s.get(Paper, pid).title for pid, _ in candidates(s, "wombatformer", limit=5)] == [
            "Wombatformer: Burrowing Attention"]


def test_index_follows_inserts_updates_and_deletes(papers_store):
    item = {"paper": {"id": "2405.09999", "title": "QuokkaNet: Marsupial Vision",
                      "summary": "We present QuokkaNet, a vision model built on a Platypusformer backbone.",
                      "authors": [{"name": "Ada Lovelace"}], "publishedAt": "2024-05-10T00:00:00.000Z"}}
    assert ingest_bytes(papers_store, json.dumps([item]).encode(), "api.json").new == 1
    with papers_store.session() as s:
        paper = s.scalar(select(Paper).where(Paper.title_key == "quokkanet marsupial vision"))
        assert candidates(s, "Platypusformer", limit=5) == candidates(s, "platypusformer", limit=1)
        assert candidates(s, "Platypusformer", limit=5)[0][0] == paper.id
        paper.abstract = "We present a wombat detector."
    with papers_store.session() as s:
        assert candidates(s, "wombat", limit=5)[0][0] == paper.id
        assert candidates(s, "Platypusformer", limit=5) == []
        assert candidates(s, "QuokkaNet", limit=5)[0][0] == paper.id  # the title is still indexed
        s.execute(delete(Paper).where(Paper.id == paper.id))
    with papers_store.session() as s:
        assert candidates(s, "wombat", limit=5) == []
        assert candidates(s, "QuokkaNet", limit=5) == []


def test_the_or_query_takes_the_rarest_words_within_the_row_budget(papers_store):
    with papers_store.session() as s:
        n_common, n_rare = papers_holding(s, "learning"), papers_holding(s, "zkrelu")
        assert n_rare == 1 and n_common > 50
        assert papers_holding(s, "quokkaxyz") == 0
        assert papers_holding(s, "learning", at_most=10) == 10  # counting stops there
        if s.get_bind().dialect.name == "postgresql":  # with statistics the planner's estimate answers for common words
            s.execute(text("ANALYZE papers"))
            assert papers_holding(s, "learning", at_most=20) == 20 and papers_holding(s, "zkrelu", at_most=20) == 1
        assert rarest_within_budget(s, ["learning", "zkrelu", "quokkaxyz"], budget=10) == ["zkrelu"]
        assert rarest_within_budget(s, ["learning", "zkrelu"], budget=n_common + 1) == ["learning", "zkrelu"]
        assert rarest_within_budget(s, ["learning"], budget=1) == ["learning"]  # the rarest word is always kept
        assert rarest_within_budget(s, ["quokkaxyz"], budget=10) == []


def test_the_models_document_frequencies_order_the_counting_and_keep_the_same_words(papers_store):
    words = ["learning", "zkrelu", "graph", "diffusion", "quantization", "quokkaxyz", "model"]
    with papers_store.session() as s:
        exact = {w: papers_holding(s, w) for w in words}
        model = {w: float(n) for w, n in exact.items() if w != "learning"}  # the model dropped "learning": too common
        for group in (words, ["learning", "zkrelu"], ["graph", "diffusion", "model"], ["learning"], ["quokkaxyz"]):
            for budget in (1, 10, 40, exact["learning"] + 1):
                assert rarest_within_budget(s, group, budget=budget, document_frequency=model.get) == \
                    rarest_within_budget(s, group, budget=budget), (group, budget)


def test_after_a_rarer_word_is_counted_words_the_model_saw_in_more_papers_than_the_budget_are_not_asked(papers_store):
    words = ["learning", "graph", "zkrelu"]
    budget = 3
    model = {"zkrelu": 1.0, "graph": float(budget + 1), "learning": float(budget + 2)}
    with papers_store.session() as s:
        engine = s.get_bind()
        asked: list[str] = []

        def record(conn, cursor, statement, parameters, *rest):
            asked.append(f"{statement} {parameters}")

        event.listen(engine, "before_cursor_execute", record)
        try:
            kept = rarest_within_budget(s, words, budget=budget, document_frequency=model.get)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert kept == ["zkrelu"]
        assert asked and not any("graph" in a or "learning" in a for a in asked)  # zkrelu was counted, nothing else
        assert papers_holding(s, "graph") > budget and papers_holding(s, "learning") > budget  # the index agrees
        assert rarest_within_budget(s, words, budget=budget) == kept  # and counting every word keeps the same


def test_rare_words_are_counted_together_in_one_statement_with_the_same_counts(papers_store):
    words = ["zkrelu", "diffusion", "graphs", "quantized", "or", "quokkaxyz", "learning", "o'brien"]
    with papers_store.session() as s:
        exact = {w: papers_holding(s, w) for w in words}  # one by one, with no cap
        assert exact["zkrelu"] == 1 and exact["quokkaxyz"] == 0 and exact["learning"] > 7
        statements: list[str] = []
        engine = s.get_bind()

        def record(conn, cursor, statement, *rest):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            fresh = count_rare_words(s, words, 7)
            together = len(statements)
            held = [w for w in words if exact[w]]
            counted = {w: papers_holding(s, w, 7, rare=True) for w in held}
            cached = len(statements)
            assert papers_holding(s, "quokkaxyz", 7, rare=True) == 0
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert counted == {w: min(exact[w], 7) for w in held}
        if engine.dialect.name == "postgresql":
            assert fresh == {w: min(n, 7) for w, n in exact.items()}  # what the one statement counted, 0 included
            assert together == 1 and cached == 1  # the cache answered every word some paper holds after it
            assert len(statements) == 2  # a count of 0 is not kept: the next digest may bring the word


def test_when_every_word_is_common_only_papers_holding_all_of_them_are_asked_for(papers_store, monkeypatch):
    from recommender.store import fulltext

    monkeypatch.setattr(fulltext, "ROW_BUDGET", {"sqlite": 5, "postgresql": 5})
    by_id = {p.id: p for p in all_papers(papers_store)}

    def holds(paper, stem):
        return stem in f"{paper.title} {paper.abstract}".lower()

    with papers_store.session() as s:
        assert papers_holding(s, "learning", 6) > 5 and papers_holding(s, "graph", 6) > 5
        found = [pid for pid, _ in candidates(s, "learning graph", limit=50)]
        assert found and all(holds(by_id[pid], "learn") and holds(by_id[pid], "graph") for pid in found)
        alone = [pid for pid, _ in candidates(s, "learning", limit=50)]
        holding = sorted((pid for pid, p in by_id.items() if holds(p, "learn")), reverse=True)
        if s.get_bind().dialect.name == "postgresql":  # one common word: only its newest budget of papers are scored
            assert sorted(alone, reverse=True) == holding[:5]
        else:  # FTS5's bm25 is cheap enough to score them all
            assert len(alone) == 50 and set(alone) <= set(holding)
