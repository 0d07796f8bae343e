"""What a new user mistypes gets a hint to what they meant (a trial's tech lead of a lab of six), and changes nothing."""

import json

import pytest

from bot.commands import Caller, Commands

MIA = Caller("slack", "T1", "U1", display_name="mia")


def _said(result) -> str:
    return " ".join(w for w in result.output.split() if w not in "│╭╮╰╯─")


def test_an_unquoted_paper_id_the_shell_ate_is_explained(cli):
    assert cli("users", "add", "ada").exit_code == 0
    for args in (("like", "ada"), ("dislike", "ada"), ("unrate", "ada"), ("who",)):  # `paperbot like ada #24`
        result = cli(*args)
        assert result.exit_code == 2 and "quoted for the shell ('#24') or without the # (24)" in _said(result), args
    assert json.loads(cli("stats", "--json").stdout)["feedback"] == 0


def test_a_library_given_to_ingest_points_to_import(cli, tmp_path):
    bib = tmp_path / "mine.bib"
    bib.write_text("@article{k, title = {Sparse Graph Kernels}, year = 2020}\n", encoding="utf-8")
    csl = tmp_path / "mine.json"
    csl.write_text(json.dumps([{"type": "article-journal", "title": "Sparse Graph Kernels"}]), encoding="utf-8")
    ris = tmp_path / "mine.ris"
    ris.write_text("TY  - JOUR\nTI  - Sparse Graph Kernels\nER  - \n", encoding="utf-8")
    for path, kind in ((bib, "BibTeX"), (csl, "CSL-JSON"), (ris, "RIS")):
        result = cli("ingest", path)
        assert result.exit_code == 1 and f"it reads as a {kind} library" in _said(result), path
        assert "imported as their 👍, with `import`, not ingested" in _said(result)
    assert json.loads(cli("stats", "--json").stdout)["papers"] == 0


def test_words_given_as_a_paper_point_to_search(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    result = cli("who", "grokking")
    assert result.exit_code == 1 and '`paperbot search "grokking"` finds papers by their words' in _said(result)
    assert "search" not in _said(cli("who", "#999999"))  # a number is an id: no search to offer


def test_export_takes_json_and_bib_as_format_names(cli, tmp_path):
    assert cli("users", "add", "ada").exit_code == 0
    assert cli("export", "ada", "--format", "json").stdout == "[]\n"  # CSL-JSON, as `-o x.json` says
    assert cli("export", "ada", "--format", "bib", "-o", tmp_path / "x.bib").exit_code == 0
    assert cli("export", "ada", "--format", "json", "-o", tmp_path / "x.bib").exit_code == 2  # the name says BibTeX


def test_removing_a_mistyped_interest_names_the_one_meant(papers_store, settings):
    cmds = Commands(papers_store, settings)
    assert cmds.interests_add(MIA, "neural collapse; grokking").ok
    reply = cmds.interests_remove(MIA, "neural colapse")
    assert not reply.ok and "Did you mean “neural collapse”?" in reply.text
    assert "Did you mean" not in cmds.interests_remove(MIA, "protein folding").text  # nothing close: no guess
    listed = cmds.interests_list(MIA).text
    assert "neural collapse" in listed and "grokking" in listed  # nothing was removed


def test_stats_says_which_digests_it_counts(cli, sample_digests):
    assert cli("ingest", sample_digests).exit_code == 0
    said = _said(cli("stats"))
    assert "digests ingested 3" in said and "digests posted 0" in said


@pytest.mark.semantic
def test_ingest_says_how_many_papers_it_embeds_before_a_long_embedding(cli, sample_digests, monkeypatch):
    """An operator's trial: a 5-paper ingest ran 10 minutes, silent in a pipe, embedding a backlog of 60,000."""
    from bot.cli import ingest as ingest_module

    monkeypatch.setattr(ingest_module, "BACKLOG_NOTE_AT", 10)  # the first sample digest's 37 papers are a backlog here
    first = sorted(sample_digests.iterdir())[0]
    result = cli("ingest", first)
    assert result.exit_code == 0
    assert "Embedding 37 papers that lack a sentence vector" in " ".join(result.stderr.split())
