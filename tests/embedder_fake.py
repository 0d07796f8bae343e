"""A stand-in for the sentence model: the same interface, a fixed unit vector per text, no runtime to load."""

from __future__ import annotations

import hashlib

import numpy as np


class HashEmbedder:
    """A stand-in for the sentence model (same interface): a fixed unit vector per text, no runtime to load.

    ``during_encode`` runs once, inside the first ``encode`` call: another writer at that moment.
    ``texts`` lists every text encoded, in order.
    """

    name, version, dim = "hash-embedder", "1", 8

    def __init__(self, during_encode=None):
        self.during_encode = during_encode
        self.texts: list[str] = []

    def encode(self, texts, progress=None) -> np.ndarray:
        if self.during_encode is not None:
            hook, self.during_encode = self.during_encode, None
            hook()
        self.texts += list(texts)
        out = np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[:32], dtype=np.uint8)[: self.dim]
                        for t in texts], dtype=np.float32) + 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)
