"""Readers of two fields: do their picks hold papers of both of their declared interests?

A reader who declared "diffusion models; speech recognition" should find both fields in their first picks, not
the one whose words weigh more in TF-IDF or whose papers are closer to the blend of the two in meaning. Every
pair of the fifteen one-interest readers of ``interest_readers.py`` (its ``LABELS``: our relevance labels of the
bundled samples' papers) becomes a reader declaring both interests, through the path their picks take
(``Commands.interests_add``, then ``Recommender.picks``, k=10), with the shipped sentence-embedding model.

Printed per variant, averaged over the 105 readers:

- both@5, both@10: share of readers with a paper of *each* interest in their top 5 (top 10);
- coverage@5: share of the two interests with a paper in the top 5;
- precision@5 and nDCG@10 against the union of the two label sets (as ``interest_readers.py`` scores them);

then how many readers the shipped ranking gave both fields in the top 5 where the joined text did not, and the
other way. The store is the bundled samples (216 papers): a check of direction, not a figure for a year's store.

Variants, in one run: the shipped ranking (each declared interest a part of its own, weighed alike); the
interests read as one joined text (``split_interests=False``, the ranking before); TF-IDF alone.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/two_interests.py
"""

from __future__ import annotations

import itertools
import tempfile

import numpy as np
from interest_readers import LABELS, _ndcg, labelled_store, variants

from bot.commands import Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE

SINGLE = {k: v for k, v in LABELS.items() if ";" not in k and "," not in k}


def _scores(cmds: Commands, name: str, first: str, second: str) -> list[float]:
    caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, name)
    cmds.interests_add(caller, first, second)
    with cmds.store.session() as session:
        picks = cmds.recommender.picks(session, [cmds.member(session, caller)], 10)[0]
    ranked = [p.paper_id for p in picks]
    a, b = SINGLE[first], SINGLE[second]
    union = a | b
    hit5 = [bool(set(ranked[:5]) & s) for s in (a, b)]
    hit10 = [bool(set(ranked[:10]) & s) for s in (a, b)]
    return [float(all(hit5)), float(all(hit10)), sum(hit5) / 2,
            len(set(ranked[:5]) & union) / min(5, len(union)), _ndcg(ranked, union)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, settings = labelled_store(tmp)
        variants_ = variants(store, settings, "interests joined", {"split_interests": False})
        pairs = list(itertools.combinations(SINGLE, 2))
        results = {}
        for label, rec in variants_.items():
            cmds = Commands(store, settings, rec)
            results[label] = np.array([_scores(cmds, f"{label[:8]}-{n}", a, b) for n, (a, b) in enumerate(pairs)])
        base = results["interests joined"].mean(axis=0)
        print(f"{len(pairs)} readers of two interests (every pair of {len(SINGLE)} labelled ones), bundled samples, "
              "picks k=10")
        for label, rows in results.items():
            m = rows.mean(axis=0)
            print(f"  {label:<17} both@5 {m[0]:.3f} ({m[0] / base[0]:.2f}x)  both@10 {m[1]:.3f} ({m[1] / base[1]:.2f}x)  "
                  f"coverage@5 {m[2]:.3f}  precision@5 {m[3]:.3f} ({m[3] / base[3]:.2f}x)  "
                  f"nDCG@10 {m[4]:.3f} ({m[4] / base[4]:.2f}x)")
        shipped, joined = results["shipped"][:, 0], results["interests joined"][:, 0]
        print(f"shipped against interests joined, same readers: both@5 gained by {int(((shipped > joined)).sum())}, "
              f"lost by {int((shipped < joined).sum())}")
        missed = [f"{a} + {b}" for (a, b), row in zip(pairs, results["shipped"], strict=True) if not row[1]]
        print(f"shipped: readers with an interest missing from the top 10 ({len(missed)}):", "; ".join(missed) or "none")


if __name__ == "__main__":
    main()
