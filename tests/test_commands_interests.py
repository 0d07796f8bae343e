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
