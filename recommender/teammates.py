"""Which teammates a stored paper fits: :mod:`recommender.ranking.fit` over the store.

The store-level half of ``/papers who`` and of the names under a channel
digest's papers: members' profiles are derived exactly as for their picks
(:meth:`Recommender.target_inputs`: interests, dated 👍/👎), scored against the
papers by the same :class:`~recommender.ranking.Ranker`, without the
community signal (a fit says how a paper matches *this person's* profile) and
without expanding declared interests by the best-matching papers
(``interest_feedback=0``): among the few papers of a ``who`` or of one digest,
that expansion added the paper scored to the profile it was scored against, so
a quantisation paper "fitted" a graph-network reader at 0.71. A fit is the
same whatever papers are scored with it. It is the best of the whole profile's
score and of each declared interest's alone (with the same 👍/👎), so an interest
in another field never lowers a paper's fit (``benchmarks/relevance_floor.py``:
on-topic fits' median 0.230 -> 0.251, off-topic ones unchanged).
A member who already rated a paper is never said to fit it: they have read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from recommender.picks import Recommender
from recommender.ranking.fit import Fit, fits
from recommender.ranking.semantic import SemanticInputs
from recommender.reasons import paper_reason, profile_basis, profile_words, reader_words
from recommender.store import Feedback, Member, Paper
from recommender.store.models import utcnow

__all__ = ["MIN_FIT", "MIN_FIT_HYBRID", "MemberFit", "member_fits", "min_fit"]

#: The least score at which a paper is said to fit a person, TF-IDF alone and hybrid (half TF-IDF, half
#: sentence embedding). Measured on the bundled samples with four people declaring two interests each
#: (diffusion, RL, LLM reasoning, GNNs): TF-IDF alone, the papers on a person's topic score 0.10 to 0.26 and
#: the 0.05-0.10 band is off topic (one shared word); the hybrid puts on-topic papers at 0.20 to 0.40 and its
#: 0.15-0.20 band holds papers that only share a word ("diffusion" in gas chromatography). About the top 2 %
#: of (person, paper) pairs pass either bar, so nobody is named for a paper that barely fits.
MIN_FIT = 0.10
MIN_FIT_HYBRID = 0.20

#: How many recent papers give the corpus mean the embeddings are centred on (few papers are scored at once).
REFERENCE_PAPERS = 500


@dataclass(frozen=True)
class MemberFit:
    """A member a paper fits, and why.

    Attributes
    ----------
    member_id : int
        ``members.id``.
    paper_id : int
        ``papers.id``.
    score : float
        The ranker's score (see :func:`min_fit`).
    reason : str
        The terms that weighed most and the member's liked paper closest to it, as picks say it.
    basis : str or None
        What the member's profile the paper was scored against is made of
        (:func:`recommender.reasons.profile_basis`: ``"interests"``, ``"likes"``, ``"interests+likes"``).
    """

    member_id: int
    paper_id: int
    score: float
    reason: str
    basis: str | None = None


def min_fit(recommender: Recommender) -> float:
    """The fit threshold for ``recommender``'s score: :data:`MIN_FIT_HYBRID` with the embedding model, else :data:`MIN_FIT`."""
    return MIN_FIT_HYBRID if recommender.embedder is not None else MIN_FIT


def member_fits(recommender: Recommender, session: Session, papers: Sequence[Paper], members: Sequence[Member], *,
                min_score: float | None = None, now: dt.datetime | None = None) -> list[MemberFit]:
    """Every (member, paper) pair that fits at least ``min_score``, best first.

    Parameters
    ----------
    recommender : Recommender
        Its vectorizer, vector caches and embedder.
    session : Session
        Open session; paper embeddings missing from the store are computed and added to it.
    papers, members : sequence of Paper, sequence of Member
    min_score : float, optional
        Pairs below it are left out (default :func:`min_fit`).
    now : datetime, optional
        Aware UTC time the 👍/👎 ages are counted to (default: now).

    Returns
    -------
    list of MemberFit
        Best first; pairs where the member rated the paper, and members with no
        interests and no feedback, are left out.
    """
    if not papers or not members:
        return []
    now = now or utcnow()
    ids = [p.id for p in papers]
    X = recommender.matrix(session, ids)
    targets, liked_papers = [], []  # liked_papers: per member, liked paper id -> paper
    for member in members:
        target, liked = recommender.target_inputs(session, member, ids, now)
        targets.append(target)
        liked_papers.append({p.id: p for p in liked})
    rated = {(m, p) for m, p in session.execute(
        select(Feedback.member_id, Feedback.paper_id)
        .where(Feedback.member_id.in_([m.id for m in members]), Feedback.paper_id.in_([p.id for p in papers]))
    )}
    semantic = _semantic(recommender, session, papers)
    bar = min_fit(recommender)
    ranker = recommender.ranker(session, interest_feedback=0)
    # The member's fit is the best of their whole profile's and of each declared interest's alone: a reader of
    # two fields fits a paper of either as well as a reader of that field alone (raj's ZeRO paper fitted him at
    # 0.04 once he added graph interests to "memory-efficient training of large models; distributed training"),
    # and a paper of several of them keeps the fit of the whole ("zero-shot and few-shot learning").
    owner, variants = [], []
    for m, (member, target) in enumerate(zip(members, targets, strict=True)):
        each = [t for t in dict.fromkeys(member.interests or []) if t.strip()]
        for text in [target.interests_text, *(each if len(each) > 1 else [])]:
            owner.append(m)
            variants.append(replace(target, interests_text=text))
    found = _best_per_member(fits(ranker, X, variants, min_score=bar if min_score is None else min_score,
                                  semantic=semantic), owner)
    words = [reader_words(t, [p.title for p in theirs.values()], ranker.vectorizer)
             for t, theirs in zip(targets, liked_papers, strict=True)]
    out = []
    for fit in found:
        member, paper = members[fit.target], papers[fit.candidate]
        if (member.id, paper.id) in rated:
            continue
        theirs = liked_papers[fit.target]
        title = getattr(theirs.get(fit.similar_to), "title", None) if isinstance(fit.similar_to, int) else None
        # a fit below the bar is not "close", whatever words it shares; an author term only for the same person
        reason = paper_reason(fit.terms, paper, words[fit.target], liked=theirs.values(), similar_title=title,
                              shared=bool(fit.terms) and fit.score >= bar,
                              profile=profile_words(targets[fit.target], owner="their"),
                              by_meaning=semantic is not None and fit.score >= bar)
        out.append(MemberFit(member.id, paper.id, fit.score, reason, profile_basis(targets[fit.target])))
    return out


def _best_per_member(found: Sequence[Fit], owner: Sequence[int]) -> list[Fit]:
    """``found`` (best first) with each variant's target index put as its member's (``owner``), the best
    fit of each (member, paper) pair kept."""
    best: dict[tuple[int, int], Fit] = {}
    for fit in found:
        key = (owner[fit.target], fit.candidate)
        if key not in best:
            best[key] = replace(fit, target=owner[fit.target])
    return list(best.values())


def _semantic(recommender: Recommender, session: Session, papers: Sequence[Paper]) -> SemanticInputs | None:
    """The papers' embeddings, centred on the mean of the most recent papers' (None without the model)."""
    emb = recommender.embeddings(session, [p.id for p in papers])
    if emb is None:
        return None
    recent = list(session.scalars(select(Paper).where(Paper.is_news.is_(True))
                                  .order_by(Paper.id.desc()).limit(REFERENCE_PAPERS)))
    reference = recommender.embeddings(session, [p.id for p in recent]) if recent else None
    rows = reference[np.linalg.norm(reference, axis=1) > 0] if reference is not None else emb[:0]
    return SemanticInputs(emb, mean=rows.mean(axis=0) if len(rows) else None)
