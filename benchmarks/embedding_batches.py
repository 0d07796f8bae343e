"""How much a paper's embedding depends on the texts embedded beside it (onnxruntime quantises activations per batch).

Embeds the bundled sample digests' papers (``title. abstract``, as at ingest) in batches of
``--batch-size`` (the shipped 32) and each alone, each with a fresh model (no memo), and prints the cosine
of each paper's two vectors (min, median, max) and texts per CPU second both ways.

``--write-cache DIR --dataset D`` instead writes the evaluation's embedding cache of dataset ``D``
encoded one text at a time into ``DIR``, so that ``PAPERBOT_CACHE_DIR=DIR paperbot eval --dataset D ...``
measures the ranking with those vectors (the model file is copied beside it from ``$PAPERBOT_CACHE_DIR``)::

    PYTHONPATH=. .venv/bin/python benchmarks/embedding_batches.py
    PYTHONPATH=. .venv/bin/python benchmarks/embedding_batches.py --write-cache /tmp/alone --dataset citeulike-a
"""

from __future__ import annotations

import argparse
import os
import shutil
import time

import numpy as np
from embedding_speed import texts

from recommender.evaluation.data import load_dataset
from recommender.evaluation.embedded import dataset_embeddings
from recommender.text.embeddings import PaperEmbedder, cache_dir


def _timed(embedder: PaperEmbedder, chunks: list[list[str]]) -> tuple[np.ndarray, float]:
    embedder.encode(["warm up"])  # build and quantise the model outside the timing (a text not in the sample)
    cpu = time.process_time()
    out = np.vstack([embedder.encode(chunk) for chunk in chunks])
    return out, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--write-cache", metavar="DIR")
    ap.add_argument("--dataset", choices=("citeulike-a", "citeulike-t"))
    args = ap.parse_args()
    if args.write_cache:
        if not args.dataset:
            ap.error("--write-cache needs --dataset")
        models = cache_dir() / "models"
        os.environ["PAPERBOT_CACHE_DIR"] = args.write_cache
        if models.is_dir():
            shutil.copytree(models, cache_dir() / "models", dirs_exist_ok=True)
        embedder = PaperEmbedder.load(batch_size=1)
        assert embedder is not None, "the embedding model is not installed"
        _, seconds = dataset_embeddings(load_dataset(args.dataset, None), embedder)
        print(f"{args.dataset}: one text at a time, {seconds:.0f} s, cache in {args.write_cache}")
        return
    sample = texts()
    batched, batched_cpu = _timed(PaperEmbedder.load(batch_size=args.batch_size), [sample])
    alone, alone_cpu = _timed(PaperEmbedder.load(batch_size=args.batch_size), [[t] for t in sample])
    cos = (batched * alone).sum(axis=1)
    print(f"{len(sample)} sample papers: cosine alone vs in batches of {args.batch_size}: min {cos.min():.4f}, "
          f"median {np.median(cos):.4f}, max {cos.max():.4f}")
    print(f"texts per CPU second: batches of {args.batch_size} {len(sample) / batched_cpu:.1f}, "
          f"alone {len(sample) / alone_cpu:.1f}")


if __name__ == "__main__":
    main()
