"""A paper its asker gave 👎 (or 👍) is still found by search (they may look for it by name) and is marked as
theirs in every adapter: the command layer's Pick, the console, the CLI table and JSON, Slack and Discord."""

import io
import json

import pytest
from rich.console import Console
from sqlalchemy import select

from bot.commands import NEGATIVE, POSITIVE, Caller, Commands
from bot.console import print_reply
from bot.discord.embeds import reply_embeds
from bot.slack.blocks import reply_message
from recommender.store import Paper

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
KIM = Caller("slack", "T1", "U2", display_name="kim", channel_ref="C1", channel_name="reading")


@pytest.fixture
def cmds(papers_store, settings):
    return Commands(papers_store, settings)


def gnn_papers(store) -> list[Paper]:
    with store.session() as s:
        return s.scalars(select(Paper).where(Paper.title.ilike("%graph neural%")).order_by(Paper.id)).all()[:2]


def test_a_disliked_paper_is_found_by_name_and_marked_for_its_asker_only(cmds):
    down, up = gnn_papers(cmds.store)
    assert cmds.rate(ADA, f"#{down.id}", NEGATIVE).ok and cmds.rate(ADA, f"#{up.id}", POSITIVE).ok
    reply = cmds.search(ADA, down.title)
    assert reply.papers[0].paper_id == down.id and reply.papers[0].disliked  # found first, by its name
    assert not any(p.disliked for p in reply.papers[1:])  # a 👍 or an unrated paper is not marked 👎

    assert not any(p.disliked for p in cmds.search(KIM, down.title).papers)  # kim did not 👎 it

    console = io.StringIO()
    print_reply(Console(file=console, width=200, color_system=None), reply)
    lines = console.getvalue().splitlines()
    assert lines[2].strip().startswith("you 👎 this · ") and down.title in lines[1]
    assert sum("you 👎 this" in line for line in lines) == 1

    _, blocks = reply_message(reply)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section" and down.title[:20] in b["text"]["text"]]
    assert "\nyou 👎 this · " in sections[1]  # the paper's meta line (sections[0]: the reply's heading)
    assert sum("you 👎 this" in json.dumps(b, ensure_ascii=False) for b in blocks) == 1

    embeds = [e for group in reply_embeds(reply.papers) for e in group]
    assert [f.value for f in embeds[0].fields if f.name == "Your rating"] == ["you 👎 this"]
    assert not any(f.value == "you 👎 this" for e in embeds[1:] for f in e.fields)


@pytest.mark.parametrize(("verb", "mark", "other", "note"), [("dislike", "disliked", "liked", "you 👎 this"),
                                                             ("like", "liked", "disliked", "you 👍 this")])
def test_the_cli_search_marks_the_user_s_rated_paper_in_its_table_and_json(cli, sample_digests, verb, mark, other, note):
    assert cli("ingest", sample_digests).exit_code == 0
    assert cli("users", "add", "ada").exit_code == 0
    found = json.loads(cli("search", "graph neural networks", "--user", "ada", "--json").stdout)["results"]
    assert not any(r[mark] for r in found)
    title = found[0]["title"]
    assert cli(verb, "ada", found[0]["ref"]).exit_code == 0
    again = json.loads(cli("search", title, "--user", "ada", "--json").stdout)["results"]
    assert (again[0]["title"], again[0][mark], again[0][other]) == (title, True, False)
    assert not any(r[mark] for r in again[1:])
    table = cli("search", title, "--user", "ada", "-k", "3").stdout
    assert " ".join(table.split()).count(f"({note})") == 1
    assert not json.loads(cli("search", title, "--json").stdout)["results"][0][mark]  # no user, no mark


def test_a_liked_paper_is_found_by_name_and_marked_for_its_asker_only(cmds):
    """A trial: search said "you 👎 this" on a 👎'd paper but nothing on a 👍'd one, which read as unrated."""
    down, up = gnn_papers(cmds.store)
    assert cmds.rate(ADA, f"#{up.id}", POSITIVE).ok and cmds.rate(ADA, f"#{down.id}", NEGATIVE).ok
    reply = cmds.search(ADA, up.title)
    assert reply.papers[0].paper_id == up.id and reply.papers[0].liked and not reply.papers[0].disliked
    assert [p.paper_id for p in reply.papers if p.liked] == [up.id]
    assert not any(p.liked for p in cmds.search(KIM, up.title).papers)

    console = io.StringIO()
    print_reply(Console(file=console, width=200, color_system=None), reply)
    assert console.getvalue().count("you 👍 this") == 1
    _, blocks = reply_message(reply)
    assert sum("you 👍 this" in json.dumps(b, ensure_ascii=False) for b in blocks) == 1
    embeds = [e for group in reply_embeds(reply.papers) for e in group]
    assert [f.value for f in embeds[0].fields if f.name == "Your rating"] == ["you 👍 this"]

