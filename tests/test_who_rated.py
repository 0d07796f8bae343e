"""``/papers who`` about a paper the opted-in people already rated, through the command layer: they
are never said to fit it (they have read it), and the answer names them instead of "fits none"."""

from __future__ import annotations

import pytest

from bot.commands import Caller, Commands

ADA = Caller("slack", "T1", "U1", display_name="ada", channel_ref="C1", channel_name="reading")
KIM = Caller("slack", "T1", "U2", display_name="kim", channel_ref="C1", channel_name="reading")
MIA = Caller("slack", "T1", "U3", display_name="mia", channel_ref="C1", channel_name="reading")


@pytest.fixture
def cmds(papers_store, settings):
    return Commands(papers_store, settings)


def test_who_names_the_opted_in_people_who_rated_the_paper(cmds):
    for who in (KIM, MIA):
        cmds.handle(who, "mentions me on")
    kim_likes = cmds.handle(KIM, "search diffusion models").papers[0]
    ref = f"#{kim_likes.paper_id}"
    assert cmds.handle(KIM, f"like {ref}").ok

    reply = cmds.handle(ADA, f"who {ref}")
    assert reply.ok and not any(line.startswith("• kim") for line in reply.text.splitlines())
    assert reply.text.endswith("Already rated by kim 👍.")
    assert reply.text.startswith(f"“{kim_likes.title}” does not fit the other person who opted in (")  # mia
    assert "fits none of the 2 people" not in reply.text  # kim was never a candidate: she read it

    assert cmds.handle(MIA, f"dislike {ref}").ok
    reply = cmds.handle(ADA, f"who {ref}")
    assert reply.text == f"Everyone here who opted in already rated “{kim_likes.title}”: kim 👍, mia 👎."
