"""Dates at their precision: a year alone is shown as ``2019``, a month as ``Mar 2019``, never as a day nobody knows."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from rich.console import Console

from bot.commands import Caller, Commands
from bot.console import print_reply
from bot.discord.embeds import reply_embeds
from bot.slack.blocks import reply_message
from recommender.dates import format_date, parse_date, replaces
from recommender.sources.records import title_key
from recommender.store import Paper, Store

D = dt.date


@pytest.mark.parametrize("year, month, day, expected", [
    ("2019", None, None, (D(2019, 1, 1), "year")),
    (2019, "mar", None, (D(2019, 3, 1), "month")),
    ("2019", "March", "5", (D(2019, 3, 5), None)),
    ("2019", "3", "31", (D(2019, 3, 31), None)),
    ("2019", "summer", None, (D(2019, 1, 1), "year")),  # a month that cannot be read: the year alone
    ("2019", "13", "2", (D(2019, 1, 1), "year")),
    ("2019", "feb", "30", (D(2019, 2, 1), "month")),  # no such day: the month alone
    ("2019", "", "", (D(2019, 1, 1), "year")),
    ("in press", None, None, None),
    (None, "may", None, None),
])
def test_loose_dates_are_read_with_their_precision(year, month, day, expected):
    assert parse_date(year, month, day) == expected


def test_dates_are_formatted_at_their_precision():
    assert [format_date(D(2019, 3, 5), p) for p in ("year", "month", None)] == ["2019", "Mar 2019", "2019-03-05"]
    assert format_date(None, "year") == "undated"
    with pytest.raises(ValueError):
        format_date(D(2019, 3, 5), "week")


def test_a_date_replaces_a_stored_one_only_when_more_precise_or_as_precise_and_earlier():
    assert replaces(D(2019, 1, 1), "year", None, None)
    assert not replaces(D(2019, 1, 1), "year", D(2019, 5, 2), None)  # a year never replaces a day
    assert not replaces(D(2018, 1, 1), "year", D(2019, 5, 1), "month")
    assert replaces(D(2019, 5, 2), None, D(2019, 1, 1), "year")
    assert replaces(D(2018, 1, 1), "year", D(2019, 1, 1), "year") and not replaces(D(2020, 1, 1), "year", D(2019, 1, 1), "year")
    assert not replaces(None, None, D(2019, 1, 1), "year")


PAPERS = [  # title, published, precision
    ("Graph neural networks for molecules", D(2019, 1, 1), "year"),
    ("Graph attention networks revisited", D(2021, 3, 1), "month"),
    ("Graph transformers at scale", D(2024, 2, 29), None),
]


@pytest.fixture
def dated(db_url):
    store = Store(db_url)
    with store.session() as s:
        for title, day, precision in PAPERS:
            s.add(Paper(title=title, title_key=title_key(title), abstract=f"{title}: graphs, nodes and edges.", authors=["Ada"],
                        published=day, published_precision=precision, source_kind="arxiv_atom", is_news=True))
    yield store
    store.dispose()


def _shown(text: str) -> dict[str, str]:
    """Which of the three dates a rendering shows for each paper (its first 12 characters of title)."""
    labels = {"Graph neural": ("2019", "2019-01-01"), "Graph attent": ("Mar 2021", "2021-03-01"),
              "Graph transf": ("2024-02-29", None)}
    return {k: right for k, (right, wrong) in labels.items() if right in text and (wrong is None or wrong not in text)}


def test_every_adapter_and_the_command_line_show_a_date_at_its_precision(dated, settings, cli):
    reply = Commands(dated, settings).search(Caller("cli", "local", "ada"), "graph", k=5)
    assert len(reply.papers) == 3
    out = io.StringIO()
    print_reply(Console(file=out, width=200), reply)  # the console (paperbot papers, run --console)
    assert len(_shown(out.getvalue())) == 3, out.getvalue()
    text, blocks = reply_message(reply)  # Slack Block Kit
    assert len(_shown(json.dumps(blocks, ensure_ascii=False))) == 3
    embeds = [e for chunk in reply_embeds(reply.papers) for e in chunk]  # Discord
    dates = {e.title[3:15]: dict((f.name, f.value) for f in e.fields)["Date"] for e in embeds}
    assert dates == {"Graph neural": "2019", "Graph attent": "Mar 2021", "Graph transf": "2024-02-29"}
    table = cli("search", "graph")  # the command line's table
    assert table.exit_code == 0 and len(_shown(table.stdout)) == 3, table.stdout
    found = cli("search", "graph", "--json")
    got = {r["title"]: (r["published"], r["published_precision"]) for r in json.loads(found.stdout)["results"]}
    assert got == {t: (d.isoformat(), p) for t, d, p in PAPERS}


def test_picks_and_who_show_a_date_at_its_precision(dated, cli):
    assert cli("users", "add", "mia", "--interests", "graph neural networks").exit_code == 0
    shown = cli("picks", "mia")
    assert shown.exit_code == 0 and len(_shown(shown.stdout)) == 3, shown.stdout
    picks = json.loads(cli("picks", "mia", "--json").stdout)["picks"]
    assert {p["title"]: p["published_precision"] for p in picks} == {t: p for t, _, p in PAPERS}
    who = cli("who", "#1", "--json")
    assert who.exit_code == 0, who.output
    assert json.loads(who.stdout)["paper"]["published_precision"] == "year"
