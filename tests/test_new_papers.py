"""Picks with no digest to count from draw from the last week of papers, not from a year-old store's whole year.

A researcher's trial on 100,000 papers spread over a year: 18 of 20 `paperbot picks` were first seen months before,
none of the 300 papers of that day came up, and a channel's first digest led with papers of February.
"""

import datetime as dt

import pytest

from bot.commands import Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
from recommender.settings import RecommenderSettings
from recommender.store import Paper
from recommender.store.models import utcnow

GRAPH = "graph neural networks"
#: (title, days before the newest paper): the best match is months old.
PAPERS = [("Graph neural networks for molecules: message passing over atoms", 200),
          ("Graph neural networks at scale with neighbour sampling", 120),
          ("Oversmoothing in deep graph neural networks", 3),
          ("Graph transformers and message passing compared", 5),
          ("A survey of bird migration routes", 0),
          ("Weather forecasting with large models", 1)]


def add_papers(store, newest: dt.datetime) -> dict[str, int]:
    ids = {}
    with store.session() as s:
        for title, days in PAPERS:
            paper = Paper(title_key=title.lower(), title=title, abstract=title, authors=[], source_kind="hf_api",
                          first_seen=newest - dt.timedelta(days=days))
            s.add(paper)
            s.flush()
            ids[title] = paper.id
    return ids


def picked(cmds: Commands, caller: Caller, k: int = 5) -> list[str]:
    return [p.title for p in cmds.picks(caller, k).papers]


@pytest.mark.parametrize("stopped_days", [0, 40])  # sources running, or stopped 40 days ago
def test_picks_draw_from_the_last_week_of_papers(store, settings, stopped_days):
    add_papers(store, utcnow() - dt.timedelta(days=stopped_days))
    cmds = Commands(store, settings)
    ivy = Caller(CLI_PLATFORM, CLI_WORKSPACE, "ivy")
    assert cmds.interests_add(ivy, GRAPH).ok
    titles = picked(cmds, ivy)
    assert set(titles) == {t for t, days in PAPERS if days <= 7}, titles
    assert set(titles[:2]) == {"Oversmoothing in deep graph neural networks",
                               "Graph transformers and message passing compared"}  # the week's graph papers first


def test_new_days_widens_what_is_new(store, settings):
    add_papers(store, utcnow())
    wide = settings.model_copy(update={"recommender": RecommenderSettings(new_days=365)})
    cmds = Commands(store, wide)
    ivy = Caller(CLI_PLATFORM, CLI_WORKSPACE, "ivy")
    assert cmds.interests_add(ivy, GRAPH).ok
    titles = picked(cmds, ivy, k=6)
    assert len(titles) == len(PAPERS)
    assert set(titles[:4]) == {t for t, _ in PAPERS if "graph" in t.lower()}


@pytest.mark.parametrize("naive", [False, True])  # a naive bound is UTC (a review: it raised TypeError)
def test_a_first_digest_draws_from_the_window_and_a_later_one_from_its_last(store, settings, naive):
    newest = utcnow()
    add_papers(store, newest)
    cmds = Commands(store, settings)
    ivy, joe = Caller(CLI_PLATFORM, CLI_WORKSPACE, "ivy"), Caller(CLI_PLATFORM, CLI_WORKSPACE, "joe")
    for who in (ivy, joe):
        assert cmds.interests_add(who, GRAPH).ok
    last = newest - dt.timedelta(days=150)
    with store.session() as s:
        members = [cmds.member(s, ivy), cmds.member(s, joe)]
        first, later = cmds.recommender.picks(s, members, 10, since=[None, last.replace(tzinfo=None) if naive else last])
    assert {p.title for p in first} == {t for t, days in PAPERS if days <= 7}
    assert "Graph neural networks at scale with neighbour sampling" in {p.title for p in later}  # since its last


def test_a_store_with_no_news_paper_has_no_window(store, settings):
    cmds = Commands(store, settings)
    with store.session() as s:
        assert cmds.recommender.new_since(s) is None
