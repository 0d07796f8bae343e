"""Issue 10: would a community only for readers whose library the team shares enough keep teams above a lone reader?

`evidence_threshold.py` gates on the evidence itself (teammates' 👍 on the reader's own liked papers); a reader of
300 papers with 5 of them shared and one of 10 with 5 shared have the same evidence. This gates on the evidence per
liked paper instead: a reader whose evidence is below ``r`` times their library's size gets the lone reader's
ranking. Exact without ranking again, as in `evidence_threshold.py` (a reader with no community ranks as a lone
reader). Reads a `team_sweep.py --per-user` file and the split it was made on (for each reader's library size);
prints, per ratio, the six cells' gains over the lone reader, their mean and the smallest.

    PYTHONPATH=. .venv/bin/python benchmarks/evidence_ratio.py --dataset citeulike-t --split-seed 0 FILE.npz
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.evidence_threshold import cells
from recommender.evaluation.data import load_dataset, make_split

RATIOS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", required=True, choices=("citeulike-a", "citeulike-t"))
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("per_user", metavar="FILE.npz")
    args = ap.parse_args()
    split = make_split(load_dataset(args.dataset, args.data_dir).user_items, args.split_seed)
    library = np.diff(split.history_items.tocsr().indptr)[np.load(args.per_user)["users"]]
    text, by_cell = cells(args.per_user)
    print(f"{args.dataset} seed {args.split_seed}: {len(text)} readers, median library {np.median(library):.0f}")
    print(f"{'ratio':>6} {'mean':>9} {'smallest':>9}  " + " ".join(f"{c:>11}" for c in by_cell))
    for r in RATIOS:
        g = [float(np.where(found >= r * library, team, text).mean() - text.mean()) if r else
             float(team.mean() - text.mean()) for team, found in by_cell.values()]
        print(f"{r:6.2f} {np.mean(g):+9.6f} {min(g):+9.6f}  " + " ".join(f"{x:+11.6f}" for x in g))


if __name__ == "__main__":
    main()
