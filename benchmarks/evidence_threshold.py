"""Issue 10: would a community only from some evidence on keep teams above a lone reader?

Reads the per-user files of `team_sweep.py --per-user` (each user's nDCG@10 alone and in each team cell, and
their evidence: teammates' 👍 on their own liked papers) and, for each threshold k, gives every user with
evidence below k the lone reader's ranking. That is exact without ranking again: the evidence scales the
community per reader, and a reader with none ranks as a lone reader (checked: equal to the last digit).
Prints, per file and threshold, the mean gain of the twelve cells over the lone reader and the smallest.

    PYTHONPATH=. .venv/bin/python benchmarks/evidence_threshold.py a0.npz t0.npz [...]
"""

from __future__ import annotations

import sys

import numpy as np

THRESHOLDS = (0, 1, 2, 3, 5, 10, 20, 30, 50)


def cells(path: str) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The lone reader's nDCG@10 per user, and per team cell each user's nDCG@10 and evidence."""
    d = np.load(path)
    names = [n.removeprefix("paperbot_") for n in d.files if n.startswith("paperbot_")]
    return d["text"], {c: (d[f"paperbot_{c}"], d[f"evidence_{c}"]) for c in names}


def main() -> None:
    for path in sys.argv[1:]:
        text, by_cell = cells(path)
        exact = all(np.array_equal(team[found == 0], text[found == 0]) for team, found in by_cell.values())
        print(f"{path}: readers with no evidence rank as lone readers: {exact}")
        for k in THRESHOLDS:
            g = [float(np.where(found >= k, team, text).mean() - text.mean()) for team, found in by_cell.values()]
            print(f"  k={k:>3}  mean gain {np.mean(g):+.6f}  smallest {min(g):+.6f}")


if __name__ == "__main__":
    main()
