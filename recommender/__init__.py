"""paperbot's recommender: digest parsing, the paper store, TF-IDF profiles and ranking.

Nothing in this package knows about chat platforms; ``bot`` builds on it.
"""
