"""A stand-in for the sentence model: the same interface, a fixed unit vector per text, no runtime to load."""

from __future__ import annotations

import hashlib
import re

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



class TopicEmbedder:
    """A stand-in for the sentence model whose meaning is topics: texts holding words of one topic are close.

    Each of ``topics`` (name -> its words, lower case) is an axis: a text's component on it is how many
    of the topic's words it holds (as whole words); a faint hashed part of length ``noise``, centred on
    zero (so it averages out over many texts), keeps texts apart. So "sheep herding" is close to "a flock of livestock",
    which shares none of its words, and far from every text holding no word of the topic.
    """

    name, version = "topic-embedder", "1"

    def __init__(self, topics: dict[str, frozenset[str]], noise: float = 0.1):
        self.topics, self.noise = topics, noise
        self.dim = len(topics) + HashEmbedder.dim
        self.texts: list[str] = []

    def encode(self, texts, progress=None) -> np.ndarray:
        texts = list(texts)
        self.texts += texts
        hashed = np.array([np.frombuffer(hashlib.sha256(t.encode()).digest()[: HashEmbedder.dim], dtype=np.uint8)
                           for t in texts], dtype=np.float32).reshape(len(texts), HashEmbedder.dim) - 127.5
        hashed *= self.noise / np.maximum(np.linalg.norm(hashed, axis=1, keepdims=True), 1e-6)
        words = [set(re.findall(r"[a-z]+(?:-[a-z]+)*", t.lower())) for t in texts]
        counts = np.array([[len(held & topic) for topic in self.topics.values()] for held in words],
                          dtype=np.float32).reshape(len(texts), len(self.topics))
        out = np.hstack([counts, hashed])
        return out / np.linalg.norm(out, axis=1, keepdims=True)
