"""A member's fit to a paper is the best of their whole profile's and of each declared interest's alone: adding
an interest in another field does not make a paper of the first fit them less (a trial: the ZeRO paper fitted
raj at 0.15, and at 0.04 once he added graph interests to his training-at-scale ones)."""

from __future__ import annotations

from sqlalchemy import select

from bot.commands import Caller, Commands
from recommender.store import Member, Paper
from recommender.teammates import member_fits, min_fit

RAJ = Caller("slack", "T1", "U4", display_name="raj")
SCALE = "memory-efficient training of large models; distributed training"
GRAPHS = "graph neural networks; node classification; message passing on graphs"


def _fit(cmds: Commands, title_word: str) -> float:
    with cmds.store.session() as s:
        raj = s.scalars(select(Member).where(Member.user_ref == RAJ.user_ref)).one()
        paper = s.scalars(select(Paper).where(Paper.title.startswith(title_word))).one()
        [fit] = member_fits(cmds.recommender, s, [paper], [raj], min_score=-1.0)
    return fit.score


def test_an_interest_in_another_field_leaves_a_papers_fit_where_it_was(papers_store, settings):
    cmds = Commands(papers_store, settings)
    assert cmds.interests_add(RAJ, SCALE).ok
    before = _fit(cmds, "ZeRO:")
    assert before >= min_fit(cmds.recommender)  # named under the paper of his field
    assert cmds.interests_add(RAJ, GRAPHS).ok
    assert _fit(cmds, "ZeRO:") >= before - 1e-6
    assert _fit(cmds, "Evaluating Deep Graph Neural Networks") >= min_fit(cmds.recommender)  # and of his new one
