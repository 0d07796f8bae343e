"""``/papers interests add`` with several interests on one line, through the command layer: they are
split as ``paperbot users add --interests`` splits them, so each can be removed on its own."""

from __future__ import annotations

import pytest

from bot.commands import Caller, Commands

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="papers")


@pytest.fixture
def cmds(store, settings):
    return Commands(store, settings)


def listed(cmds) -> list[str]:
    return [line.removeprefix("• ") for line in cmds.handle(ADA, "interests list").text.splitlines()[1:]]


def test_several_interests_on_one_line_are_stored_apart_and_removed_one_at_a_time(cmds):
    reply = cmds.handle(ADA, "interests add diffusion models; video generation")
    assert reply.ok and reply.text == "Added interests “diffusion models”, “video generation”. Your next picks use them."
    assert listed(cmds) == ["diffusion models", "video generation"]
    assert cmds.handle(ADA, "interests remove video generation").ok
    assert listed(cmds) == ["diffusion models"]

    assert cmds.handle(ADA, "interests add graph neural networks, molecules").ok  # no ';': commas separate
    assert listed(cmds) == ["diffusion models", "graph neural networks", "molecules"]
    assert cmds.handle(ADA, "interests add C++ compilers").text == "Added interest “C++ compilers”. Your next picks use it."


def test_interests_added_on_one_line_go_on_one_line_all_or_none(cmds):
    cmds.handle(ADA, "interests add diffusion models; video generation; transformers, attention")
    assert listed(cmds) == ["diffusion models", "video generation", "transformers, attention"]
    refused = cmds.handle(ADA, "interests remove video generation; graph learning")
    assert not refused.ok and refused.text.startswith("“graph learning” is not among your interests; nothing was removed.")
    assert listed(cmds) == ["diffusion models", "video generation", "transformers, attention"]
    removed = cmds.handle(ADA, "interests remove Video Generation; diffusion models")
    assert removed.ok and removed.text == "Removed interests “Video Generation”, “diffusion models”."
    assert cmds.handle(ADA, "interests remove transformers, attention").ok  # held whole, comma and all
    assert listed(cmds) == []


def test_an_interest_already_held_is_said_so_and_not_added_again(cmds):
    cmds.handle(ADA, "interests add diffusion models")
    again = cmds.handle(ADA, "interests add Diffusion Models")
    assert again.ok and again.text == "Nothing changed: “Diffusion Models” was already one of them."
    both = cmds.handle(ADA, "interests add diffusion models; video generation")
    assert both.text == ("Added interest “video generation”. Your next picks use it."
                         " “diffusion models” was already one of them.")
    assert listed(cmds) == ["diffusion models", "video generation"]
    assert cmds.handle(ADA, "interests add GNNs; gnns").text.startswith("Added interest “GNNs”. ")
    assert listed(cmds) == ["diffusion models", "video generation", "GNNs"]


@pytest.mark.parametrize("query", ["", "   ", "“”", "?!"])
def test_a_search_without_words_answers_with_the_usage_privately(cmds, query):
    reply = cmds.handle(ADA, f"search {query}")
    assert not reply.ok and reply.usage and reply.ephemeral
    assert reply.text.startswith("`search` needs")


def test_interests_added_at_once_are_all_kept(cmds):
    """Review: 16 `interests add` at once by one person each answered "Added", and 3 or 4 were stored: each
    read the list and wrote it back over the others'."""
    import threading

    cmds.handle(ADA, "interests add seed")
    start, answers = threading.Barrier(16), []

    def add(i: int) -> None:
        start.wait()
        answers.append(cmds.handle(ADA, f"interests add topic {i}").ok)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [True] * 16
    assert sorted(listed(cmds)) == sorted(["seed", *(f"topic {i}" for i in range(16))])
    start = threading.Barrier(8)  # and eight removed at once, the others kept
    removers = [threading.Thread(target=lambda i=i: (start.wait(), cmds.handle(ADA, f"interests remove topic {i}")))
                for i in range(0, 16, 2)]
    for t in removers:
        t.start()
    for t in removers:
        t.join()
    assert sorted(listed(cmds)) == sorted(["seed", *(f"topic {i}" for i in range(1, 16, 2))])


NEWCOMER = Caller("slack", "T1", "U9", display_name="nia", channel_ref="C1", channel_name="papers")


@pytest.mark.parametrize("command", ["interests remove gnn", "interests list", "unsubscribe", "mentions me off",
                                     "search graph neural networks"])
def test_a_command_that_changes_nothing_creates_nobody(cmds, store, command):
    """Review: these created the caller's member row (listed by `paperbot users list`) while changing nothing."""
    from sqlalchemy import func, select

    from recommender.store import Member

    cmds.handle(NEWCOMER, command)
    with store.session() as session:
        assert session.scalar(select(func.count(Member.id))) == 0
