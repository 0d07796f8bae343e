"""A search result says which words searched it lacks, so a weak answer reads as one (issue 10, search floor)."""

import io
import json

from rich.console import Console

from bot.commands import Caller, Commands
from bot.console import print_reply
from bot.slack.blocks import reply_message
from recommender.pick import search_reason

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
STOP = frozenset({"of", "the", "with"})


def test_search_reason_names_the_missing_words_plurals_as_singulars():
    assert search_reason("graph neural networks", "A graph neural network for molecules", STOP) == ""
    assert search_reason("quantum error correction", "Rounding errors in climate models", STOP) == (
        "matches error; missing: quantum, correction")
    assert search_reason("quantum codes", "Rounding in climate models", STOP) == (
        "close in meaning, with none of the words searched")
    assert search_reason("the of", "anything", STOP) == ""  # no word asked for


def test_a_store_without_the_topic_answers_with_what_each_result_lacks(papers_store, settings):
    cmds = Commands(papers_store, settings)
    good = cmds.search(ADA, "post-training quantization")
    assert good.papers and good.papers[0].reason == ""  # holds every word: nothing to say
    weak = cmds.search(ADA, "quantum error correction")
    assert weak.papers and all("missing: " in p.reason or "none of the words" in p.reason for p in weak.papers)
    lacking = weak.papers[0].reason

    out = io.StringIO()
    print_reply(Console(file=out, width=300, color_system=None), weak)
    assert f"why: {lacking}" in out.getvalue()
    _, blocks = reply_message(weak)
    assert any(lacking in str(b) for b in blocks)


def test_a_search_by_reference_has_no_reason(papers_store, settings):
    cmds = Commands(papers_store, settings)
    first = cmds.search(ADA, "graph neural networks").papers[0]
    [named] = cmds.search(ADA, first.ref, k=1).papers
    assert (named.paper_id, named.reason) == (first.paper_id, "")


def test_paperbot_search_table_shows_what_each_result_lacks(cli, sample_digests):
    """The README promised 'missing: …' in `paperbot search`; a trial found it only in --json."""
    assert cli("ingest", sample_digests).exit_code == 0
    results = cli("search", "quantum error correction", "--json")
    lacking = {r["reason"] for r in json.loads(results.stdout)["results"]}
    table = " ".join(cli("search", "quantum error correction").stdout.replace("│", " ").split())
    assert any("missing: " in reason for reason in lacking)  # the store has nothing on quantum codes
    assert all(" ".join(reason.split()) in table for reason in lacking if reason)
