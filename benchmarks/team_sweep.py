"""Issue 10's team sweep: a team's picks against a lone reader's, for every team size and kind, on one split.

The lone reader (`paperbot-text`) is ranked once; then, for teams of 5, 20 and 100 people, similar and
random (`recommender/evaluation/teams.py`), `paperbot` with each user's community limited to the team's
history papers: the same functions as `paperbot eval --team-size N --teams KIND` (whose figures these
equal), without re-ranking the lone reader and refitting the vectorizer twelve times. Per cell: nDCG@10 of
both, the gain with its 95% bootstrap interval, and the gain by evidence (teammates' 👍 on the reader's own
liked papers, what scales the community's weight: `recommender/ranking/community.py`), in buckets.

    PYTHONPATH=. .venv/bin/python benchmarks/team_sweep.py --dataset citeulike-t --split-seed 2 \\
        [--ranker-param NAME=VALUE ...] [--json FILE] [--per-user FILE.npz]

Data: `$PAPERBOT_EVAL_DATA` or `../shared/eval`. About 25 minutes a split on either dataset on this 2-core
machine shared with other runs (the twelve cells took 21 to 24 minutes of it on citeulike-a seed 1 and
citeulike-t seeds 0 to 2, four runs at once: each cell's `seconds` in the JSON).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import scipy.sparse as sp

from bot.cli.eval import ranker_params
from recommender.evaluation.data import load_dataset, make_split
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.metrics import paired_difference, per_user_metrics
from recommender.evaluation.run import cpu_description, installed_versions, paperbot_ranking, paperbot_vectorizer
from recommender.evaluation.teams import make_teams
from recommender.ranking import Ranker
from recommender.ranking.community import evidence
from recommender.text.embeddings import PaperEmbedder

SIZES = (5, 20, 100)
KINDS = ("similar", "random")
#: Evidence buckets: [low, high) teammates' 👍 on the reader's own liked papers.
BUCKETS = ((0, 1), (1, 10), (10, 100), (100, np.inf))


def team_evidence(history_items: sp.csr_matrix, teams: list[np.ndarray], users: np.ndarray) -> np.ndarray:
    """Each of ``users``' evidence in its team's community, shape (n_users,) (as the ranker computes it)."""
    row = {int(u): i for i, u in enumerate(users)}
    out = np.zeros(len(users))
    for team in teams:
        likes = sp.csr_matrix(history_items[team], dtype=np.float32)
        counts = np.asarray((likes > 0).sum(axis=0), dtype=np.float32).reshape(-1)
        for user, found in zip(team, evidence(counts, likes), strict=True):
            if int(user) in row:
                out[row[int(user)]] = found
    return out


def by_bucket(gain: np.ndarray, found: np.ndarray) -> list[dict]:
    """Users, mean gain and summed gain (over all users: its share of the cell's mean) per evidence bucket."""
    rows = []
    for low, high in BUCKETS:
        inside = (found >= low) & (found < high)
        rows.append({"evidence": [low, None if high == np.inf else high], "users": int(inside.sum()),
                     "mean_gain": float(gain[inside].mean()) if inside.any() else None,
                     "share_of_gain": float(gain[inside].sum() / len(gain))})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", required=True, choices=("citeulike-a", "citeulike-t"))
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--ranker-param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--json", dest="json_out", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--per-user", metavar="FILE.npz", help="save each user's nDCG@10 and evidence per cell")
    args = ap.parse_args()

    ds = load_dataset(args.dataset, args.data_dir)
    split = make_split(ds.user_items, args.split_seed)
    users, relevant = split.users, split.relevant[split.users]
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    embedder = PaperEmbedder.load()
    emb = None if embedder is None else dataset_embeddings(ds, embedder)[0]
    params = {"mmr_lambda": 0.0, **ranker_params(args.ranker_param)}

    def ndcg(teams: list[np.ndarray] | None, community: bool) -> np.ndarray:
        ranked = paperbot_ranking(split, users, x_all, Ranker(vec, **params), community=community, teams=teams,
                                  emb=emb)
        return per_user_metrics(ranked, relevant)["ndcg@10"]

    text = ndcg(None, False)
    print(f"{args.dataset} seed {args.split_seed}: {len(users)} users; lone reader (paperbot-text) {text.mean():.6f}")
    print(f"{'team':>12} {'paperbot':>9} {'gain':>9} {'95% interval':>21} {'s':>5}  gain by evidence 0|1-9|10-99|100+")
    cells, saved = [], {"users": users, "text": text}
    for size in SIZES:
        for kind in KINDS:
            start = time.perf_counter()
            teams = make_teams(split, x_all[split.history], size, kind, args.split_seed)
            team = ndcg(teams, True)
            found = team_evidence(split.history_items, teams, users)
            diff = paired_difference(team, text, seed=args.split_seed)
            buckets = by_bucket(team - text, found)
            cells.append({"team_size": size, "teams": kind, "paperbot": float(team.mean()), "gain": diff,
                          "by_evidence": buckets, "seconds": round(time.perf_counter() - start, 1)})
            saved[f"paperbot_{size}_{kind}"], saved[f"evidence_{size}_{kind}"] = team, found
            low, high = diff["ci"]
            shares = " ".join(f"{b['share_of_gain']:+.6f}" for b in buckets)
            print(f"{size:>4} {kind:>7} {team.mean():9.6f} {diff['mean']:+9.6f} [{low:+.6f}, {high:+.6f}] "
                  f"{cells[-1]['seconds']:5.0f}  {shares}", flush=True)
    below = [f"{c['team_size']} {c['teams']}" for c in cells if c["gain"]["mean"] < 0]
    print("below the lone reader: " + (", ".join(below) if below else "none"))
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump({"dataset": args.dataset, "split_seed": args.split_seed, "n_users": int(len(users)),
                       "ranker_params": params, "embedding_model": None if embedder is None else
                       f"{embedder.name} {embedder.version}", "paperbot-text": float(text.mean()),
                       "cells": cells, "versions": installed_versions(), "cpu": cpu_description()}, fh, indent=1)
    if args.per_user:
        np.savez(args.per_user, **saved)


if __name__ == "__main__":
    main()
