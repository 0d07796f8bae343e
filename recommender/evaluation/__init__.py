"""Offline evaluation on CiteULike (``paperbot eval``).

:mod:`.data` loads a dataset and makes the cold-start split, :mod:`.baselines`
holds random, Rocchio and arxiv-sanity-lite, :mod:`.metrics` recall@k and
nDCG@k, and :mod:`.run` runs every method on one split.
"""
