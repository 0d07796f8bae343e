"""Sentence-embedding throughput on real title + abstract texts, and the quality cost of each shortcut.

Reads the bundled sample digests (``samples/digests``: Hugging Face Daily
Papers, 216 papers with abstracts) and embeds ``title. abstract`` with the
packaged all-MiniLM-L6-v2 through onnxruntime, for each setting: float32 or
int8 weights, 256 or 128 word pieces.  Prints texts per second (wall clock,
and per CPU second of this process, which other jobs on a shared machine do
not inflate) and the cosine of each setting's vectors to the float32/256
vectors (1.0 = no quality cost).  Loading (graph build, quantisation) is
timed separately.  Each pass uses a new embedder, so every text is computed in every pass (an embedder
remembers the texts it read: ``MEMO_SIZE``).

Usage::

    python benchmarks/embedding_speed.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from recommender.ingest import expand_inputs
from recommender.sources import parse_digest
from recommender.text.embeddings import PaperEmbedder, embedding_text, unavailable_reason

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "digests"


def texts() -> list[str]:
    seen: dict[str, str] = {}
    for source in expand_inputs([str(SAMPLES)]).sources:
        for paper in parse_digest(Path(source).read_bytes(), source).papers:
            seen.setdefault(paper.title, embedding_text(paper.title, paper.abstract or ""))
    return list(seen.values())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="passes over the texts per setting")
    args = ap.parse_args()
    if unavailable_reason():
        raise SystemExit(unavailable_reason())
    docs = texts()
    print(f"{len(docs)} title+abstract texts from {SAMPLES.name}; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f} at start")
    print(f"{'setting':14s} {'load s':>7s} {'texts/s':>8s} {'texts/CPU-s':>12s} {'cos to fp32/256':>16s}")
    ref = None
    for int8, tokens in ((False, 256), (True, 256), (True, 128)):
        wall = cpu = load_s = 0.0
        for _ in range(args.repeat):
            # a new embedder per pass: one embedder remembers the texts it read (MEMO_SIZE), and a second
            # pass over the same texts through it would be served from memory, not computed
            t0 = time.perf_counter()
            embedder = PaperEmbedder.load(int8=int8, max_tokens=tokens)
            embedder.encode(["warm up"])  # build (or read the cached int8) network outside the timing
            load_s = max(load_s, time.perf_counter() - t0)
            w0, c0 = time.perf_counter(), time.process_time()
            vectors = embedder.encode(docs)
            wall, cpu = wall + time.perf_counter() - w0, cpu + time.process_time() - c0
        ref = vectors if ref is None else ref
        cos = np.sum(vectors * ref, axis=1)
        n = len(docs) * args.repeat
        print(f"{('int8' if int8 else 'fp32') + '/' + str(tokens):14s} {load_s:7.1f} {n / wall:8.1f} {n / cpu:12.1f} "
              f"{cos.mean():8.4f} (min {cos.min():.3f})")


if __name__ == "__main__":
    main()
