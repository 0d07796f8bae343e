"""Readers who only declared interests: do their picks hold the papers about those interests?

The offline evaluation (``paperbot eval``) has no declared interests: CiteULike users have libraries, not
interests. This measures the first day of a reader who typed a few words, on the bundled samples (216
papers), through the path their picks take (``Commands.interests_add``, then ``Recommender.picks``, k=10),
with the shipped sentence-embedding model.

Relevance labels are ours, judged from the papers' titles and, for the first five interests, their
abstracts (``LABELS``: the sample papers' ids in a store that ingested ``samples/digests`` alone, checked by
title at start). Each reader's picks are scored by precision@5 and nDCG@10 (binary gains, ideal DCG over
min(10, relevant) positions), averaged over readers; then the same after a 👍 on the reader's first
labelled paper (picks scored on the other labelled papers), so the interests' share is seen beside a like.

Variants, in one run: the shipped ranking; declared interests' embeddings centred on the corpus mean as
papers are (``center_interests=True``, the ranking before); TF-IDF alone (no embeddings).

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/interest_readers.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bot.commands import POSITIVE, Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
from bot.settings import Settings
from recommender.ingest import ingest
from recommender.picks import Recommender
from recommender.store import Paper, Store

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "digests"

#: interest -> ids of the sample papers about it. The title of each set's first id is checked at start.
LABELS = {
    "diffusion models": {55, 56, 67, 163, 164, 168, 138},
    "reinforcement learning": {53, 122, 196, 207},
    "speech recognition": {101, 145},
    "protein structure prediction": {61},
    "information retrieval": {216, 214},
    "network pruning": {88, 109, 164, 76, 78, 112, 15, 126},
    "quantization of neural networks": {17, 93, 98, 149, 150, 151, 191, 12, 120, 86, 160},
    "graph neural networks": {24, 5, 79, 103, 142, 193},
    "zero-shot learning": {2, 3, 195, 121},
    "knowledge distillation": {37, 165, 166, 8},
    "object detection": {144, 206, 139, 174},
    "large language models reasoning": {66, 40, 44, 70, 63},
    "continual learning": {4, 95, 206},
    "neural collapse": {147, 208, 209},
    "grokking": {59, 73, 97},
    # the demo team (config/demo.toml): several interests each, and the channel's topic
    "zero-shot learning; few-shot learning with semantic attributes and knowledge graphs": {2, 3, 195},
    "network pruning; quantization of neural networks; efficient inference and model compression": {
        88, 109, 164, 76, 78, 112, 15, 126, 17, 93, 98, 149, 150, 151, 191, 12, 120, 86, 160, 13, 136, 27, 28, 123},
    "graph neural networks; message passing on graphs; node classification": {24, 5, 79, 103, 142, 193},
    "deep learning efficiency, compression, sparsity and graph learning": {
        88, 109, 164, 76, 78, 112, 15, 126, 17, 93, 98, 149, 150, 151, 191, 12, 120, 86, 160, 13, 136, 27, 28, 123,
        24, 5, 79, 103, 142, 193, 148, 153, 87},
}
#: A word of each set's lowest-id paper's title: the ids are those of this store.
CHECK = {5: "graphs", 2: "zero-shot", 4: "continual", 12: "low-bit", 15: "sparse", 37: "distillation",
         40: "in-context", 53: "reinforcement", 55: "diffusion", 59: "grokking", 61: "fitness", 101: "speech",
         139: "detection", 147: "collapse", 214: "matching"}


class _Variant(Recommender):
    """The shipped recommender with other Ranker arguments."""

    def __init__(self, store: Store, settings, params: dict):
        super().__init__(store, settings)
        self.params = params

    def new_ranker(self, vectorizer, **params):
        return super().new_ranker(vectorizer, **{**self.params, **params})


def _ndcg(ranked: list[int], relevant: set[int]) -> float:
    gains = sum(1 / np.log2(i + 2) for i, p in enumerate(ranked[:10]) if p in relevant)
    return gains / sum(1 / np.log2(i + 2) for i in range(min(10, len(relevant))))


def _scores(cmds: Commands, name: str, interest: str, relevant: set[int], liked: int | None) -> tuple[float, float]:
    caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, name)
    cmds.interests_add(caller, *interest.split("; "))
    if liked is not None:
        cmds.feedback(caller, liked, POSITIVE)
        relevant = relevant - {liked}
    with cmds.store.session() as session:
        picks = cmds.recommender.picks(session, [cmds.member(session, caller)], 10)[0]
    ranked = [p.paper_id for p in picks]
    return len(set(ranked[:5]) & relevant) / min(5, len(relevant)), _ndcg(ranked, relevant)


def labelled_store(tmp: str) -> tuple[Store, Settings]:
    """The bundled samples ingested into a new SQLite store under ``tmp``, its ids checked against ``CHECK``."""
    store = Store(f"sqlite:///{tmp}/papers.db")
    ingest(store, [SAMPLES])
    with store.session() as session:
        for pid, word in CHECK.items():
            title = session.get(Paper, pid).title
            assert word in title.lower(), f"paper {pid} is {title!r}: the labels are not this store's ids"
    return store, Settings(data_dir=tmp)


def variants(store: Store, settings: Settings, label: str, params: dict) -> dict[str, Recommender]:
    """The shipped recommender, ``label`` (the shipped one with Ranker ``params``) and TF-IDF alone, in one run.

    Exits when the sentence-embedding model is not installed: this measures the shipped hybrid score.
    """
    out = {"shipped": Recommender(store, settings.recommender), label: _Variant(store, settings.recommender, params),
           "TF-IDF alone": Recommender(store, settings.recommender.model_copy(update={"semantic": False}))}
    if out["shipped"].embedder is None:
        raise SystemExit("the sentence-embedding model is not installed: this measures the shipped hybrid score")
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, settings = labelled_store(tmp)
        variants_ = variants(store, settings, "interests centred", {"center_interests": True})
        results = {}
        for label, rec in variants_.items():
            cmds = Commands(store, settings, rec)
            for like in (False, True):
                rows = [_scores(cmds, f"{label[:8]}-{like}-{n}", interest, relevant, min(relevant) if like else None)
                        for n, (interest, relevant) in enumerate(LABELS.items())
                        if not like or len(relevant) > 1]
                results[(label, like)] = np.array(rows)
        print(f"{len(LABELS)} readers with declared interests alone (15 of one interest, the demo team of three and its "
              "channel), bundled samples, picks k=10")
        for like in (False, True):
            base = results[("interests centred", like)].mean(axis=0)
            print("after a 👍 on their first labelled paper (scored on the others)" if like else "interests alone")
            for label in variants_:
                p5, ndcg = results[(label, like)].mean(axis=0)
                print(f"  {label:<18} precision@5 {p5:.3f} ({p5 / base[0]:.2f}x)  nDCG@10 {ndcg:.3f} ({ndcg / base[1]:.2f}x)")
        per = results[("shipped", False)][:, 1] - results[("interests centred", False)][:, 1]
        print("nDCG@10 shipped minus centred, per reader:",
              ", ".join(f"{i.split()[0]}{'…' if ';' in i else ''} {d:+.2f}" for i, d in zip(LABELS, per, strict=True)))


if __name__ == "__main__":
    main()
