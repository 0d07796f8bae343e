"""Which papers widen a declared interest: chosen by the hybrid sum, or by agreement of words and meaning.

A declared interest is expanded by the three papers it matches best
(:func:`recommender.ranking.profiles.expand_interests`). On the bundled samples, for a "diffusion
models" reader and a "graph neural networks; diffusion models" reader, this prints the best
matches of the interests alone: TF-IDF cosine, centred embedding cosine, their hybrid sum (the old
choice of seeds) and their geometric mean (:func:`recommender.ranking.profiles._agreement`, the
shipped choice), then each reader's top 5 picks through ``Commands.picks``, the path of
``/papers picks``.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/interest_seeds.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from bot.commands import Caller, Commands
from bot.platforms import CLI_PLATFORM, CLI_WORKSPACE
from bot.settings import Settings
from recommender.ingest import ingest
from recommender.ranking.profiles import _agreement
from recommender.ranking.semantic import SemanticInputs, center_present
from recommender.store import Paper, Store

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "digests"
READERS = {"dora": ["diffusion models"], "gil": ["graph neural networks", "diffusion models"]}
SHOWN = 8


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/papers.db")
        ingest(store, [SAMPLES])
        cmds = Commands(store, Settings(data_dir=tmp))
        rec = cmds.recommender
        if rec.embedder is None:
            raise SystemExit("the sentence-embedding model is not installed: this measures the hybrid score")
        with store.session() as session:
            papers = list(session.scalars(session.query(Paper).statement))
            ids = [p.id for p in papers]
            x = rec.matrix(session, ids)
            vectorizer = rec.vectorizer(session)
            cand, mean = SemanticInputs(rec.embeddings(session, ids)).centered_candidates()
        w = rec.new_ranker(vectorizer).semantic_weight
        for name, interests in READERS.items():
            text = " ".join(interests)  # as the ranker reads a member's interests
            lexical = (vectorizer.transform_text([text]) @ x.T).toarray()
            meaning = center_present(rec.embedder.encode([text]), mean) @ cand.T
            hybrid = (1 - w) * lexical + w * meaning
            both = _agreement(lexical, meaning, np.array([True]), w)
            print(f"== {name}: {'; '.join(interests)}")
            print(f"   {'tf-idf':>6} {'embed':>6} {'hybrid':>6} {'both':>6}  seed by hybrid / by both")
            for i in np.argsort(-hybrid[0], kind="stable")[:SHOWN]:
                old = "H" if i in np.argsort(-hybrid[0], kind="stable")[:3] else " "
                new = "B" if i in np.argsort(-both[0], kind="stable")[:3] else " "
                print(f"   {lexical[0, i]:6.3f} {meaning[0, i]:6.3f} {hybrid[0, i]:6.3f} {both[0, i]:6.3f}  "
                      f"{old} {new}  {papers[i].title[:70]}")
            caller = Caller(CLI_PLATFORM, CLI_WORKSPACE, name)
            cmds.interests_add(caller, *interests)
            print("   picks (/papers picks):")
            for n, pick in enumerate(cmds.picks(caller, 5).papers, 1):
                print(f"   {n}. {pick.title[:80]}")
        store.dispose()


if __name__ == "__main__":
    main()
