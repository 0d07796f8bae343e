"""How much a paper's embedding would depend on the texts embedded beside it (onnxruntime quantises activations per batch).

paperbot embeds each text alone (:class:`recommender.text.embeddings.PaperEmbedder`, ``batch_size=1``). This
embeds the bundled sample digests' papers (``title. abstract``, as at ingest) in batches of ``--batch-size``
(32, what paperbot shipped before) and each alone, each with a fresh model (no memo), and prints the cosine
of each paper's two vectors (min, median, max) and texts per CPU second both ways::

    PYTHONPATH=. .venv/bin/python benchmarks/embedding_batches.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from embedding_speed import texts

from recommender.text.embeddings import PaperEmbedder


def _timed(embedder: PaperEmbedder, chunks: list[list[str]]) -> tuple[np.ndarray, float]:
    embedder.encode(["warm up"])  # build and quantise the model outside the timing (a text not in the sample)
    cpu = time.process_time()
    out = np.vstack([embedder.encode(chunk) for chunk in chunks])
    return out, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
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
