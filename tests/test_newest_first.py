"""Newest first for a reader with nothing known: papers of unknown date come after every dated one.

A newcomer's picks and the digest of a channel with no topic and no 👍 are both ordered by publication
day. A paper without one was ranked by the day it was first seen (today), so it came first.
"""

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from bot.commands import Caller, Commands
from bot.delivery import DeliveryTarget, deliver
from recommender.ranking import Ranker, Target
from recommender.store import Channel, Paper
from recommender.store.models import utcnow
from recommender.text.tfidf import PaperText, PaperVectorizer

GRAPHS = "Message passing graph neural networks predict molecular properties from atoms and bonds."
#: Four dated papers on one topic (near duplicates: diversity alone would skip the older ones), newest first.
DATED = {
    "Graph neural networks for molecular property prediction": dt.date(2024, 5, 3),
    "Graph neural networks for molecule property prediction at scale": dt.date(2024, 5, 3),
    "Graph neural networks predicting molecular properties": dt.date(2021, 1, 10),
    "Message passing graph networks for molecules": dt.date(2019, 6, 1),
}
#: Six undated papers on as many other topics.
UNDATED = {
    "A survey of bird migration": "Migratory birds navigate using magnetic fields and the stars.",
    "Post-training quantization of transformers": "Low bit quantization of weights keeps transformer accuracy.",
    "Protein structure prediction": "Folding proteins from their amino acid sequence with attention.",
    "End-to-end speech recognition": "Acoustic models transcribe spoken audio into text.",
    "Robot control by reinforcement learning": "Policies learned from rewards move robot arms.",
    "Diffusion models for image generation": "Denoising diffusion generates images from noise.",
}


def add_papers(store) -> None:
    with store.session() as s:
        for title, day in DATED.items():
            s.add(Paper(title_key=title.lower(), title=title, abstract=GRAPHS, authors=[], source_kind="arxiv_api",
                        published=day))
        for title, abstract in UNDATED.items():
            s.add(Paper(title_key=title.lower(), title=title, abstract=abstract, authors=[], source_kind="hf_page"))


def assert_dated_first(days: list[dt.date | None]) -> None:
    assert len(days) == len(DATED) + len(UNDATED)
    assert days[:len(DATED)] and all(d is not None for d in days[:len(DATED)]), days  # every dated paper first
    assert days[0] == max(DATED.values())  # the newest day opens the list
    assert all(d is None for d in days[len(DATED):]), days


def test_a_newcomers_picks_put_undated_papers_after_every_dated_one(store, settings):
    add_papers(store)
    cmds = Commands(store, settings)
    newcomer = Caller("slack", "T1", "U1")
    reply = cmds.picks(newcomer, len(DATED) + len(UNDATED), onboard=False)
    assert all(p.reason.startswith("newest first") for p in reply.papers)
    assert_dated_first([p.published for p in reply.papers])


def test_a_channel_with_no_topic_gets_undated_papers_after_every_dated_one(store, settings):
    add_papers(store)
    cmds = Commands(store, settings)
    cmds.channel_setup(Caller("slack", "T1", "U1", channel_ref="C1", channel_name="reading"),
                       size=len(DATED) + len(UNDATED))
    posted: list[int] = []
    reasons: set[str] = set()

    class Poster:
        platform = "slack"

        def post(self, post):
            post.posted_header("C1:header")
            for _, pick in post.unposted():
                posted.append(pick.paper_id)
                reasons.add(pick.reason)
                post.posted_paper(pick.paper_id, f"C1:{pick.paper_id}")

    with store.session() as s:
        target = DeliveryTarget.of(s.scalar(select(Channel)))
    assert deliver(store, cmds.recommender, settings, Poster(), target, now=utcnow()).status == "posted"
    with store.session() as s:
        day = dict(s.execute(select(Paper.id, Paper.published)).all())
    assert_dated_first([day[pid] for pid in posted])
    # a channel has a topic, not interests: the reason says how to give it one
    assert reasons == {"newest first: no topic or 👍 yet (give the channel a topic with `channel setup … <topic>`)"}


def test_cold_start_priors_put_candidates_above_0_first_for_targets_with_nothing_known_only():
    texts = [PaperText(title, GRAPHS) for title in DATED] + [PaperText(t, a) for t, a in UNDATED.items()]
    vec = PaperVectorizer().fit(texts)
    x = vec.transform(texts)
    priors = np.linspace(0, 1, len(texts))
    cold = np.array([1.0, 1.0, 0.5, 0.25] + [0.0] * len(UNDATED))  # the graph papers are dated, the others not
    ranker = Ranker(vec, mmr_lambda=0.9)  # diversity alone would take other topics before a second graph paper
    reader, newcomer = Target(interests_text="speech recognition"), Target()
    plain = ranker.rank(x, [reader, newcomer], k=len(texts), candidate_priors=priors)
    ordered = ranker.rank(x, [reader, newcomer], k=len(texts), candidate_priors=priors, cold_start_priors=cold)
    assert [(p.index, p.score) for p in ordered[0]] == [(p.index, p.score) for p in plain[0]]  # a profile: unchanged
    assert ordered[1][0].index in {0, 1} and {p.index for p in ordered[1][:len(DATED)]} == set(range(len(DATED)))
    assert len(ordered[1]) == len(texts)
    with pytest.raises(ValueError, match="2 cold-start priors for 10 candidates"):
        ranker.rank(x, [newcomer], k=3, cold_start_priors=np.ones(2))
