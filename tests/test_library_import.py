"""Importing a person's library (BibTeX, RIS, CSL-JSON): matching, new papers, dated 👍, all or nothing."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.commands import Caller, Commands
from recommender.imports import parse_library
from recommender.sources.records import ParseError, title_key
from recommender.store import Feedback, Member, Paper

UTC = dt.UTC

BIB = """% my library
@article{vaswani,
  title = {Attention Is All You Need},
  author = {Vaswani, Ashish and Shazeer, Noam},
  eprint = {1706.03762},
  year = {2017}, month = jun,
  timestamp = {2023-03-04}
}

@inproceedings{devlin,
  title = {{BERT}: Pre-training of Deep Bidirectional Transformers},
  doi = {10.18653/V1/N19-1423},
  year = 2019
}

@article{gnn,
  title = {Graph Neural Networks: A Review},
  year = 2020
}

@misc{fresh,
  title = {A Paper Nobody Stored Yet},
  author = {Lovelace, Ada},
  year = 2021
}
"""

RIS = """TY  - JOUR
TI  - Attention is all you need
AU  - Vaswani, Ashish
PY  - 2017
UR  - https://arxiv.org/abs/1706.03762v5
Y2  - 2022-01-05
ER  - 

TY  - CONF
TI  - Another Unstored Paper
DA  - 2018/05/02
DO  - 10.5555/unstored
ER  - 
"""

CSL = json.dumps([
    {"id": "a", "type": "article", "title": "Graph neural networks: a review",
     "author": [{"given": "Jie", "family": "Zhou"}], "issued": {"date-parts": [[2020, 3]]},
     "accessed": {"date-parts": [[2024, 2, 1]]}},
    {"id": "b", "type": "article", "title": "BERT: pre-training of deep bidirectional transformers",
     "DOI": "10.18653/v1/N19-1423"},
], indent=2)


@pytest.fixture
def library_store(store):
    """A store with three papers: one by arXiv id, one with a DOI (no arXiv id), one by title only."""
    with store.session() as s:
        for arxiv_id, title, doi in (("1706.03762", "Attention Is All You Need", None),
                                     (None, "BERT: Pre-training of Deep Bidirectional Transformers", "10.18653/v1/N19-1423"),
                                     (None, "Graph Neural Networks: A Review", None)):
            s.add(Paper(arxiv_id=arxiv_id, title=title, title_key=title_key(title), doi=doi, abstract="", authors=[],
                        source_kind="arxiv_atom", is_news=True))
    return store


def _feedback(store, user="ada"):
    with store.session() as s:
        rows = s.execute(select(Paper.title, Feedback.value, Feedback.origin, Feedback.created_at, Paper.is_news)
                         .join(Paper, Paper.id == Feedback.paper_id).join(Member, Member.id == Feedback.member_id)
                         .where(Member.user_ref == user)).all()
    return {r.title: r for r in rows}


def _papers(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(Paper.id)))


def test_bibtex_entries_match_by_arxiv_id_doi_and_title_and_new_papers_are_not_news(library_store, settings):
    cmds = Commands(library_store, settings)
    reply = cmds.import_library(Caller("slack", "T1", "U1", "ada"), BIB.encode(), "my.bib")
    assert reply.ok, reply.text
    assert "Imported 4 entries" in reply.text and "3 papers already known" in reply.text and "1 new" in reply.text
    assert _papers(library_store) == 4
    liked = _feedback(library_store, "U1")
    assert {t: (r.value, r.origin) for t, r in liked.items()} == {
        "Attention Is All You Need": (1, "import"),
        "BERT: Pre-training of Deep Bidirectional Transformers": (1, "import"),
        "Graph Neural Networks: A Review": (1, "import"),
        "A Paper Nobody Stored Yet": (1, "import"),
    }
    assert liked["A Paper Nobody Stored Yet"].is_news is False
    assert liked["Attention Is All You Need"].is_news is True  # a stored paper keeps what it was
    # each 👍 carries its own date: when added to the library, else when published
    assert liked["Attention Is All You Need"].created_at == dt.datetime(2023, 3, 4, tzinfo=UTC)
    assert liked["Graph Neural Networks: A Review"].created_at == dt.datetime(2020, 1, 1, tzinfo=UTC)


def test_ris_and_csl_json_exports_import_and_earlier_opinions_are_kept(library_store, settings):
    cmds = Commands(library_store, settings)
    ada = Caller("cli", "local", "ada", "ada")
    assert cmds.rate(ada, "1706.03762", -1).ok
    reply = cmds.import_library(ada, RIS.encode(), "export.ris")
    assert reply.ok, reply.text
    assert "1 paper you had already rated was left as it was." in reply.text
    liked = _feedback(library_store)
    assert liked["Attention Is All You Need"].value == -1  # the 👎 given before stays
    assert liked["Another Unstored Paper"].created_at == dt.datetime(2018, 5, 2, tzinfo=UTC)
    reply = cmds.import_library(ada, CSL.encode(), "zotero.json")
    assert reply.ok, reply.text
    liked = _feedback(library_store)
    assert liked["Graph Neural Networks: A Review"].created_at == dt.datetime(2024, 2, 1, tzinfo=UTC)
    assert "BERT: Pre-training of Deep Bidirectional Transformers" in liked
    assert _papers(library_store) == 4


@pytest.mark.parametrize("text, name, line, words", [
    (BIB.replace("  year = 2019\n}", "  year = 2019\n"), "bad.bib", 10, "devlin"),
    (RIS.replace("TI  - Another Unstored Paper\n", ""), "bad.ris", 9, "no title"),
    (RIS.replace("TI  - Another Unstored Paper", "TI  -"), "empty.ris", 9, "no title"),  # a tag with no value
    (RIS.replace("ER  - \n", "", 1), "open.ris", 1, 'RIS record starting here is not closed by an "ER  -" line'),
    (RIS.replace("TY  - CONF\n", ""), "no-ty.ris", 9, 'RIS record starting here has no "TY  -" line'),
    (CSL.replace('"id": "b"', '"id": "b" "x"'), "bad.json", CSL.count("\n", 0, CSL.index('"id": "b"')) + 1, "item 2"),
])
def test_a_malformed_entry_names_its_line_and_imports_nothing(library_store, settings, text, name, line, words):
    with pytest.raises(ParseError) as failed:
        parse_library(text.encode(), name)
    assert failed.value.line == line and words in str(failed.value) and "Error" not in str(failed.value)
    reply = Commands(library_store, settings).import_library(Caller("cli", "local", "ada"), text.encode(), name)
    assert not reply.ok and f"{name}:{line}" in reply.text and "Nothing imported" in reply.text
    assert _papers(library_store) == 3 and _feedback(library_store) == {}


def test_papers_already_rated_are_counted_in_the_number_they_take(library_store, settings):
    cmds = Commands(library_store, settings)
    ada = Caller("cli", "local", "ada", "ada")
    with library_store.session() as s:
        bert = s.scalar(select(Paper.id).where(Paper.doi == "10.18653/v1/N19-1423"))
    assert cmds.rate(ada, "1706.03762", -1).ok and cmds.feedback(ada, bert, 1).ok
    reply = cmds.import_library(ada, BIB.encode(), "lib.bib")
    assert reply.ok and "2 papers you had already rated were left as they were." in reply.text


@pytest.mark.parametrize("data, name", [
    (b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "paper.pdf"),
    (bytes(range(256)), "library.bib"),  # undecodable, whatever its name says
])
def test_a_file_that_is_not_a_library_export_is_told_so_with_no_entry_to_fix(library_store, settings, data, name):
    reply = Commands(library_store, settings).import_library(Caller("slack", "T1", "U1"), data, name)
    assert not reply.ok and reply.text == (f"Nothing imported: `{name}` is not a text file in a supported format: "
                                           "BibTeX (.bib), RIS (.ris) or CSL-JSON (.json).")
    assert _feedback(library_store, "U1") == {}


def test_a_text_file_that_is_not_a_library_is_told_what_a_library_has(library_store, settings):
    reply = Commands(library_store, settings).import_library(Caller("slack", "T1", "U1"), b"notes on papers", "notes.txt")
    assert not reply.ok and reply.text == ('Nothing imported: notes.txt: not a BibTeX, RIS or CSL-JSON library '
                                           '(no @entry, "TY  -" record or JSON list found).')
    assert _feedback(library_store, "U1") == {} and _papers(library_store) == 3


def test_cli_import_of_a_binary_or_plain_text_file_says_it_is_not_a_library(db_url, tmp_path):
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\xe2\xe3\xcf\xd3\n")
    runner = CliRunner()
    assert runner.invoke(app, ["--database-url", db_url, "users", "add", "ada"]).exit_code == 0
    failed = runner.invoke(app, ["--database-url", db_url, "import", "ada", str(pdf)])
    assert failed.exit_code == 1 and "is not a text file in a supported format" in failed.stdout
    assert "Fix that entry" not in failed.stdout
    (tmp_path / "notalib.txt").write_text("Papers to read: attention, BERT.\n")
    failed = runner.invoke(app, ["--database-url", db_url, "import", "ada", str(tmp_path / "notalib.txt")])
    assert failed.exit_code == 1 and "notalib.txt: not a BibTeX, RIS or CSL-JSON library" in failed.stdout
    assert "not a text file" not in failed.stdout and "Fix that entry" not in failed.stdout


def test_an_unknown_format_is_refused():
    with pytest.raises(ParseError, match="not a BibTeX, RIS or CSL-JSON"):
        parse_library(b"just some notes", "notes.txt")


def test_five_thousand_entries_import_in_one_go(store, settings):
    bib = "\n".join(f"@article{{k{i},\n  title = {{Synthetic paper number {i}}},\n  year = {2000 + i % 20}\n}}"
                    for i in range(5000))
    steps = []
    reply = Commands(store, settings).import_library(Caller("cli", "local", "bo"), bib.encode(), "big.bib",
                                                     on_progress=lambda done, total: steps.append((done, total)))
    assert reply.ok and "Imported 5000 entries" in reply.text
    assert steps[-1] == (5000, 5000)
    assert len(_feedback(store, "bo")) == 5000 and _papers(store) == 5000


def test_cli_import_reports_and_fails_on_a_malformed_file(db_url, tmp_path):
    runner = CliRunner()
    good, bad = tmp_path / "lib.bib", tmp_path / "broken.bib"
    good.write_text(BIB)
    bad.write_text("@article{x,\n title = {Open\n")
    assert runner.invoke(app, ["--database-url", db_url, "users", "add", "ada"]).exit_code == 0
    ok = runner.invoke(app, ["--database-url", db_url, "import", "ada", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "Imported 4 entries" in ok.stdout and "4 new" in ok.stdout
    failed = runner.invoke(app, ["--database-url", db_url, "import", "ada", str(bad)])
    assert failed.exit_code == 1 and "broken.bib:1" in failed.stdout


def test_cli_import_of_an_unclosed_ris_record_names_it_and_stores_nothing(db_url, tmp_path):
    ris = tmp_path / "b.ris"
    ris.write_text("TY  - JOUR\nTI  - X\nPY  - 2020\n")  # no "ER  -" line: rispy returns no record at all
    runner = CliRunner()
    assert runner.invoke(app, ["--database-url", db_url, "users", "add", "omar"]).exit_code == 0
    failed = runner.invoke(app, ["--database-url", db_url, "import", "omar", str(ris)])
    assert failed.exit_code == 1 and 'b.ris:1: RIS record starting here is not closed by an "ER  -"' in failed.stdout
    assert "Error" not in failed.stdout
    stats = json.loads(runner.invoke(app, ["--database-url", db_url, "stats", "--json"]).stdout)
    assert (stats["papers"], stats["likes"]) == (0, 0)


def test_cli_import_for_a_user_never_added_stores_nothing(db_url, tmp_path):
    runner = CliRunner()
    good = tmp_path / "lib.bib"
    good.write_text(BIB)
    result = runner.invoke(app, ["--database-url", db_url, "import", "nobody", str(good)])
    assert result.exit_code == 1 and "unknown user 'nobody'" in result.output
    stats = json.loads(runner.invoke(app, ["--database-url", db_url, "stats", "--json"]).stdout)
    assert (stats["users"], stats["papers"], stats["likes"]) == (0, 0, 0)


# -- through the adapters ------------------------------------------------------------------------------

SLACK_TOKEN = "xoxb-test-library"


def test_a_library_uploaded_in_the_slack_dm_is_imported(library_store, settings):
    from slack_requests import SIGNING_SECRET, bolt_request, file_shared_event

    from bot.settings import Secrets
    from bot.slack.app import build_app

    from slack_fake import FakeSlack, Team

    with FakeSlack(teams={SLACK_TOKEN: Team("T1", "UBOT", "BBOT")}) as fake:
        settings.slack.api_url = fake.api_url
        app = build_app(Commands(library_store, settings), settings, process_before_response=True,
                        secrets=Secrets(slack_bot_token=SLACK_TOKEN, slack_signing_secret=SIGNING_SECRET))
        fake.files["F1"] = ("my.bib", BIB.encode())
        fake.files["F2"] = ("broken.bib", BIB.replace("  year = 2019\n}", "  year = 2019\n").encode())
        fake.files["F3"] = ("shared-in-a-channel.bib", BIB.encode())
        assert app.dispatch(bolt_request(file_shared_event("F1", channel="DU1", user="U1"))).status == 200
        assert app.dispatch(bolt_request(file_shared_event("F2", channel="DU2", user="U2"))).status == 200
        assert app.dispatch(bolt_request(file_shared_event("F3", channel="C1", user="U3"))).status == 200
        downloads = fake.of("download")
        assert [d.params["file"] for d in downloads] == ["F1", "F2"] and {d.token for d in downloads} == {SLACK_TOKEN}
        answers = {p.params["channel"]: p.params["text"] for p in fake.posts()}
        assert set(answers) == {"DU1", "DU2"}  # a file in a channel is not an import
        assert "Imported 4 entries" in answers["DU1"]
        assert "Nothing imported" in answers["DU2"] and "broken.bib:10" in answers["DU2"]
    assert len(_feedback(library_store, "U1")) == 4
    assert _feedback(library_store, "U2") == {} and _feedback(library_store, "U3") == {}
    assert _papers(library_store) == 4


async def test_a_library_attached_to_discord_papers_import_is_imported(library_store, settings, monkeypatch, tmp_path):
    import discord.ext.test as dpytest
    from discord.ext.test.backend import make_attachment

    from discord_helpers import FakeInteraction, config, invoke, make_bot

    bot = await make_bot(Commands(library_store, settings), monkeypatch)
    try:
        ada, grace = config().members[0], config().members[2]
        (tmp_path / "zotero.json").write_text(CSL)
        (tmp_path / "broken.ris").write_text(RIS.replace("TI  - Another Unstored Paper\n", ""))
        good = await invoke(bot, "import", FakeInteraction(ada, config().channels[0]),
                            file=make_attachment(tmp_path / "zotero.json", "zotero.json"))
        bad = await invoke(bot, "import", FakeInteraction(grace, config().channels[0]),
                           file=make_attachment(tmp_path / "broken.ris", "broken.ris"))
    finally:
        await dpytest.empty_queue()
    assert good.answer.ephemeral and "Imported 2 entries" in good.answer.content
    assert bad.answer.ephemeral and "broken.ris:9" in bad.answer.content and "Nothing imported" in bad.answer.content
    assert set(_feedback(library_store, str(ada.id))) == {"Graph Neural Networks: A Review",
                                                          "BERT: Pre-training of Deep Bidirectional Transformers"}
    assert _feedback(library_store, str(grace.id)) == {}


def test_papers_import_typed_as_text_says_where_the_file_goes(library_store, settings):
    reply = Commands(library_store, settings).handle(Caller("slack", "T1", "U1"), "import")
    assert reply.ok and "direct message" in reply.text and "BibTeX" in reply.text
    assert _feedback(library_store, "U1") == {}


def test_counts_of_one_are_singular(store, settings):
    one = '@article{v, title = {Attention Is All You Need}, eprint = {1706.03762}, year = {2017}}\n'
    cmds = Commands(store, settings)
    ada = Caller("cli", "local", "ada")
    first = cmds.import_library(ada, one.encode(), "one.bib").text
    assert "Imported 1 entry from" in first and "0 papers already known" in first
    again = cmds.import_library(ada, one.encode(), "one.bib").text
    assert "1 paper already known" in again
    # nothing recorded the second time: nothing for the picks to use (it said "Your next picks use them.")
    assert "0 👍 recorded" in again and "next picks" not in again and "next picks use them" in first


def _dates(store) -> dict:
    with store.session() as s:
        return {t: (d, p) for t, d, p in s.execute(select(Paper.title, Paper.published, Paper.published_precision))}


def test_an_import_dates_new_and_undated_papers_at_the_exports_precision(library_store, settings):
    cmds = Commands(library_store, settings)
    assert cmds.import_library(Caller("slack", "T1", "U1", "ada"), BIB.encode(), "my.bib").ok
    assert cmds.import_library(Caller("slack", "T1", "U2", "bo"), RIS.encode(), "lib.ris").ok
    published = _dates(library_store)
    assert published["A Paper Nobody Stored Yet"] == (dt.date(2021, 1, 1), "year")  # "year = 2021" alone
    assert published["Another Unstored Paper"] == (dt.date(2018, 5, 2), None)  # RIS DA 2018/05/02: a day
    # stored undated before: the import dates them as far as it knows (failed: they stayed undated)
    assert published["Graph Neural Networks: A Review"] == (dt.date(2020, 1, 1), "year")
    assert published["BERT: Pre-training of Deep Bidirectional Transformers"] == (dt.date(2019, 1, 1), "year")  # by DOI
    # year and month (BibTeX), then the year alone (RIS PY 2017): the month is kept
    assert published["Attention Is All You Need"] == (dt.date(2017, 6, 1), "month")
    # the 👍 still ages from the year
    assert _feedback(library_store, "U1")["Graph Neural Networks: A Review"].created_at == dt.datetime(2020, 1, 1, tzinfo=UTC)
    ris_year = "TY  - JOUR\nTI  - A RIS Paper of One Year\nPY  - 2016\nER  - \n"
    csl_month = json.dumps([{"id": "m", "title": "A CSL Paper of One Month", "issued": {"date-parts": [[2022, 7]]}}])
    assert cmds.import_library(Caller("slack", "T1", "U3", "cy"), ris_year.encode(), "y.ris").ok
    assert cmds.import_library(Caller("slack", "T1", "U3", "cy"), csl_month.encode(), "m.json").ok
    published = _dates(library_store)
    assert published["A RIS Paper of One Year"] == (dt.date(2016, 1, 1), "year")
    assert published["A CSL Paper of One Month"] == (dt.date(2022, 7, 1), "month")


def test_a_stored_day_is_never_replaced_by_a_year_and_a_digests_day_replaces_an_imported_year(store, settings):
    from recommender.ingest import ingest_bytes

    with store.session() as s:
        s.add(Paper(arxiv_id="1810.04805", title="BERT", title_key=title_key("BERT"), abstract="", authors=[],
                    published=dt.date(2018, 10, 11), source_kind="arxiv_atom", is_news=True))
    bib = ("@article{b, title = {BERT}, eprint = {1810.04805}, year = 2019}\n"
           "@article{s, title = {Sparse Things}, eprint = {2401.00001}, year = 2023, month = {summer}}\n")
    assert Commands(store, settings).import_library(Caller("cli", "local", "ada"), bib.encode(), "lib.bib").ok
    assert _dates(store)["BERT"] == (dt.date(2018, 10, 11), None)  # the day stays: a year alone is less precise
    assert _dates(store)["Sparse Things"] == (dt.date(2023, 1, 1), "year")  # an unreadable month: the year alone
    atom = ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            '<id>https://arxiv.org/api/q</id><title>arXiv Query</title><updated>2024-01-03T00:00:00Z</updated>'
            '<entry><id>http://arxiv.org/abs/2401.00001v1</id><published>2024-01-02T17:00:00Z</published>'
            '<updated>2024-01-02T17:00:00Z</updated><title>Sparse Things</title><summary>On sparse things.</summary>'
            '</entry></feed>')
    assert ingest_bytes(store, atom.encode(), "api.xml").updated == 1
    assert _dates(store)["Sparse Things"] == (dt.date(2024, 1, 2), None)  # the arXiv day is more precise: it wins


def test_an_old_library_still_shapes_picks_after_a_like_of_today(papers_store, settings):
    from bot.commands import POSITIVE

    cmds, reader = Commands(papers_store, settings), Caller("cli", "local", "ivy")
    graph = ("Evaluating Deep Graph Neural Networks", "Forward Learning of Graph Neural Networks",
             "Self-supervised Learning on Graphs: Deep Insights and New Direction",
             "GNNPipe: Scaling Deep GNN Training with Pipelined Model Parallelism")
    bib = "".join(f"@article{{g{i},\n  title = {{{t}}},\n  year = {2019 + i}\n}}\n" for i, t in enumerate(graph))
    assert cmds.import_library(reader, bib.encode(), "graphs.bib").ok  # 👍 dated 2019 to 2022
    with papers_store.session() as s:
        pd_quant = s.scalars(select(Paper).where(Paper.title.like("PD-Quant%"))).one()
    assert cmds.rate(reader, f"#{pd_quant.id}", POSITIVE).ok  # and one of today
    titles = [p.title for p in cmds.picks(reader, 8, onboard=False).papers]
    assert sum("graph" in t.lower() or "GNN" in t for t in titles) >= 2  # the library still counts
    assert any("quantiz" in t.lower() for t in titles)  # and so does today's 👍


def test_ris_and_csl_json_abstracts_are_stored(store, settings):
    ris = "TY  - JOUR\nTI  - A RIS Paper\nAB  - Walks on graphs.\nER  - \n\nTY  - JOUR\nTI  - An EndNote Paper\nN2  - Kernels on sets.\nER  - \n"
    csl = json.dumps([{"id": "c", "title": "A CSL Paper", "abstract": "Flows on  manifolds."}])
    cmds, ada = Commands(store, settings), Caller("cli", "local", "ada")
    assert cmds.import_library(ada, ris.encode(), "lib.ris").ok and cmds.import_library(ada, csl.encode(), "lib.json").ok
    with store.session() as s:
        abstracts = dict(s.execute(select(Paper.title, Paper.abstract)).all())
    assert abstracts == {"A RIS Paper": "Walks on graphs.", "An EndNote Paper": "Kernels on sets.",
                         "A CSL Paper": "Flows on manifolds."}

