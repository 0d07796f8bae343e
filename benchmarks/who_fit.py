"""Does ``/papers who`` name the teammate who reads the paper? CiteULike teams, against baselines.

Teams of N similar researchers (``../shared/eval/README.md``: cold-start split, similar teams).
Each member's profile is their history papers (👍); the new papers are what a digest would show.
For every new paper that at least one member holds, paperbot ranks the team's members by fit
(:meth:`Ranker.score`, the number :mod:`recommender.ranking.fit` reads) and we ask whether a
holder is among the first two (the two a digest paper may name):

* ``random``: members in a random order (the exact expectation, no sampling);
* ``most-read``: members with the largest libraries first (they hold the most papers).

Then the names a digest would write: every (member, new paper) pair above the shipped fit
threshold (:func:`recommender.teammates.min_fit`, through :func:`recommender.ranking.fit.fits`),
and, without a threshold, the best two members of every paper. Precision = share of named pairs
where the member holds the paper, against the base rate of all pairs.

Usage::

    python benchmarks/who_fit.py [--dataset citeulike-a] [--team-size 20] [--teams 60] [--no-embeddings]
"""

from __future__ import annotations

import argparse
import time
from math import comb

import numpy as np

from recommender.evaluation.data import default_data_dir, load_dataset, make_split
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.run import paperbot_vectorizer
from recommender.evaluation.teams import make_teams
from recommender.ranking import Ranker, Target
from recommender.ranking.fit import fits
from recommender.ranking.semantic import SemanticInputs
from recommender.teammates import MIN_FIT, MIN_FIT_HYBRID
from recommender.text.embeddings import PaperEmbedder

NAMED = 2  # people a digest paper may name
SWEEP = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30)  # other thresholds, for the choice


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="citeulike-a")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--team-size", type=int, default=20)
    ap.add_argument("--teams", type=int, default=60, help="teams evaluated (a fixed random sample)")
    ap.add_argument("--no-embeddings", action="store_true", help="TF-IDF alone")
    args = ap.parse_args()

    ds = load_dataset(args.dataset, args.data_dir or default_data_dir())
    split = make_split(ds.user_items, args.seed)
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    x_hist, x_new = x_all[split.history], x_all[split.new]
    embedder = None if args.no_embeddings else PaperEmbedder.load()
    emb = dataset_embeddings(ds, embedder)[0] if embedder is not None else None
    semantic = None if emb is None else SemanticInputs(emb[split.new], mean=emb.mean(axis=0))
    ranker = Ranker(vec, embedder=embedder)
    bar = MIN_FIT_HYBRID if emb is not None else MIN_FIT
    all_teams = [t for t in make_teams(split, x_hist, args.team_size, "similar", args.seed) if len(t) == args.team_size]
    rng = np.random.default_rng(args.seed)
    teams = [all_teams[i] for i in np.sort(rng.choice(len(all_teams), size=min(args.teams, len(all_teams)), replace=False))]

    hits = {"paperbot": 0, "most-read": 0, "random": 0.0}
    asked = 0
    named = {"threshold": [0, 0], "top-2, no threshold": [0, 0]}  # [pairs, of which held]
    all_pairs = held_pairs = 0
    sweep = {b: [0, 0] for b in SWEEP}
    t0 = time.perf_counter()
    for team in teams:
        hist = split.history_items[team]
        targets = [Target(liked=x_hist[hist[i].indices], liked_keys=list(hist[i].indices),
                          liked_embeddings=None if emb is None else emb[split.history[hist[i].indices]])
                   for i in range(len(team))]
        holds = split.relevant[team].toarray().astype(bool)  # (members, new papers): the truth, read by metrics only
        scores, _ = ranker.score(x_new, targets, semantic=semantic)
        papers = np.flatnonzero(holds.any(axis=0))
        asked += papers.size
        order = np.argsort(-scores[:, papers], axis=0, kind="stable")[:NAMED]
        hits["paperbot"] += int(holds[order, papers].any(axis=0).sum())
        by_size = np.argsort(-np.diff(hist.indptr), kind="stable")[:NAMED]
        hits["most-read"] += int(holds[by_size][:, papers].any(axis=0).sum())
        n = len(team)
        hits["random"] += sum(1 - comb(n - int(h), NAMED) / comb(n, NAMED) for h in holds[:, papers].sum(axis=0))

        found = fits(ranker, x_new, targets, min_score=bar, semantic=semantic)
        named["threshold"][0] += len(found)
        named["threshold"][1] += sum(bool(holds[f.target, f.candidate]) for f in found)
        top = np.argsort(-scores, axis=0, kind="stable")[:NAMED]
        named["top-2, no threshold"][0] += top.size
        named["top-2, no threshold"][1] += int(holds[top, np.arange(scores.shape[1])].sum())
        for b in SWEEP:
            above = scores >= b
            sweep[b][0] += int(above.sum())
            sweep[b][1] += int((above & holds).sum())
        all_pairs += holds.size
        held_pairs += int(holds.sum())
    seconds = time.perf_counter() - t0

    space = "hybrid (TF-IDF + embeddings)" if emb is not None else "TF-IDF alone"
    print(f"{args.dataset}, seed {args.seed}, {len(teams)} similar teams of {args.team_size}, {space}, "
          f"{asked} (team, paper) questions, {seconds:.1f} s")
    print(f"a holder among the first {NAMED} named (hit@{NAMED}):")
    for name in ("paperbot", "most-read", "random"):
        rate = hits[name] / asked
        print(f"  {name:10s} {rate:.3f}   ({rate / (hits['random'] / asked):.2f}x random, "
              f"{rate / (hits['most-read'] / asked):.2f}x most-read)")
    base = held_pairs / all_pairs
    print(f"names a digest would write (base rate of all pairs {base:.4f}):")
    for name, (pairs, held) in named.items():
        precision = held / pairs if pairs else 0.0
        per_member = pairs / (len(teams) * args.team_size)
        print(f"  {name:20s} precision {precision:.3f} ({precision / base:.0f}x base rate), "
              f"{pairs} pairs, {per_member:.1f} per member over {x_new.shape[0]} new papers")
    print(f"  fit threshold {bar:.2f}; other thresholds (precision, pairs per member):")
    print("   " + "   ".join(f"{b:.2f}: {h / max(p, 1):.3f}, {p / (len(teams) * args.team_size):.0f}"
                             for b, (p, h) in sweep.items()))


if __name__ == "__main__":
    main()
