"""Sentence embeddings of an evaluation dataset, computed once and cached on disk.

Embedding 17,000 titles or 26,000 bag-of-words documents takes minutes on a
2-core machine, an ingest cost like the vectorizer fit: ``paperbot eval``
reports it separately and caches the vectors in
``$PAPERBOT_CACHE_DIR`` (default ``~/.cache/paperbot``), one ``.npy`` file per
dataset and model version.  For bag-of-words datasets (citeulike-t) the
encoder reads each distinct word once, in file order: a word list, since
there is no sentence to read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import numpy as np

from ..text.embeddings import PaperEmbedder, cache_dir, embedding_text
from .data import Dataset

__all__ = ["dataset_embeddings"]


def _texts(ds: Dataset) -> list[str]:
    if ds.bag_of_words:
        return [" ".join(dict.fromkeys(p.title.split())) for p in ds.papers]
    return [embedding_text(p.title, p.abstract) for p in ds.papers]


def dataset_embeddings(ds: Dataset, embedder: PaperEmbedder,
                       progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, float]:
    """Unit embeddings of every paper of ``ds``, shape (n_papers, dim), and the seconds spent computing them.

    Read from the cache when present (0.0 seconds); otherwise computed and saved.
    """
    version = re.sub(r"[^A-Za-z0-9.]+", "-", f"{embedder.name}-{embedder.version}")
    path = cache_dir() / "embeddings" / f"{ds.name}-{len(ds.papers)}-{version}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape == (len(ds.papers), embedder.dim):
            return vectors, 0.0
    start = time.perf_counter()
    vectors = embedder.encode(_texts(ds), progress=progress)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    return vectors, seconds
