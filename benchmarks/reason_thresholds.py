"""The thresholds behind reasons, fits and search, measured on the bundled sample digests through ``Commands``.

Reproduces the figures quoted where each threshold is defined::

    PYTHONPATH=. .venv/bin/python benchmarks/reason_thresholds.py

1. ``explain.MIN_SIMILAR_COSINE``: TF-IDF cosines between stored papers (median, 90th
   percentile) and between each probe paper and its five nearest on-topic neighbours.
2. ``search.MIN_MEANING``: the best meaning score (centred embedding cosine) of queries that
   mean nothing and of topical ones, and what ``Commands.search`` answers for them.
3. ``teammates.MIN_FIT_HYBRID``: the share of (person, paper) pairs that fit, for four people
   with two interests each, as ``/papers who`` and channel digests compute it.
4. One 👍 against declared interests: the top 8 picks of a graph-network reader who liked one
   quantization paper, as ``/papers picks`` gives them.
5. ``reasons.reason_words``: for the demo's zero-shot reader after one 👍 (the zero-shot
   survey), how many of the three terms that weighed most in each of 12 picks are words of one
   liked abstract only, and the reasons ``/papers picks`` then gives.
6. ``reasons.MAX_READ_SHARE``: the share of stored papers holding words a reason should not name
   (they came up under picks of readers with several 👍) and topic words.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sqlalchemy import select

from bot.commands import POSITIVE, Caller, Commands
from bot.demo import SAMPLE_DIGESTS
from bot.settings import Settings
from recommender.ingest import ingest
from recommender.ranking.explain import MIN_SIMILAR_COSINE
from recommender.reasons import MAX_READ_SHARE, nameable_terms, reason_words
from recommender.search import MIN_MEANING, query_meaning
from recommender.store import Member, Paper, Store
from recommender.store.models import utcnow
from recommender.teammates import member_fits, min_fit
from recommender.text.vectors import embed_missing

PROBES = ("PD-Quant", "Evaluating Deep Graph", "Zero-shot and Few-shot Learning with Knowledge")
MEANINGLESS = ("zzzzqqq", "asdf qwer", "banana bread recipe", "the")
TOPICAL = ("graph neural networks", "zero-shot learning", "speech recognition", "low precision arithmetic")
GENERIC = ("existing", "high", "large", "paper", "tasks", "accuracy", "different", "results", "based", "methods")
TOPICS = ("graph", "diffusion", "quantization", "pruning", "speech", "video", "attention", "molecular")
ZERO_SHOT = "zero-shot learning; few-shot learning with semantic attributes and knowledge graphs"  # the demo's ada
PEOPLE = {"U1": "diffusion models; image generation", "U2": "reinforcement learning; robot control",
          "U3": "large language models; reasoning", "U4": "graph neural networks; node classification"}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'paperbot.db'}")
        ingest(store, [SAMPLE_DIGESTS])
        cmds = Commands(store, Settings(data_dir=tmp))
        rec = cmds.recommender
        embed_missing(store, rec.embedder)
        with store.session() as s:
            papers = s.scalars(select(Paper).order_by(Paper.id)).all()
            ids = [p.id for p in papers]
            X = rec.matrix(s, ids)
            cos = (X @ X.T).toarray()
            pairs = cos[np.triu_indices(len(ids), 1)]
            print(f"1. TF-IDF cosine of two stored papers ({len(ids)} papers): median {np.median(pairs):.2f}, "
                  f"90th percentile {np.percentile(pairs, 90):.2f}; at least {MIN_SIMILAR_COSINE}: "
                  f"{(pairs >= MIN_SIMILAR_COSINE).mean():.1%} of pairs")
            for probe in PROBES:
                i = next(k for k, p in enumerate(papers) if p.title.startswith(probe))
                row = cos[i].copy()
                row[i] = -1
                best = np.argsort(-row)[:5]
                print(f"   {probe[:30]:30s} nearest 5: " + ", ".join(f"{row[j]:.2f} {papers[j].title[:28]!r}" for j in best))
            emb = rec.embeddings(s, ids)
            mean = emb.mean(axis=0)
            ranker = rec.ranker(s)
            print(f"2. best meaning of a query (cut {MIN_MEANING} when no paper shares a term with it):")
            for kind, queries in (("meaningless", MEANINGLESS), ("topical", TOPICAL)):
                for q in queries:
                    found = cmds.search(None, q).papers
                    print(f"   {kind:11s} {q!r:28s} {query_meaning(ranker, q, emb, mean).max():.2f}  "
                          f"search finds {len(found)}")
        for ref, interests in PEOPLE.items():
            for interest in interests.split("; "):
                cmds.interests_add(Caller("slack", "T1", ref), interest)
        with store.session() as s:
            members = s.scalars(select(Member).order_by(Member.id)).all()
            fits = member_fits(rec, s, s.scalars(select(Paper)).all(), members, min_score=-1.0)
            bar = min_fit(rec)
            print(f"3. fits at least {bar}: {sum(f.score >= bar for f in fits)} of {len(fits)} (person, paper) pairs "
                  f"({np.mean([f.score >= bar for f in fits]):.1%})")
            pd_quant = s.scalars(select(Paper).where(Paper.title.like("PD-Quant%"))).one()
        reader = Caller("slack", "T1", "U9")
        cmds.interests_add(reader, "graph neural networks")
        cmds.rate(reader, f"#{pd_quant.id}", POSITIVE)
        titles = [p.title for p in cmds.picks(reader, 8, onboard=False).papers]
        graph = sum("graph" in t.lower() or "GNN" in t for t in titles)
        quant = sum("quantiz" in t.lower() for t in titles)
        print(f"4. graph-network reader who liked PD-Quant, top 8 picks: {graph} graph papers, {quant} quantization papers")
        one_abstract_words(cmds)
        with store.session() as s:
            vec = rec.vectorizer(s)
            for kind, words in (("not reasons", GENERIC), ("topics", TOPICS)):
                shares = [(w, (vec.document_frequency(w) or 0.0) / vec.n_papers_fit_) for w in words]
                print(f"6. {kind}: " + ", ".join(f"{w} {x:.2f}" for w, x in shares)
                      + f"  (named from 👍 only at most {MAX_READ_SHARE})")
        store.dispose()


def one_abstract_words(cmds: Commands) -> None:
    """Item 5: the top-3 terms of each pick before and after :func:`nameable_terms`."""
    rec, ada = cmds.recommender, Caller("slack", "T1", "U8")
    cmds.interests_add(ada, ZERO_SHOT)
    with cmds.store.session() as s:
        survey = s.scalars(select(Paper).where(Paper.title.like("Zero-shot and Few-shot Learning with Knowledge%"))).one()
    cmds.rate(ada, f"#{survey.id}", POSITIVE)
    with cmds.store.session() as s:
        ids = [p.id for p in s.scalars(select(Paper).order_by(Paper.id))]
        target, liked = rec.target_inputs(s, cmds.member(s, ada), ids, utcnow())
        ranker = rec.ranker(s)
        rows = ranker.rank(rec.matrix(s, ids), [target], k=12)[0]
        raw = [t for r in rows for t in r.terms[:3]]
        words = reason_words(target, [p.title for p in liked], ranker.vectorizer)
        named = [t for r in rows for t in nameable_terms(r.terms, words)[:3]]
        kept = set(nameable_terms(raw, words))
    print(f"5. zero-shot reader, one 👍, 12 picks: {sum(t not in kept for t in raw)} of {len(raw)} top-3 terms are words "
          f"of one liked abstract only ({', '.join(sorted({t for t in raw if t not in kept})[:8])}, ...); "
          f"named now: {len(named)} terms, none of them")
    for pick in cmds.picks(ada, 12, onboard=False).papers:
        print(f"   {pick.title[:40]!r:44s} {pick.reason[:90]}")


if __name__ == "__main__":
    main()
