"""Issue 10: would a community only for teams that share enough papers keep every team above a lone reader?

A per-team gate, where `evidence_threshold.py` tries a per-reader one; measured and not kept (benchmarks/README.md).
For each team of a `team_sweep.py --per-user` file (teams rebuilt as the sweep built them,
`recommender/evaluation/teams.py`), the share
of its 👍 that fall on papers two or more of its members liked; a team below the threshold gets no community,
so its members get the lone reader's ranking (exact without ranking again: what the ranker gives a reader
without a community). Prints each cell's median share and, per threshold, the gain of each of the six cells
over the lone reader, their mean and the smallest; then, at the threshold picked on the dev splits (:data:`PICKED`),
each cell's nDCG@10 and gain with its 95% bootstrap interval.

    PYTHONPATH=. .venv/bin/python benchmarks/team_gate.py --dataset citeulike-t --split-seed 0 FILE.npz
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sp

from recommender.evaluation.data import load_dataset, make_split
from recommender.evaluation.metrics import paired_difference
from recommender.evaluation.run import paperbot_vectorizer
from recommender.evaluation.teams import make_teams

#: The dev splits' pick: 0.45 is the smallest share that leaves no cell of seed 0 below the lone reader on either
#: dataset, 0.5 a margin above it.
PICKED = 0.5
THRESHOLDS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6)


def shared_share(likes: sp.csr_matrix, team: np.ndarray) -> float:
    """Share of the team's 👍 on papers liked by two or more of its members (0.0 for a team without 👍)."""
    counts = np.asarray(likes[team].sum(axis=0)).reshape(-1)
    return float(counts[counts >= 2].sum() / counts.sum()) if counts.sum() else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--split-seed", type=int, required=True)
    ap.add_argument("--data-dir")
    ap.add_argument("per_user", metavar="FILE.npz", help="team_sweep.py --per-user of that dataset and seed")
    args = ap.parse_args()
    ds = load_dataset(args.dataset, args.data_dir)
    split = make_split(ds.user_items, args.split_seed)
    x_history = paperbot_vectorizer(ds).fit(ds.papers).transform(ds.papers)[split.history]
    likes = sp.csr_matrix(split.history_items, dtype=np.float32)
    likes.data[:] = 1.0
    saved = np.load(args.per_user)
    text, row = saved["text"], {int(u): i for i, u in enumerate(saved["users"])}
    print(f"{args.dataset} seed {args.split_seed}: the whole population's share {shared_share(likes, split.users):.3f}")
    cells = {}
    for name in (n.removeprefix("paperbot_") for n in saved.files if n.startswith("paperbot_")):
        size, kind = name.split("_")
        share = np.zeros(len(text))
        for team in make_teams(split, x_history, int(size), kind, args.split_seed):
            evaluated = [row[u] for u in team if int(u) in row]
            share[evaluated] = shared_share(likes, team)
        cells[name] = (saved[f"paperbot_{name}"], share)
        print(f"{size:>4} {kind:>7}: median share {np.median(share):.3f}, gain {np.mean(cells[name][0] - text):+.6f}")
    print(f"{args.dataset} seed {args.split_seed}, gain per cell ({', '.join(cells)}) with a team gate at:")
    for th in THRESHOLDS:
        gains = [float(np.mean(np.where(share >= th, team, text) - text)) for team, share in cells.values()]
        print(f"  {th:.2f}  mean {np.mean(gains):+.6f}  smallest {min(gains):+.6f}   "
              + " ".join(f"{g:+.6f}" for g in gains))
    print(f"at {PICKED}: nDCG@10 of the lone reader {text.mean():.6f}; per cell, paperbot, gain, 95% interval")
    for name, (team, share) in cells.items():
        gated = np.where(share >= PICKED, team, text)
        diff = paired_difference(gated, text, seed=args.split_seed)
        print(f"  {name:>11} {gated.mean():.6f} {diff['mean']:+.6f} [{diff['ci'][0]:+.6f}, {diff['ci'][1]:+.6f}]")


if __name__ == "__main__":
    main()
