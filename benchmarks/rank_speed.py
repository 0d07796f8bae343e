"""Ranking every user of one split, the ranking's blocks side by side against one at a time, in one run.

Times what ``paperbot eval`` times as paperbot's ``seconds`` (the same ``paperbot_ranking``: profiles,
corpus neighbourhood, co-likes, scoring, top-k; the vectorizer fit and the embeddings are ingest costs,
cached), for the whole population's community and for a lone reader, taking turns between
``BLOCK_THREADS`` 1 (one block at a time) and the shipped thread count, and prints each round's seconds and
the median ratio. The rankings are checked equal. To compare with another version of the code, run this
file with ``PYTHONPATH`` set to that checkout, alternately with this one, in one hour::

    PYTHONPATH=. .venv/bin/python benchmarks/rank_speed.py --dataset citeulike-a --split-seed 0 [--rounds 3]

Data: ``$PAPERBOT_EVAL_DATA`` or ``../shared/eval``. About a minute on citeulike-a after the embedding
cache exists (``paperbot eval`` makes it).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from recommender.evaluation.data import load_dataset, make_split
from recommender.evaluation.embedded import dataset_embeddings
from recommender.evaluation.run import paperbot_ranking, paperbot_vectorizer
from recommender.ranking import Ranker
from recommender.text.embeddings import PaperEmbedder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", required=True, choices=("citeulike-a", "citeulike-t"))
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    try:  # a checkout from before recommender/ranking/blocks.py (PYTHONPATH) has no thread setting to turn
        from recommender.ranking import blocks
    except ImportError:
        blocks = None
    try:
        from recommender.evaluation.run import cpu_description
        cpu = cpu_description()
    except ImportError:
        cpu = "not recorded by this checkout"
    ds = load_dataset(args.dataset, None)
    split = make_split(ds.user_items, args.split_seed)
    vec = paperbot_vectorizer(ds).fit(ds.papers)
    x_all = vec.transform(ds.papers)
    embedder = PaperEmbedder.load()
    emb = None if embedder is None else dataset_embeddings(ds, embedder)[0]
    shipped = None if blocks is None else blocks.BLOCK_THREADS
    settings = [shipped] if blocks is None or shipped == 1 else [1, shipped]
    print(f"{args.dataset} seed {args.split_seed}: {len(split.users)} users; cpu {cpu}; "
          f"thread settings {settings}")

    def rank(threads, community: bool) -> tuple[float, np.ndarray]:
        if blocks is not None:
            blocks.BLOCK_THREADS = threads
        start = time.perf_counter()
        ranked = paperbot_ranking(split, split.users, x_all, Ranker(vec, mmr_lambda=0.0), community=community, emb=emb)
        return time.perf_counter() - start, ranked

    rank(shipped, True)  # warm: imports, the first BLAS call
    for community in (True, False):
        seconds: dict = {t: [] for t in settings}
        first: dict = {}
        for _ in range(args.rounds):
            for t in settings:
                s, ranked = rank(t, community)
                seconds[t].append(s)
                first.setdefault(t, ranked)
        same = all(np.array_equal(first[settings[0]], r) for r in first.values())
        line = "; ".join(f"threads {t}: " + " ".join(f"{s:.2f}" for s in seconds[t]) + " s" for t in settings)
        ratio = (f", one at a time / side by side {statistics.median(seconds[1]) / statistics.median(seconds[shipped]):.2f}x"
                 if len(settings) == 2 else "")
        print(f"{'whole population' if community else 'lone reader'}: {line}{ratio}; rankings equal: {same}")


if __name__ == "__main__":
    main()
